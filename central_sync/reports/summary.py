"""Reading the sales summary (sales_daily, sales_monthly, sales_day_counts: see central_sync.models.summary)
for any window.

A window [start, stop) of UTC moments is cut into the whole local months inside it (read from
sales_monthly), the whole local days around them (sales_daily) and, at its two ends, what is left of a day
(read from the sales and refunds themselves, by their created_at index): so that every figure is exactly
the one summed over the raw lines, at a cost that no longer grows with the years of sales. Never commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Location, Producer, Product, Sale, SalesDaily, SalesDayCount, SalesMonthly

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
Range = tuple  # (first, stop): datetimes for raw parts, dates for summary parts; None is unbounded


@dataclass
class Parts:
    raw: list[Range] = field(default_factory=list)  # [start, stop) moments read from the lines
    days: list[Range] = field(default_factory=list)  # [first day, stop day) from sales_daily
    months: list[Range] = field(default_factory=list)  # [first month, stop month) from sales_monthly


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL)


def _month_after(day: date) -> date:
    """The first day of the first month starting on or after ``day``."""
    return day if day.day == 1 else (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def parts(start: datetime | None, stop: datetime | None, *, months: bool = True) -> Parts:
    """The pieces of [start, stop) (None: unbounded) as described above; ``months=False``: days only."""
    first_day = None
    if start is not None:
        local = start.astimezone(LOCAL)
        first_day = local.date() + timedelta(days=0 if local == midnight(local.date()) else 1)
    stop_day = stop.astimezone(LOCAL).date() if stop is not None else None
    if first_day is not None and stop_day is not None and first_day >= stop_day:
        return Parts(raw=[(start, stop)] if start < stop else [])
    found = Parts()
    if start is not None and start < midnight(first_day):
        found.raw.append((start, midnight(first_day)))
    if stop is not None and midnight(stop_day) < stop:
        found.raw.append((midnight(stop_day), stop))
    first_month = _month_after(first_day) if first_day is not None else None
    stop_month = stop_day.replace(day=1) if stop_day is not None else None
    if not months or (first_month is not None and stop_month is not None and first_month >= stop_month):
        found.days.append((first_day, stop_day))
        return found
    found.months.append((first_month, stop_month))
    if first_day is not None and first_day < first_month:
        found.days.append((first_day, first_month))
    if stop_day is not None and stop_month < stop_day:
        found.days.append((stop_month, stop_day))
    return found


def _between(query, column, first, stop):
    if first is not None:
        query = query.where(column >= first)
    if stop is not None:
        query = query.where(column < stop)
    return query


def _tables(found: Parts):
    for table, column, ranges in ((SalesDaily, SalesDaily.day, found.days),
                                  (SalesMonthly, SalesMonthly.month, found.months)):
        for first, stop in ranges:
            yield table, column, first, stop


def report(key, label, found: Parts) -> list[tuple]:
    """(group, label, net qty, net revenue) per group of the summary parts of a window."""
    rows = []
    for table, column, first, stop in _tables(found):
        query = (select(key, label, func.sum(table.sold_qty - table.refunded_qty),
                        func.sum(table.sold_vnd - table.refunded_vnd)).select_from(table)
                 .join(Product, Product.id == table.product_id).join(Producer, Producer.id == Product.producer_id)
                 .join(Location, Location.id == table.location_id).group_by(key, label))
        rows += db.session.execute(_between(query, column, first, stop)).all()
    return rows


def by_day(first: date | None, stop: date | None) -> dict[date, tuple[int, int]]:
    """{day: (net qty, net revenue)} of the whole local days [first, stop) that sold or refunded anything."""
    query = (select(SalesDaily.day, func.sum(SalesDaily.sold_qty - SalesDaily.refunded_qty),
                    func.sum(SalesDaily.sold_vnd - SalesDaily.refunded_vnd)).group_by(SalesDaily.day))
    return {day: (int(qty), int(amount))
            for day, qty, amount in db.session.execute(_between(query, SalesDaily.day, first, stop))}


def by_month(first: date | None, stop: date | None) -> dict[date, tuple[int, int]]:
    """{first day of month: (net qty, net revenue)} of the whole local months [first, stop)."""
    query = (select(SalesMonthly.month, func.sum(SalesMonthly.sold_qty - SalesMonthly.refunded_qty),
                    func.sum(SalesMonthly.sold_vnd - SalesMonthly.refunded_vnd)).group_by(SalesMonthly.month))
    return {month: (int(qty), int(amount))
            for month, qty, amount in db.session.execute(_between(query, SalesMonthly.month, first, stop))}


def count_sales(location_id: int | None, start: datetime | None, stop: datetime | None) -> int:
    """How many sales (at ``location_id``, or anywhere) were made in [start, stop): the whole days from
    sales_day_counts, the ends of days counted in `sales`."""
    found, total = parts(start, stop, months=False), 0
    for first, stop_day in found.days:
        query = _between(select(func.coalesce(func.sum(SalesDayCount.sales), 0)), SalesDayCount.day, first, stop_day)
        if location_id is not None:
            query = query.where(SalesDayCount.location_id == location_id)
        total += int(db.session.scalar(query))
    for raw_start, raw_stop in found.raw:
        query = _between(select(func.count()).select_from(Sale), Sale.created_at, raw_start, raw_stop)
        if location_id is not None:
            query = query.where(Sale.location_id == location_id)
        total += db.session.scalar(query)
    return total
