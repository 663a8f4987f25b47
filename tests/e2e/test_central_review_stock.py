"""The stock review in Chromium at laptop (1440x900) and tablet (1280x800) sizes, on central's demo data
(`seed-demo`, goods shipped to KPA-01 and received, goods on their way to EKA-01, sales written as a push writes
them: sale rows and `sale` movements, one product oversold): the matrix's figures against the database, its
sticky headers, a filter, and a producer's page."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from central_sync import demo
from central_sync.catalog.services import price_of, product_by_sku
from central_sync.extensions import db
from central_sync.models import Producer, Sale, SaleLine, StockBalance, utcnow
from central_sync.network.services import location_by_code
from central_sync.review import producers
from central_sync.review.stock import days_of_cover
from central_sync.stock.services import create_transfer, move_stock, receive_transfer
from tests.e2e.central import SIZES, reviewer_tab, served_central, shot

pytestmark = pytest.mark.e2e

# What KPA-01 sold of the goods it received (20 each): {sku: [(days ago, qty), ...]}; MO-CP-250 oversold.
SOLD = {"CF-CB-500": [(1, 3), (4, 2), (9, 2)], "MO-CP-250": [(2, 15), (3, 8)], "MC-TL-500": [(20, 5)],
        "CF-BM-CHON": [(5, 1)]}


def seed(app) -> None:
    """seed-demo, then shipments and KPA-01's synced sales."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        _device, _token, shipped = demo.demo_kiosk("KPA-01")
        receive_transfer(shipped.id, dict.fromkeys(demo.KIOSK_SHIPMENT, demo.KIOSK_SHIPMENT_QTY))
        create_transfer("KHO-BMT", "EKA-01", {"CF-CB-500": 12, "MO-CP-250": 6})
        kiosk, now = location_by_code("KPA-01"), utcnow()
        for number, (sku, days, qty) in enumerate(((s, d, q) for s, sales in SOLD.items() for d, q in sales), 1):
            product, price = product_by_sku(sku), price_of(product_by_sku(sku), kiosk)
            sale_id = f"00000000-0000-4000-8000-{number:012d}"
            db.session.add(Sale(id=sale_id, number=f"KPA-01-{number:06d}", location_id=kiosk.id,
                                created_at=now - timedelta(days=days, hours=1), total_vnd=qty * price))
            db.session.flush()
            db.session.add(SaleLine(sale_id=sale_id, product_id=product.id, qty=qty, unit_price_vnd=price,
                                    total_vnd=qty * price))
            move_stock(kiosk.id, {product.id: -qty}, "sale", ref=sale_id)
        db.session.commit()


@pytest.fixture(scope="module")
def central(tmp_path_factory, sqlite_template):
    """(base URL, app) of central on the demo data."""
    with served_central(tmp_path_factory.mktemp("central-review"), sqlite_template, seed) as (url, app, _seeded):
        yield url, app


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(request, browser, central):
    with reviewer_tab(browser, central[0], request.param) as tab:
        yield tab


def balance(app, code: str, sku: str) -> int:
    with app.app_context():
        return db.session.scalar(select(StockBalance.qty).where(
            StockBalance.location_id == location_by_code(code).id,
            StockBalance.product_id == product_by_sku(sku).id))


def cell(tab, sku: str, code: str):
    return tab.locator(f"tr[data-sku='{sku}'] td[data-location='{code}']")


def test_the_stock_matrix_on_the_demo_data(page, central):
    _url, app = central
    page.goto("/review/stock")
    expect(page.locator("h1")).to_contain_text("Tồn kho tại các điểm bán")
    assert page.locator("table.matrix thead th.loc").count() == 22  # every sale point, no warehouse
    assert page.locator("table.matrix tbody tr[data-sku]").count() == 106
    for sku in SOLD:
        on_hand = balance(app, "KPA-01", sku)
        sold14 = sum(qty for days, qty in SOLD[sku] if days < 14)
        expected_cover = days_of_cover(on_hand, sold14)
        target = cell(page, sku, "KPA-01")
        expect(target).to_have_attribute("data-on-hand", str(on_hand))
        expect(target).to_have_attribute("data-cover", "" if expected_cover is None else f"{expected_cover:.1f}")
    assert balance(app, "KPA-01", "MO-CP-250") == -3
    expect(cell(page, "MO-CP-250", "KPA-01")).to_have_class(re.compile(r"\bcell-negative\b"))
    expect(cell(page, "MO-CP-250", "KPA-01").locator(".qty")).to_have_text("-3")
    expect(cell(page, "CF-CB-500", "KPA-01").locator(".cover")).to_contain_text("26")  # 13 left, 7 sold in 14 days
    expect(cell(page, "MC-TL-500", "KPA-01").locator(".cover")).to_have_text("—")  # its sale is 20 days old
    transit = cell(page, "CF-CB-500", "EKA-01")
    expect(transit).to_have_attribute("data-in-transit", "12")
    expect(transit).to_have_attribute("data-on-hand", "")  # in transit is not on hand
    expect(transit.locator(".transit")).to_have_text("+12")
    expect(page.locator("[data-count=negative]")).to_contain_text("1")

    # the headers stay in view while the table scrolls both ways
    wrap = page.locator(".matrix-wrap")
    head = page.locator("table.matrix thead th.loc").first
    product = page.locator("tr[data-sku='CF-CB-500'] th.product")
    top, left = head.bounding_box()["y"], product.bounding_box()["x"]
    wrap.evaluate("el => { el.scrollTop = 1200; el.scrollLeft = 600; }")
    assert abs(head.bounding_box()["y"] - top) < 1 and abs(product.bounding_box()["x"] - left) < 1
    wrap.evaluate("el => { el.scrollTop = 0; el.scrollLeft = 0; }")
    shot(page, "central-stock-matrix")

    page.select_option("select[name=market]", "Chợ Phước An")
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.matrix thead th.loc")).to_have_count(2)  # KPA-01 and KPA-02
    expect(page.locator("[data-export=csv]")).to_have_attribute("href", re.compile(r"market=Ch"))
    shot(page, "central-stock-matrix-market")


def test_a_producers_page_on_the_demo_data(page, central):
    _url, app = central
    page.goto("/review/stock")
    page.locator("tr[data-sku='MO-CP-250'] a.producer").click()
    expect(page).to_have_url(re.compile(r"/review/producers/\d+$"))
    producer_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        producer = db.session.get(Producer, producer_id)
        rows = producers.producer_sales(producer_id, producers.first_month(12))
        months = producers.by_month(rows)
        name = producer.name
    expect(page.locator("h1")).to_contain_text(name)
    assert months, "the producer of MO-CP-250 sold in these months"
    for row in months:
        line = page.locator(f"table[data-table=sales] tr[data-month='{row['month']}']")
        expect(line.locator("[data-figure=net_qty]")).to_have_text(str(row["net_qty"]))
        expect(line.locator("[data-figure=net_vnd]")).to_have_text(f"{row['net_vnd']:,}".replace(",", ".") + " ₫")
    expect(page.locator("table[data-table=products] tr[data-sku='MO-CP-250'] [data-figure=on_hand]")) \
        .to_have_text(str(balance(app, "KPA-01", "MO-CP-250")))  # -3: KPA-01 alone holds it among the points
    expect(cell(page, "MO-CP-250", "KPA-01")).to_have_class(re.compile(r"\bcell-negative\b"))
    shot(page, "central-producer")
