"""The sales review in Chromium at laptop (1440x900) and tablet (1280x800) sizes, on central's demo data
(`seed-demo`) with 45 days of sales pushed by three sale points' devices through `POST /api/v1/sync/push` and a
refund: the figures by day and by week, the charts' bars, a breakdown and the top sellers against the database;
screenshots in tests/e2e/screenshots/."""
import random
import re
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from central_sync.catalog.services import price_of, product_by_sku
from central_sync.extensions import db
from central_sync.models import Producer, Product, Refund, RefundLine, Sale, SaleLine
from central_sync.network.services import create_device, location_by_code
from central_sync.protocol import vnd
from central_sync.reports.services import period_start
from tests.e2e.central import SIZES, reviewer_tab, served_central, shot
from tests.kiosk.apitools import Api

pytestmark = pytest.mark.e2e

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
KIOSKS = ("KPA-01", "BMT-01", "EKA-01")
SKUS = ("CF-CB-500", "CF-BM-PHIN", "MO-CP-250", "MC-TL-500", "DIEU-HY-500", "TIEU-CS-DEN", "TC-AKO-KHAN")


def push(api: Api, events: list) -> None:
    response = api.post("/sync/push", json={"protocol": 1, "events": events})
    assert response.status_code == 200 and {r["status"] for r in response.get_json()["results"]} == {"applied"}


def seed(app) -> None:
    """seed-demo, then 45 days of sales at three sale points pushed by their devices, and one refund."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tokens = {code: create_device(code)[1] for code in KIOSKS}
        prices = {(code, sku): price_of(product_by_sku(sku), location_by_code(code)) for code in KIOSKS for sku in SKUS}
        db.session.commit()
    client, rng = app.test_client(), random.Random(6)
    today = datetime.now(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)
    for code in KIOSKS:
        events, first_sale = [], None
        for days_ago in range(45, -1, -1):
            for _ in range(rng.randint(0, 4)):
                when = (today - timedelta(days=days_ago, hours=-rng.randint(7, 20), minutes=-rng.randint(0, 59)))
                when = min(when, datetime.now(LOCAL) - timedelta(minutes=1))
                lines = [(sku, rng.randint(1, 3)) for sku in rng.sample(SKUS, rng.randint(1, 3))]
                total = sum(qty * prices[code, sku] for sku, qty in lines)
                sale_id = str(uuid.uuid4())
                first_sale = first_sale or (sale_id, lines[0])
                events.append({"seq": len(events) + 1, "id": str(uuid.uuid4()), "type": "sale",
                               "occurred_at": when.isoformat(), "payload": {
                                   "id": sale_id, "number": f"{code}-{len(events) + 1:06d}",
                                   "created_at": when.isoformat(), "total_vnd": total,
                                   "lines": [{"sku": sku, "qty": qty, "unit_price_vnd": prices[code, sku],
                                              "discount_vnd": 0} for sku, qty in lines],
                                   "payments": [{"method": "cash", "amount_vnd": total}]}})
        if code == "KPA-01":
            sale_id, (sku, _qty) = first_sale
            events.append({"seq": len(events) + 1, "id": str(uuid.uuid4()), "type": "refund",
                           "occurred_at": datetime.now(LOCAL).isoformat(), "payload": {
                               "id": str(uuid.uuid4()), "sale_id": sale_id, "reason": "hàng lỗi",
                               "lines": [{"sku": sku, "qty": 1, "amount_vnd": prices[code, sku]}]}})
        for start in range(0, len(events), 500):
            push(Api(client, tokens[code]), events[start:start + 500])


def database_figures(app, period: str, first, last) -> dict[str, tuple[int, int]]:
    """{first day of a period: (qty, revenue)} net of refunds, from every stored line, added up here."""
    figures = defaultdict(lambda: [0, 0])
    day = first
    while day <= last:
        figures[period_start(day, period).isoformat()]
        day += timedelta(days=1)
    with app.app_context():
        for model, line, key, qty, amount, sign in (
                (Sale, SaleLine, SaleLine.sale_id, SaleLine.qty, SaleLine.total_vnd, 1),
                (Refund, RefundLine, RefundLine.refund_id, RefundLine.qty, RefundLine.amount_vnd, -1)):
            for when, count, money in db.session.execute(select(model.created_at, qty, amount)
                                                         .join(line, key == model.id)):
                day = when.astimezone(LOCAL).date()
                if first <= day <= last:
                    row = figures[period_start(day, period).isoformat()]
                    row[0] += sign * count
                    row[1] += sign * money
    return {k: tuple(v) for k, v in sorted(figures.items())}


def producer_figures(app) -> dict[str, tuple[int, int]]:
    figures = defaultdict(lambda: [0, 0])
    with app.app_context():
        for line, key, qty, amount, sign in ((SaleLine, SaleLine.product_id, SaleLine.qty, SaleLine.total_vnd, 1),
                                             (RefundLine, RefundLine.product_id, RefundLine.qty,
                                              RefundLine.amount_vnd, -1)):
            for producer_id, count, money in db.session.execute(
                    select(Producer.id, qty, amount).select_from(line).join(Product, Product.id == key)
                    .join(Producer, Producer.id == Product.producer_id)):
                figures[str(producer_id)][0] += sign * count
                figures[str(producer_id)][1] += sign * money
    return {k: tuple(v) for k, v in figures.items()}


@pytest.fixture(scope="module")
def central(tmp_path_factory, sqlite_template):
    """(base URL, app) of central on the demo data."""
    with served_central(tmp_path_factory.mktemp("central-sales"), sqlite_template, seed) as (url, app, _seeded):
        yield url, app


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(request, browser, central):
    with reviewer_tab(browser, central[0], request.param) as tab:
        yield tab


def shown_series(tab) -> dict[str, tuple[int, str]]:
    return {row.get_attribute("data-period"): (int(row.locator("td").nth(1).inner_text()),
                                               row.locator("td").nth(2).inner_text())
            for row in tab.locator("#series tbody tr").all()}


def fits_the_screen(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_sales_over_time_by_day_and_week(page, central):
    _url, app = central
    page.get_by_role("link", name="Doanh số").first.click()
    expect(page).to_have_url(re.compile(r"/review/sales$"))
    today = datetime.now(LOCAL).date()
    first = today - timedelta(days=29)
    expected = database_figures(app, "day", first, today)
    assert shown_series(page) == {k: (q, vnd(r)) for k, (q, r) in expected.items()}
    assert page.locator("#revenue-chart svg rect.bar").count() == 30
    assert page.locator("#qty-chart svg rect.bar").count() == 30
    assert page.locator("#total-revenue").inner_text() == vnd(sum(r for _q, r in expected.values()))
    chart = page.locator("#revenue-chart svg").bounding_box()
    assert chart["width"] >= 500 and chart["height"] >= 180  # legible: the chart is not squeezed
    expect(page.get_by_role("img", name="Doanh thu theo ngày, đã trừ hoàn trả")).to_be_visible()  # its title
    assert fits_the_screen(page)
    shot(page, "central-sales-by-day")

    page.fill("input[name=from]", (today - timedelta(days=45)).isoformat())
    page.select_option("select[name=period]", "week")
    page.get_by_role("button", name="Xem").click()
    expect(page).to_have_url(re.compile(r"period=week"))
    weekly = database_figures(app, "week", today - timedelta(days=45), today)
    assert shown_series(page) == {k: (q, vnd(r)) for k, (q, r) in weekly.items()}
    assert page.locator("#revenue-chart svg rect.bar").count() == len(weekly)
    top = page.locator("#top-sellers tbody tr").all()
    assert 1 <= len(top) <= 10
    shot(page, "central-sales-by-week")


def test_sales_by_producer_and_the_top_sellers(page, central):
    _url, app = central
    today = datetime.now(LOCAL).date()
    page.goto(f"/review/sales?from={today - timedelta(days=60)}&to={today}&period=month")
    expect(page.locator("h1")).to_contain_text("Doanh số")
    page.get_by_role("link", name="Chủ thể sản xuất", exact=True).last.click()
    expect(page).to_have_url(re.compile(r"/review/sales/by/producer\?"))
    expected = producer_figures(app)
    rows = page.locator("#breakdown tbody tr").all()
    shown = {row.get_attribute("data-key"): (int(row.locator("td").nth(2).inner_text()),
                                             row.locator("td").nth(3).inner_text()) for row in rows}
    assert shown == {k: (q, vnd(r)) for k, (q, r) in expected.items()}
    assert page.locator("#breakdown-chart svg rect.bar").count() == min(len(rows), 15)
    assert fits_the_screen(page)
    shot(page, "central-sales-by-producer")
