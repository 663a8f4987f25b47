"""What the central office reads: synced sales, sales reports net of refunds. Never commits."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Location, Producer, Product, Refund, RefundLine, Sale, SaleLine
from central_sync.network.services import location_by_code
from central_sync.reports import summary
from central_sync.protocol import ValidationFailed

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
GROUPS = {  # group_by -> (key, label) columns
    "product": (Product.sku, Product.name),
    "producer": (Producer.id, Producer.name),
    "location": (Location.code, Location.name),
    "district": (Location.district, Location.district),
    "ocop_stars": (Product.ocop_stars, Product.ocop_stars),
}


def parse_moment(name: str, value: str | None, *, end: bool = False) -> datetime | None:
    """A query's `from`/`to`: a date (a whole local day; `to` includes it) or a datetime (local unless it has
    an offset)."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), LOCAL)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{name} is a date (2026-03-31) or an ISO 8601 time.", field=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)


def _window(query, column, start: datetime | None, stop: datetime | None):
    if start is not None:
        query = query.where(column >= start)
    if stop is not None:
        query = query.where(column < stop)
    return query


def list_sales(location_code: str | None, start, stop, page: int, page_size: int) -> tuple[list[dict], int]:
    query = _window(select(Sale, Location.code).join(Location, Location.id == Sale.location_id),
                    Sale.created_at, start, stop)
    location_id = location_by_code(location_code).id if location_code is not None else None
    if location_id is not None:
        query = query.where(Sale.location_id == location_id)
    total = summary.count_sales(location_id, start, stop)  # whole days from sales_day_counts
    rows = db.session.execute(query.order_by(Sale.created_at.desc(), Sale.id)
                              .limit(page_size).offset((page - 1) * page_size)).all()
    sales = [{"id": sale.id, "number": sale.number, "location": code, "created_at": sale.created_at.isoformat(),
              "total_vnd": sale.total_vnd, "received_at": sale.received_at.isoformat()} for sale, code in rows]
    return sales, max(1, -(-total // page_size))


def sales_report(group_by: str, start, stop) -> list[dict]:
    """Quantity and revenue per group, net of refunds (a refund counts when it was made)."""
    key, label = GROUPS[group_by]
    rows: dict = {}
    window = summary.parts(start, stop)  # whole months and days from the summary, the ends of days from the lines
    found = summary.report(key, label, window)
    for raw_start, raw_stop in window.raw:
        for sign, line, head, qty, amount in ((1, SaleLine, Sale, SaleLine.qty, SaleLine.total_vnd),
                                              (-1, RefundLine, Refund, RefundLine.qty, RefundLine.amount_vnd)):
            query = (select(key, label, sign * func.sum(qty), sign * func.sum(amount)).select_from(line)
                     .join(head, head.id == (line.sale_id if line is SaleLine else line.refund_id))
                     .join(Product, Product.id == line.product_id).join(Producer, Producer.id == Product.producer_id)
                     .join(Location, Location.id == head.location_id).group_by(key, label))
            found += db.session.execute(_window(query, head.created_at, raw_start, raw_stop)).all()
    for group, name, total_qty, total_amount in found:
        row = rows.setdefault(group, {"key": group, "label": _label(group_by, name), "qty": 0, "revenue_vnd": 0})
        row["qty"] += int(total_qty)
        row["revenue_vnd"] += int(total_amount)
    return sorted(rows.values(), key=lambda row: (-row["revenue_vnd"], str(row["key"])))


def _label(group_by: str, name) -> str:
    return f"{name} sao" if group_by == "ocop_stars" else (name or "")


PERIODS = ("day", "week", "month")


def _local_day(column):
    """The local calendar day (Asia/Ho_Chi_Minh) of a UTC column, computed by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(str(LOCAL), column))
    return func.date(column, "+7 hours")  # SQLite keeps naive UTC; Việt Nam has had no DST since 1975


def period_start(day: date, period: str) -> date:
    """The first day of the day, ISO week (Monday) or month ``day`` falls in."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_period(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=1)


def sales_by_day(start: datetime, stop: datetime) -> dict[date, tuple[int, int]]:
    """{local day: (qty, revenue_vnd)} net of refunds (a refund counts on the day it was made) for the days with
    any sale or refund in [start, stop)."""
    window = summary.parts(start, stop, months=False)  # whole days from the summary, the ends from the lines
    days: dict[date, tuple[int, int]] = {}
    for first, stop_day in window.days:
        days.update(summary.by_day(first, stop_day))
    for raw_start, raw_stop in window.raw:
        for sign, line, head, qty, amount in ((1, SaleLine, Sale, SaleLine.qty, SaleLine.total_vnd),
                                              (-1, RefundLine, Refund, RefundLine.qty, RefundLine.amount_vnd)):
            day = _local_day(head.created_at)
            query = (select(day, func.sum(qty), func.sum(amount)).select_from(line)
                     .join(head, head.id == (line.sale_id if line is SaleLine else line.refund_id)).group_by(day))
            for found, total_qty, total_amount in db.session.execute(_window(query, head.created_at, raw_start,
                                                                             raw_stop)):
                found = found if isinstance(found, date) else date.fromisoformat(found)
                old_qty, old_amount = days.get(found, (0, 0))
                days[found] = (old_qty + sign * int(total_qty), old_amount + sign * int(total_amount))
    return days


def sales_series(period: str, first_day: date, last_day: date) -> list[dict]:
    """Quantity and revenue net of refunds per local day, week (from Monday) or month from ``first_day`` to
    ``last_day`` (both included), every period listed, those without sales at zero:
    [{period: its first day, qty, revenue_vnd}]."""
    start = datetime.combine(first_day, time(), LOCAL)
    stop = datetime.combine(last_day + timedelta(days=1), time(), LOCAL)
    rows: dict[date, dict] = {}
    cursor = period_start(first_day, period)
    while cursor <= last_day:
        rows[cursor] = {"period": cursor, "qty": 0, "revenue_vnd": 0}
        cursor = _next_period(cursor, period)
    found = {}
    if period == "month":  # whole months from the monthly summary, the days around them day by day
        window = summary.parts(start, stop)
        for first, stop_month in window.months:
            found.update(summary.by_month(first, stop_month))
        for first, stop_day in window.days:
            found.update(summary.by_day(first, stop_day))
    else:
        found = sales_by_day(start, stop)
    for day, (qty, amount) in found.items():
        row = rows[period_start(day, period)]
        row["qty"] += qty
        row["revenue_vnd"] += amount
    return list(rows.values())


def top_and_bottom_products(start, stop, limit: int = 10, report: list[dict] | None = None
                            ) -> tuple[list[dict], list[dict]]:
    """The ``limit`` best and worst selling products by revenue net of refunds in [start, stop): rows as
    ``sales_report("product", ...)``'s (``report``, when the caller has them already); the worst include the
    active products that sold nothing at all (qty and revenue 0), worst first."""
    report = sales_report("product", start, stop) if report is None else report
    sold = {row["key"] for row in report}
    unsold = [{"key": sku, "label": name, "qty": 0, "revenue_vnd": 0}
              for sku, name in db.session.execute(select(Product.sku, Product.name)
                                                  .where(Product.active.is_(True)).order_by(Product.sku))
              if sku not in sold]
    everything = report + unsold
    top = [row for row in report if row["revenue_vnd"] > 0][:limit]
    bottom = sorted(everything, key=lambda row: (row["revenue_vnd"], row["qty"], str(row["key"])))[:limit]
    return top, bottom
