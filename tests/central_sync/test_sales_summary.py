"""The sales summary (sales_daily, sales_monthly, sales_day_counts, kept by triggers) equals the raw lines after pushes, refunds
and the history generator, on SQLite and PostgreSQL; and the reports that read it give exactly what the raw
lines give, for windows that start and end anywhere (mid-day, at midnight, on a month's first day, open)."""
import random
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from central_sync.demo import history
from central_sync.extensions import db
from central_sync.models import (Location, Producer, Product, Refund, RefundLine, Sale, SaleLine, SalesDaily,
                                 SalesDayCount, SalesMonthly)
from central_sync.reports import services, summary
from central_sync.review import producers, stock
from tests.central_sync.test_sync_push import device, event, push, sale  # noqa: F401  (device: a fixture)

LOCAL = services.LOCAL


def raw_summary() -> tuple[Counter, Counter]:
    """{(day or month, location, product, what): amount} summed in Python from the sales and refunds."""
    daily, monthly = Counter(), Counter()
    for head, line, head_id, amount, kind in ((Sale, SaleLine, SaleLine.sale_id, SaleLine.total_vnd, "sold"),
                                              (Refund, RefundLine, RefundLine.refund_id, RefundLine.amount_vnd,
                                               "refunded")):
        for created_at, location_id, product_id, qty, money in db.session.execute(
                select(head.created_at, head.location_id, line.product_id, line.qty, amount)
                .join(head, head.id == head_id)):
            day = created_at.astimezone(LOCAL).date()
            for into, key in ((daily, day), (monthly, day.replace(day=1))):
                into[key, location_id, product_id, f"{kind}_qty"] += qty
                into[key, location_id, product_id, f"{kind}_vnd"] += money
    return +daily, +monthly


def stored_summary() -> tuple[Counter, Counter]:
    found = []
    for table, column in ((SalesDaily, SalesDaily.day), (SalesMonthly, SalesMonthly.month)):
        rows = Counter()
        for row in db.session.execute(select(column, table.location_id, table.product_id, table.sold_qty,
                                             table.sold_vnd, table.refunded_qty, table.refunded_vnd)):
            for name, value in zip(("sold_qty", "sold_vnd", "refunded_qty", "refunded_vnd"), row[3:]):
                rows[row[0], row[1], row[2], name] += value
        found.append(+rows)
    return found[0], found[1]


def assert_summary_is_the_lines(app):
    with app.app_context():
        daily, monthly = raw_summary()
        assert stored_summary() == (daily, monthly)
        counted = Counter()
        for created_at, location_id, total in db.session.execute(select(Sale.created_at, Sale.location_id,
                                                                        Sale.total_vnd)):
            counted[created_at.astimezone(LOCAL).date(), location_id] += 1
            counted[created_at.astimezone(LOCAL).date(), location_id, "vnd"] += total
        stored = Counter()
        for day, location_id, sales, total in db.session.execute(select(
                SalesDayCount.day, SalesDayCount.location_id, SalesDayCount.sales, SalesDayCount.total_vnd)):
            stored[day, location_id] += sales
            stored[day, location_id, "vnd"] += total
        assert +stored == +counted
        return daily


def raw_report(group_by, start, stop) -> list[dict]:
    """services.sales_report as it was before the summary: straight from the lines."""
    key, label = services.GROUPS[group_by]
    rows: dict = {}
    for sign, line, head, qty, amount in ((1, SaleLine, Sale, SaleLine.qty, SaleLine.total_vnd),
                                          (-1, RefundLine, Refund, RefundLine.qty, RefundLine.amount_vnd)):
        query = (select(key, label, func.sum(qty), func.sum(amount)).select_from(line)
                 .join(head, head.id == (line.sale_id if line is SaleLine else line.refund_id))
                 .join(Product, Product.id == line.product_id).join(Producer, Producer.id == Product.producer_id)
                 .join(Location, Location.id == head.location_id).group_by(key, label))
        for group, name, total_qty, total_amount in db.session.execute(
                services._window(query, head.created_at, start, stop)):
            row = rows.setdefault(group, {"key": group, "label": services._label(group_by, name), "qty": 0,
                                          "revenue_vnd": 0})
            row["qty"] += sign * int(total_qty)
            row["revenue_vnd"] += sign * int(total_amount)
    return sorted(rows.values(), key=lambda row: (-row["revenue_vnd"], str(row["key"])))


def raw_series(period, first_day, last_day) -> list[dict]:
    rows = {}
    cursor = services.period_start(first_day, period)
    while cursor <= last_day:
        rows[cursor] = {"period": cursor, "qty": 0, "revenue_vnd": 0}
        cursor = services._next_period(cursor, period)
    start, stop = summary.midnight(first_day), summary.midnight(last_day + timedelta(days=1))
    for head, line, head_id, amount, sign in ((Sale, SaleLine, SaleLine.sale_id, SaleLine.total_vnd, 1),
                                              (Refund, RefundLine, RefundLine.refund_id, RefundLine.amount_vnd, -1)):
        for created_at, qty, money in db.session.execute(select(head.created_at, line.qty, amount)
                                                         .join(head, head.id == head_id)
                                                         .where(head.created_at >= start, head.created_at < stop)):
            row = rows[services.period_start(created_at.astimezone(LOCAL).date(), period)]
            row["qty"] += sign * qty
            row["revenue_vnd"] += sign * money
    return list(rows.values())


def moments(rng: random.Random, first: date, last: date) -> list[datetime | None]:
    """Window ends of every kind: open, a month's first midnight, a midnight, any second of a day."""
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    return [None, summary.midnight(day.replace(day=1)), summary.midnight(day),
            summary.midnight(day) + timedelta(seconds=rng.randrange(86_400))]


def assert_reports_match_the_lines(app, first: date, last: date, windows: int = 12):
    rng = random.Random(11)
    with app.app_context():
        for n in range(windows):
            start, stop = rng.choice(moments(rng, first, last)), rng.choice(moments(rng, first, last))
            if start is not None and stop is not None and stop < start:
                start, stop = stop, start
            group_by = list(services.GROUPS)[n % len(services.GROUPS)]
            assert services.sales_report(group_by, start, stop) == raw_report(group_by, start, stop), (start, stop)
            location = rng.choice([None] + list(db.session.scalars(select(Location.id).order_by(Location.id))))
            raw_count = select(func.count()).select_from(Sale)
            raw_count = services._window(raw_count, Sale.created_at, start, stop)
            if location is not None:
                raw_count = raw_count.where(Sale.location_id == location)
            assert summary.count_sales(location, start, stop) == db.session.scalar(raw_count), (location, start, stop)
        for period in services.PERIODS:
            for first_day, last_day in ((first, last), (first + timedelta(days=17), last - timedelta(days=40)),
                                        (last - timedelta(days=3), last)):
                assert services.sales_series(period, first_day, last_day) == raw_series(period, first_day, last_day)


def test_the_summary_follows_pushed_sales_and_refunds(app, device):  # noqa: F811
    # Around a midnight and a month's end (local), two sales with two products, refunds the next day.
    sales = []
    for created_at in ("2026-10-31T23:59:59+07:00", "2026-11-01T00:00:00+07:00", "2026-11-01T06:59:59+07:00"):
        sold = sale(qty=3, created_at=created_at)
        sold["lines"].append({"sku": "MO-250", "qty": 2, "unit_price_vnd": 98_000, "discount_vnd": 1_000})
        sold["total_vnd"] += 195_000
        sales.append(sold)
    events = [event(n, payload=sold) for n, sold in enumerate(sales, start=1)]
    events.append(event(4, "refund", {"id": str(uuid.uuid4()), "sale_id": sales[0]["id"],
                                      "lines": [{"sku": "CF-500", "qty": 1, "amount_vnd": 145_000}]}))
    events.append(event(5, payload=sale(sku="NOPE")))  # rejected: adds nothing
    answer = push(device, events).get_json()
    assert [r["status"] for r in answer["results"]] == ["applied"] * 4 + ["rejected"]
    daily = assert_summary_is_the_lines(app)
    assert {key[0] for key in daily} >= {date(2026, 10, 31), date(2026, 11, 1)}
    with app.app_context():
        assert db.session.scalar(select(func.sum(SalesMonthly.sold_qty))) == 15
        assert db.session.scalar(select(func.sum(SalesDaily.refunded_qty))) == 1
    assert push(device, events).status_code == 200  # all duplicates: counted once
    assert_summary_is_the_lines(app)
    assert_reports_match_the_lines(app, date(2026, 10, 25), date(2026, 11, 30), windows=20)


def test_the_summary_follows_the_generator_and_the_reports_match_the_lines(app):
    with app.app_context():
        history.generate(years=0.5, lines=3_000, seed=4, until=date(2026, 3, 31))
        db.session.commit()
    assert_summary_is_the_lines(app)
    assert_reports_match_the_lines(app, date(2025, 9, 1), date(2026, 4, 2), windows=30)
    with app.app_context():  # a producer's page: from a month's start the summary, a microsecond before the lines
        for producer_id in db.session.scalars(select(Producer.id).order_by(Producer.id).limit(8)):
            for first in (date(2025, 10, 1), date(2026, 3, 1)):
                since = summary.midnight(first)
                assert producers.producer_sales(producer_id, since) == \
                    producers.producer_sales(producer_id, since - timedelta(microseconds=1))  # sales: whole seconds
        # The stock matrix's sales of the last days (from any moment on).
        locations = list(db.session.scalars(select(Location.id)))
        products = list(db.session.scalars(select(Product.id)))
        for since in (summary.midnight(date(2026, 3, 10)) + timedelta(hours=5, seconds=7),
                      summary.midnight(date(2026, 3, 18)), summary.midnight(date(2026, 3, 31)) - timedelta(hours=1)):
            raw: dict = {}
            for head, line, head_id, sign in ((Sale, SaleLine, SaleLine.sale_id, 1),
                                              (Refund, RefundLine, RefundLine.refund_id, -1)):
                for location_id, product_id, qty in db.session.execute(
                        select(head.location_id, line.product_id, line.qty).join(head, head.id == head_id)
                        .where(head.created_at >= since)):
                    raw[location_id, product_id] = raw.get((location_id, product_id), 0) + sign * qty
            assert sorted(stock.net_sold(locations, products, since)) == sorted((l, p, q) for (l, p), q in raw.items())


@pytest.mark.parametrize("start, stop, expected", [
    (None, None, ([], [], [(None, None)])),
    ("2026-03-10T10:00", "2026-03-10T11:00", ([("2026-03-10T10:00", "2026-03-10T11:00")], [], [])),
    ("2026-03-10T00:00", "2026-03-12T00:00", ([], [("2026-03-10", "2026-03-12")], [])),
    ("2026-03-10T10:00", "2026-05-03T08:00", ([("2026-03-10T10:00", "2026-03-11T00:00"),
                                              ("2026-05-03T00:00", "2026-05-03T08:00")],
                                             [("2026-03-11", "2026-04-01"), ("2026-05-01", "2026-05-03")],
                                             [("2026-04-01", "2026-05-01")])),
    ("2026-03-01T00:00", None, ([], [], [("2026-03-01", None)])),
    (None, "2026-03-05T00:00", ([], [("2026-03-01", "2026-03-05")], [(None, "2026-03-01")])),
])
def test_a_window_is_cut_into_months_days_and_the_ends_of_days(start, stop, expected):
    def moment(value):
        return datetime.fromisoformat(value).replace(tzinfo=LOCAL) if value else None

    def day(value):
        return date.fromisoformat(value) if value else None

    found = summary.parts(moment(start), moment(stop))
    raw, days, months = expected
    assert found.raw == [(moment(a), moment(b)) for a, b in raw]
    assert found.days == [(day(a), day(b)) for a, b in days]
    assert found.months == [(day(a), day(b)) for a, b in months]


def test_midnight_is_local():
    assert summary.midnight(date(2026, 3, 1)) == datetime(2026, 2, 28, 17, tzinfo=timezone.utc)
