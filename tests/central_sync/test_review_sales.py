"""The sales review pages: figures by day, week and month (local days, net of refunds) equal to the database,
breakdowns whose rows are the API's, top and bottom sellers, the date filter, bad dates, roles and the charts."""
import re
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from central_sync.catalog.services import product_by_sku, set_price, upsert_product
from central_sync.extensions import db
from central_sync.models import Refund, RefundLine, Sale, SaleLine
from central_sync.network.services import location_by_code
from central_sync.protocol import vnd
from central_sync.reports import services
from central_sync.review import charts
from tests.central_sync.conftest import PASSWORD
from tests.kiosk.apitools import Api
from tests.kiosk.pagetools import Browser, flashes, text

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
SALES = [  # (kiosk, local time sold, lines (sku, qty, unit price))
    ("K01", "2026-03-02T08:00:00+07:00", [("CF-500", 2, 145_000), ("MO-250", 1, 98_000)]),
    ("K01", "2026-03-02T06:00:00+07:00", [("CF-250", 1, 80_000)]),  # 1 March in UTC, 2 March in Đắk Lắk
    ("K02", "2026-03-09T10:00:00+07:00", [("CF-250", 3, 80_000)]),
    ("K02", "2026-04-01T00:30:00+07:00", [("MO-250", 2, 98_000)]),  # 31 March in UTC
]
MARCH = "from=2026-03-01&to=2026-04-05"
GROUPS = ["product", "producer", "location", "district", "ocop_stars"]


def push_sales(api: Api, sales: list) -> list[str]:
    """The sales pushed by the kiosk's device as a kiosk syncs them; returns their ids."""
    ids, events = [], []
    for seq, (when, lines) in enumerate(sales, start=1):
        sale_id = str(uuid.uuid4())
        total = sum(qty * price for _sku, qty, price in lines)
        events.append({"seq": seq, "id": str(uuid.uuid4()), "type": "sale", "occurred_at": when, "payload": {
            "id": sale_id, "number": f"S-{sale_id[:8]}", "created_at": when, "total_vnd": total,
            "lines": [{"sku": sku, "qty": qty, "unit_price_vnd": price, "discount_vnd": 0}
                      for sku, qty, price in lines],
            "payments": [{"method": "cash", "amount_vnd": total}]}})
        ids.append(sale_id)
    response = api.post("/sync/push", json={"protocol": 1, "events": events})
    assert response.status_code == 200 and {r["status"] for r in response.get_json()["results"]} == {"applied"}
    return ids


@pytest.fixture
def sold(app, client, admin):
    """SALES pushed by K01's and K02's devices; a refund of one CF-500 at K01 on 9 March (written as central
    keeps it) and one of the CF-250 pushed by K01 now (a refund counts when it is made: today); and a fourth
    product, never sold."""
    sale_ids = {}
    for kiosk in ("K01", "K02"):
        device = Api(client, admin.post("/devices", json={"location": kiosk}).get_json()["token"])
        mine = [(when, lines) for code, when, lines in SALES if code == kiosk]
        sale_ids[kiosk] = push_sales(device, mine)
        if kiosk == "K01":
            refund = {"seq": len(mine) + 1, "id": str(uuid.uuid4()), "type": "refund",
                      "occurred_at": "2026-03-02T09:00:00+07:00",
                      "payload": {"id": str(uuid.uuid4()), "sale_id": sale_ids["K01"][1], "reason": "vỡ",
                                  "lines": [{"sku": "CF-250", "qty": 1, "amount_vnd": 80_000}]}}
            assert device.post("/sync/push", json={"protocol": 1, "events": [refund]}).status_code == 200
    with app.app_context():
        db.session.add(Refund(id="r-0309", sale_id=sale_ids["K01"][0], location_id=location_by_code("K01").id,
                              created_at=datetime(2026, 3, 9, 12, 0, tzinfo=LOCAL)))
        db.session.add(RefundLine(refund_id="r-0309", product_id=product_by_sku("CF-500").id, qty=1,
                                  amount_vnd=145_000))
        never = upsert_product({"sku": "TIEU-01", "name": "Tiêu đen Chư Sê", "unit": "gói", "ocop_stars": 3,
                                "ocop_group": "food", "producer_id": 2})
        db.session.flush()
        set_price(never, 60_000)
        db.session.commit()


def logged_in(client, username: str) -> Browser:
    browser = Browser(client)
    browser.log_in(username, PASSWORD)
    return browser


@pytest.fixture
def page(client, world):
    return logged_in(client, "reviewer")


def database_days(app) -> dict[date, list[int]]:
    """{local day: [qty, revenue]} net of refunds, added up here in Python from every stored line."""
    days = defaultdict(lambda: [0, 0])
    with app.app_context():
        for when, qty, amount in db.session.execute(
                select(Sale.created_at, SaleLine.qty, SaleLine.total_vnd).join(SaleLine, SaleLine.sale_id == Sale.id)):
            days[when.astimezone(LOCAL).date()][0] += qty
            days[when.astimezone(LOCAL).date()][1] += amount
        for when, qty, amount in db.session.execute(
                select(Refund.created_at, RefundLine.qty, RefundLine.amount_vnd)
                .join(RefundLine, RefundLine.refund_id == Refund.id)):
            days[when.astimezone(LOCAL).date()][0] -= qty
            days[when.astimezone(LOCAL).date()][1] -= amount
    return days


def series_rows(html: str) -> list[tuple[str, int, str]]:
    table = re.search(r'<table class="table" id="series">(.*?)</table>', html, re.S).group(1)
    return [(period, int(qty), unescape(revenue)) for period, qty, revenue in re.findall(
        r'<tr data-period="([\d-]+)"><td>[^<]*</td><td class="num">(-?\d+)</td><td class="num">([^<]*)</td>', table)]


def table_rows(html: str, table_id: str) -> list[tuple[str, ...]]:
    table = re.search(rf'<table class="table" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    cells = lambda row: re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)  # noqa: E731
    return [tuple(unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells(row))
            for row in re.findall(r"<tr data-key[^>]*>(.*?)</tr>", body, re.S)]


def bars(html: str, section_id: str) -> list[int]:
    section = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S).group(1)
    assert "<svg" in section and "<title" in section and "<desc" in section
    return [int(v) for v in re.findall(r'<rect class="bar[^"]*"[^>]*data-value="(-?\d+)"', section)]


def expected_periods(app, period: str, first: date, last: date) -> list[tuple[str, int, str]]:
    days = database_days(app)
    rows = {}
    day = first
    while day <= last:
        start = services.period_start(day, period)
        qty, revenue = rows.setdefault(start, [0, 0])
        rows[start] = [qty + days.get(day, [0, 0])[0], revenue + days.get(day, [0, 0])[1]]
        day += timedelta(days=1)
    return [(start.isoformat(), qty, vnd(revenue)) for start, (qty, revenue) in rows.items()]


def test_figures_by_day_are_the_databases_in_local_days_net_of_refunds(app, page, sold):
    html = text(page.get(f"/review/sales?{MARCH}&period=day"))
    rows = series_rows(html)
    assert len(rows) == 36 and rows == expected_periods(app, "day", date(2026, 3, 1), date(2026, 4, 5))
    by_day = {period: (qty, revenue) for period, qty, revenue in rows}
    assert by_day["2026-03-01"] == (0, vnd(0))  # the 06:00 sale of 2 March is 1 March in UTC
    assert by_day["2026-03-02"] == (4, vnd(468_000))
    assert by_day["2026-03-09"] == (2, vnd(240_000 - 145_000))  # the refund of 9 March
    assert by_day["2026-03-31"] == (0, vnd(0)) and by_day["2026-04-01"] == (2, vnd(196_000))
    revenue_bars = bars(html, "revenue-chart")
    assert len(revenue_bars) == 36 and revenue_bars[1] == 468_000 and revenue_bars[8] == 95_000
    assert bars(html, "qty-chart")[1] == 4
    assert unescape(re.search(r'id="total-revenue">([^<]*)<', html).group(1)) == vnd(468_000 + 95_000 + 196_000)


@pytest.mark.parametrize("period, count, expected", [
    ("week", 6, {"2026-02-23": (0, 0), "2026-03-02": (4, 468_000), "2026-03-09": (2, 95_000),
                 "2026-03-30": (2, 196_000)}),
    ("month", 2, {"2026-03-01": (6, 563_000), "2026-04-01": (2, 196_000)}),
])
def test_figures_by_week_and_month_add_up_the_local_days(app, page, sold, period, count, expected):
    html = text(page.get(f"/review/sales?{MARCH}&period={period}"))
    rows = series_rows(html)
    first = date(2026, 2, 23) if period == "week" else date(2026, 3, 1)
    last = date(2026, 4, 5) if period == "week" else date(2026, 4, 30)
    assert rows == [row for row in expected_periods(app, period, first, last)]
    assert len(rows) == count and len(bars(html, "revenue-chart")) == count
    got = {p: (q, r) for p, q, r in rows}
    assert {p: got[p] for p in expected} == {p: (q, vnd(r)) for p, (q, r) in expected.items()}


def test_the_default_window_is_the_last_30_days_with_todays_refund(app, page, sold):
    rows = series_rows(text(page.get("/review/sales")))
    today = datetime.now(LOCAL).date()
    assert [r[0] for r in rows] == [(today - timedelta(days=29 - i)).isoformat() for i in range(30)]
    assert rows[-1] == (today.isoformat(), -1, vnd(-80_000))  # the refund pushed now counts today
    assert bars(text(page.get("/review/sales")), "revenue-chart")[-1] == -80_000


@pytest.mark.parametrize("group_by", GROUPS)
@pytest.mark.parametrize("window", ["", MARCH, "from=2026-03-09&to=2026-03-09", "from=2026-04-01"])
def test_each_breakdown_has_exactly_the_apis_rows_and_a_bar_each(page, reviewer, sold, group_by, window):
    html = text(page.get(f"/review/sales/by/{group_by}?{window}"))
    today = datetime.now(LOCAL).date()
    api_window = window if window else f"from={today - timedelta(days=29)}&to={today}"
    api_rows = reviewer.get(f"/reports/sales?group_by={group_by}&{api_window}").get_json()["rows"]
    expected = [(str(r["key"]), r["label"], str(r["qty"]), vnd(r["revenue_vnd"])) for r in api_rows]
    assert expected and table_rows(html, "breakdown") == expected
    if api_rows:
        assert bars(html, "breakdown-chart") == [r["revenue_vnd"] for r in api_rows]
    else:
        assert 'id="breakdown-chart"' not in html


def test_the_product_breakdown_in_march_is_the_sales_less_the_refund(page, sold):
    rows = table_rows(text(page.get("/review/sales/by/product?from=2026-03-01&to=2026-03-31")), "breakdown")
    assert rows == [("CF-250", "Cà phê hạt 250g", "4", vnd(320_000)), ("CF-500", "Cà phê bột 500g", "1", vnd(145_000)),
                    ("MO-250", "Mật ong 250ml", "1", vnd(98_000))]


def test_top_and_bottom_sellers_include_what_never_sold(page, sold):
    html = text(page.get("/review/sales?from=2026-03-01&to=2026-03-31"))
    top = [row[1].split()[-1] for row in table_rows(html, "top-sellers")]
    bottom = table_rows(html, "bottom-sellers")
    assert top == ["CF-250", "CF-500", "MO-250"]
    assert [row[1].split()[-1] for row in bottom] == ["TIEU-01", "MO-250", "CF-500", "CF-250"]
    assert bottom[0][2:] == ("0", vnd(0))


def test_the_ranking_is_cut_at_the_limit(app, sold):
    with app.app_context():
        top, bottom = services.top_and_bottom_products(None, None, limit=2)
        assert [r["key"] for r in top] == ["MO-250", "CF-250"] and [r["key"] for r in bottom] == ["TIEU-01", "CF-500"]


def test_one_day_only(app, page, sold):
    html = text(page.get("/review/sales?from=2026-03-09&to=2026-03-09&period=month"))
    assert series_rows(html) == [("2026-03-01", 2, vnd(95_000))]  # the month, cut to the days asked
    assert bars(html, "revenue-chart") == [95_000]


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-45", "2026-13-45"), ("to=yesterday", "yesterday"), ("from=0001-01-01", "0001-01-01"),
    ("from=2026-03-09&to=2026-03-01", "after"), ("from=2000-01-01&to=2026-03-01", "ten years"),
])
def test_bad_dates_are_a_friendly_message_and_the_default_window(client, world, query, message):
    browser = logged_in(client, "reviewer")
    for path in ("/review/sales", "/review/sales/by/location"):
        response = browser.get(f"{path}?{query}&period=week")
        assert response.status_code == 200
        [shown] = flashes(response)
        assert message in shown or {"after": "sau", "ten years": "mười năm"}[message] in shown


def test_an_unknown_grouping_or_period(page, sold):
    assert page.get("/review/sales/by/colour").status_code == 404
    assert len(series_rows(text(page.get(f"/review/sales?{MARCH}&period=year")))) == 36  # by day


@pytest.mark.parametrize("path", ["/review/sales", "/review/sales/by/product", f"/review/sales?{MARCH}"])
def test_the_admin_and_the_reviewer_see_it_anonymous_logs_in(app, client, world, path):
    assert client.get(path).status_code == 302 and "/login" in client.get(path).location
    for username in ("reviewer", "admin"):
        response = logged_in(app.test_client(), username).get(path)
        assert response.status_code == 200 and ("<svg" in text(response) or "/by/" in path)
        assert 'href="/review/sales"' in text(response)  # the menu's entry


def test_no_sales_at_all(page):
    html = text(page.get("/review/sales"))
    assert [r[1:] for r in series_rows(html)] == [(0, vnd(0))] * 30 and bars(html, "revenue-chart") == [0] * 30
    assert table_rows(html, "top-sellers") == []
    assert "Chưa có sản phẩm nào bán" in html or "No product sold" in html


def test_axis_labels_read_as_vietnamese_money(app):
    with app.test_request_context():
        assert charts.short_vnd(45_000) == "45.000 ₫"
        assert charts.short_vnd(1_200_000) in ("1,2 tr ₫", "1,2 M ₫")
        assert charts.short_vnd(-3_400_000_000) in ("-3,4 tỷ ₫", "-3,4 bn ₫")
        assert charts.short_number(12_345) == "12.345"
        assert charts.nice_ticks(0, 468_000) == [0, 200_000, 400_000, 600_000]
        assert charts.nice_ticks(-80_000, 0) == [-80_000, -60_000, -40_000, -20_000, 0]
        assert charts.nice_ticks(0, 0) == [0, 1]


@pytest.mark.parametrize("path, header", [
    ("/review/sales/series.csv?from=2026-03-01&to=2026-03-31&period=month", ["Tháng", "Số lượng", "Doanh thu (VND)"]),
    ("/review/sales/by/location.csv?from=2026-03-01&to=2026-03-31", None),
])
def test_the_tables_download_as_csv_with_a_bom(page, reviewer, sold, path, header):
    response = page.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    lines = response.data.decode("utf-8-sig").splitlines()
    if header:
        assert lines[0].split(",") == header and lines[1:] == ["2026-03-01,6,563000"]
    else:
        rows = reviewer.get("/reports/sales?group_by=location&from=2026-03-01&to=2026-03-31").get_json()["rows"]
        assert lines[1:] == [f'{r["key"]},{r["label"]},{r["qty"]},{r["revenue_vnd"]}' for r in rows]
    html = text(page.get("/review/sales?from=2026-03-01&to=2026-03-31"))
    assert 'href="/review/sales/top.xlsx?' in html and 'href="/review/sales/series.csv?' in html


def test_the_excel_file_opens(page, sold):
    from io import BytesIO

    from openpyxl import load_workbook
    response = page.get("/review/sales/bottom.xlsx?from=2026-03-01&to=2026-03-31")
    sheet = load_workbook(BytesIO(response.data)).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))] == ["TIEU-01", "Tiêu đen Chư Sê", 0, 0]
    assert page.get("/review/sales/series.pdf").status_code == 404
