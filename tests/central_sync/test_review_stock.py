"""The stock review: the matrix of products by sale points (on hand, in transit apart, negative and low stock,
days of cover from the last 14 days' sales net of refunds), its filters and roles, a producer's page, and their
CSV and XLSX exports."""
import csv
import io
import re
from datetime import timedelta
from html import unescape
from itertools import count
from urllib.parse import parse_qsl, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from central_sync.catalog.services import product_by_sku
from central_sync.extensions import db
from central_sync.models import Refund, RefundLine, Sale, SaleLine, utcnow
from central_sync.network.services import location_by_code
from central_sync.review import producers
from central_sync.review.stock import days_of_cover
from central_sync.stock.services import create_transfer, move_stock, stock_levels
from tests.central_sync.conftest import PASSWORD
from tests.kiosk.pagetools import Browser, text

_CELL = re.compile(r'<td class="cell cell-(\w+)" data-location="([^"]+)"([^>]*)>')
_ROW = re.compile(r'<tr data-sku="([^"]+)">(.*?)</tr>', re.S)
_DATA = re.compile(r'data-([\w-]+)="([^"]*)"')
NOW = utcnow()
_numbers = count(1)


def add_sale(code: str, when, lines: dict[str, tuple[int, int]], refund: dict[str, int] | None = None) -> str:
    """A synced sale at ``code`` of {sku: (qty, unit price)}, and a refund of {sku: qty} made an hour later."""
    number = next(_numbers)
    sale_id = f"00000000-0000-0000-0000-{number:012d}"
    db.session.add(Sale(id=sale_id, number=f"{code}-{number}", location_id=location_by_code(code).id,
                        created_at=when, total_vnd=sum(q * p for q, p in lines.values())))
    db.session.flush()
    db.session.add_all(SaleLine(sale_id=sale_id, product_id=product_by_sku(sku).id, qty=qty, unit_price_vnd=price,
                                total_vnd=qty * price) for sku, (qty, price) in lines.items())
    if refund:
        db.session.add(Refund(id=f"refund-{number}", sale_id=sale_id, location_id=location_by_code(code).id,
                              created_at=when + timedelta(hours=1)))
        db.session.flush()
        db.session.add_all(RefundLine(refund_id=f"refund-{number}", product_id=product_by_sku(sku).id, qty=qty,
                                      amount_vnd=qty * lines[sku][1]) for sku, qty in refund.items())
    return sale_id


@pytest.fixture
def stocked(app, world):
    """K01: 12 CF-500 (6 sold net in 14 days: 28 days of cover), 3 CF-250 (low), -2 MO-250 (oversold);
    K02: 7 CF-250 on their way; CL1: 20 MO-250 with 60 sold in 14 days (4.7 days of cover: low)."""
    with app.app_context():
        ids = {sku: product_by_sku(sku).id for sku in world.skus}
        k01, cl1 = location_by_code("K01").id, location_by_code("CL1").id
        move_stock(k01, {ids["CF-500"]: 12, ids["CF-250"]: 3, ids["MO-250"]: -2}, "opening")
        move_stock(cl1, {ids["MO-250"]: 20}, "opening")
        create_transfer("KHO", "K02", {"CF-250": 7})
        add_sale("K01", NOW - timedelta(days=2), {"CF-500": (5, 145_000)}, refund={"CF-500": 1})
        add_sale("K01", NOW - timedelta(days=13), {"CF-500": (2, 140_000)})
        add_sale("K01", NOW - timedelta(days=20), {"CF-500": (50, 145_000)})  # before the 14 days
        add_sale("CL1", NOW - timedelta(days=1), {"MO-250": (60, 98_000)})
        add_sale("CL1", NOW - timedelta(days=400), {"MO-250": (3, 90_000), "CF-500": (1, 145_000)},
                 refund={"MO-250": 1})
        db.session.commit()


def browser(client, username: str) -> Browser:
    page = Browser(client)
    page.log_in(username, PASSWORD)
    return page


@pytest.fixture
def reviewer_page(client, world):
    return browser(client, "reviewer")


def matrix_cells(html: str) -> dict[tuple[str, str], dict]:
    """{(sku, location code or 'total'): {state, on-hand, in-transit, cover}} of the matrix's non-empty cells."""
    cells = {}
    for sku, row in _ROW.findall(html):
        for state, where, attrs in _CELL.findall(row):
            if state != "none":
                cells[sku, where] = {"state": state, **{k: v for k, v in _DATA.findall(attrs)}}
    return cells


def columns(html: str) -> list[str]:
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    return re.findall(r'<th class="num loc"[^>]*><a [^>]*>([^<]+)</a>', head)


def test_days_of_cover():
    assert days_of_cover(12, 6) == 28 and days_of_cover(20, 60) == pytest.approx(4.667, abs=1e-3)
    assert days_of_cover(5, 0) is None and days_of_cover(5, -1) is None and days_of_cover(-3, 7) == 0


def test_the_matrix_shows_the_databases_figures(app, reviewer_page, stocked):
    response = reviewer_page.get("/review/stock")
    assert response.status_code == 200
    html = text(response)
    assert columns(html) == ["CL1", "K01", "K02"]  # the sale points: no warehouse
    cells = matrix_cells(html)
    with app.app_context():
        levels = {(row["sku"], row["location"]): row for row in stock_levels() if row["location"] != "KHO"}
    assert {key for key, cell in cells.items() if key[1] != "total"} == set(levels)
    for (sku, code), row in levels.items():
        cell = cells[sku, code]
        assert int(cell["in-transit"]) == row["in_transit"]
        assert cell["on-hand"] == ("" if (sku, code) == ("CF-250", "K02") else str(row["qty"]))
    assert cells["CF-500", "K01"] == {"state": "ok", "on-hand": "12", "in-transit": "0",
                                      "cover": "28.0"}
    assert cells["CF-250", "K01"]["state"] == "low" and cells["CF-250", "K01"]["cover"] == ""
    assert cells["MO-250", "K01"]["state"] == "negative" and cells["MO-250", "K01"]["on-hand"] == "-2"
    assert cells["MO-250", "CL1"] == {"state": "low", "on-hand": "20", "in-transit": "0",
                                           "cover": "4.7"}
    # totals: on hand across the points shown, in transit apart
    assert (cells["CF-250", "total"]["on-hand"], cells["CF-250", "total"]["in-transit"]) == ("3", "7")
    assert cells["MO-250", "total"]["on-hand"] == "18" and cells["MO-250", "total"]["cover"] == "4.2"
    assert 'data-count="negative">1 ' in html and 'data-count="low">2 ' in html
    assert "—" in html  # no sale: no days of cover


def test_an_in_transit_cell_holds_nothing_on_hand(reviewer_page, stocked):
    cell = matrix_cells(text(reviewer_page.get("/review/stock")))["CF-250", "K02"]
    assert (cell["on-hand"], cell["in-transit"]) == ("", "7")
    assert cell["state"] == "transit"


def test_low_stock_thresholds_are_settings(app, reviewer_page, stocked):
    app.config.update(LOW_STOCK_THRESHOLD=13, LOW_STOCK_COVER_DAYS=2)
    cells = matrix_cells(text(reviewer_page.get("/review/stock")))
    assert cells["CF-500", "K01"]["state"] == "low"  # 12 < 13
    assert cells["MO-250", "CL1"]["state"] == "ok"  # 20 held, 4.7 days >= 2


@pytest.mark.parametrize("query, locations, skus", [
    ("district=L%E1%BA%AFk", ["K02"], {"CF-500", "CF-250", "MO-250"}),  # rows: every product the filters keep
    ("kind=cluster", ["CL1"], {"CF-500", "CF-250", "MO-250"}),
    ("kind=warehouse", ["KHO"], {"CF-500", "CF-250", "MO-250"}),
    ("market=Ch%E1%BB%A3+Kr%C3%B4ng+P%E1%BA%AFc", ["K01"], {"CF-500", "CF-250", "MO-250"}),
    ("producer=2", ["CL1", "K01", "K02"], {"MO-250"}),
    ("stars=3", ["CL1", "K01", "K02"], {"CF-250"}),
    ("group=beverage", ["CL1", "K01", "K02"], set()),
    ("stars=9&kind=nope&producer=x", ["CL1", "K01", "K02"], {"CF-500", "CF-250", "MO-250"}),  # all ignored
])
def test_the_filters(reviewer_page, stocked, query, locations, skus):
    html = text(reviewer_page.get(f"/review/stock?{query}"))
    assert columns(html) == locations
    assert {sku for sku, _row in _ROW.findall(html)} == skus
    link = urlsplit(unescape(re.search(r'href="([^"]+)" data-export="csv"', html).group(1)))
    assert link.path == "/review/stock/export.csv"
    kept = {} if "nope" in query else dict(parse_qsl(query))
    assert dict(parse_qsl(link.query)) == kept  # the export keeps the filters (the valid ones)


def test_roles(client, world, stocked):
    for path in ("/review/stock", "/review/stock/export.csv", "/review/producers/1",
                 "/review/producers/1/sales.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    admin = browser(client, "admin")
    assert admin.get("/review/stock").status_code == 200 and admin.get("/review/producers/1").status_code == 200
    assert 'href="/review/stock"' in text(admin.get("/products"))  # in the menu


def test_the_matrix_links_to_producers_and_the_producers_list_to_their_pages(reviewer_page, stocked):
    assert 'href="/review/producers/2"' in text(reviewer_page.get("/review/stock"))
    assert 'href="/review/producers/1"' in text(reviewer_page.get("/producers"))
    assert reviewer_page.get("/review/producers/999").status_code == 404
    assert reviewer_page.get("/review/stock/export.pdf").status_code == 404
    assert reviewer_page.get("/review/producers/1/nothing.csv").status_code == 404


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[list]:
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_matrix_as_csv_and_xlsx(reviewer_page, stocked):
    rows = read_csv(reviewer_page.get("/review/stock/export.csv"))
    assert rows[0][:5] == ["Điểm", "Tên điểm", "Huyện", "Mã hàng", "Sản phẩm"] and len(rows[0]) == 12
    found = {(r[0], r[3]): r[7:11] for r in rows[1:]}
    assert found == {("CL1", "MO-250"): ["20", "0", "60", "4.7"], ("K01", "CF-500"): ["12", "0", "6", "28.0"],
                     ("K01", "CF-250"): ["3", "0", "0", ""], ("K01", "MO-250"): ["-2", "0", "0", ""],
                     ("K02", "CF-250"): ["0", "7", "0", ""]}
    assert rows[1][1] == "Điểm CL1" and rows[1][11] == "Thấp"
    sheet = read_xlsx(reviewer_page.get("/review/stock/export.xlsx?producer=1"))
    assert sheet[0][0] == "Điểm" and sheet[0][8] == "Đang chuyển đến"
    assert {(r[0], r[3]): tuple(r[7:11]) for r in sheet[1:]} == {
        ("K01", "CF-500"): (12, 0, 6, 28), ("K01", "CF-250"): (3, 0, 0, None), ("K02", "CF-250"): (0, 7, 0, None)}


def local_month(moment) -> str:
    return moment.astimezone(producers.LOCAL).strftime("%Y-%m")


def test_a_producers_page_and_its_tables(app, reviewer_page, stocked):
    html = text(reviewer_page.get("/review/producers/2"))
    assert "Hộ kinh doanh Mật ong Lắk" in html
    month = local_month(NOW - timedelta(days=1))
    sales = re.search(r'<table class="table" data-table="sales">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<tr data-month="([^"]+)">', sales) == [month]  # the sale 400 days ago is too old
    assert "60" in sales and "5.880.000 ₫" in sales
    products = re.search(r'<table class="table" data-table="products">(.*?)</table>', html, re.S).group(1)
    assert re.search(r'data-figure="on_hand">18<', products)  # 20 at CL1, -2 at K01
    assert matrix_cells(html)["MO-250", "K01"]["state"] == "negative"

    rows = read_csv(reviewer_page.get("/review/producers/2/sales.csv?months=24"))
    old = local_month(NOW - timedelta(days=400))
    assert rows[1:] == [[month, "60", "5880000", "0", "0", "60", "5880000"],
                        [old, "3", "270000", "1", "90000", "2", "180000"]] or old == month
    sheet = read_xlsx(reviewer_page.get("/review/producers/1/products.xlsx"))
    assert [r[:5] + r[-2:] for r in sheet[1:]] == [["CF-250", "Cà phê hạt 250g", 3, 3, 7, 0, 0],
                                                   ["CF-500", "Cà phê bột 500g", 4, 12, 0, 56, 8_110_000]]
    stock_rows = read_csv(reviewer_page.get("/review/producers/1/stock.csv"))
    assert {(r[0], r[3]) for r in stock_rows[1:]} == {("K01", "CF-500"), ("K01", "CF-250"), ("K02", "CF-250")}


def test_a_producers_sales_net_of_refunds_by_month(app, stocked):
    with app.app_context():
        rows = producers.producer_sales(1, producers.first_month(12))
        assert sum(r["net_qty"] for r in rows) == 5 - 1 + 2 + 50
        assert sum(r["net_vnd"] for r in rows) == 4 * 145_000 + 2 * 140_000 + 50 * 145_000
        ids = set(db.session.scalars(select(SaleLine.product_id)))
        assert {r["product_id"] for r in rows} <= ids
