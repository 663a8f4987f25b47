"""A producer's page: what a cooperative is paid on, its sales by month net of refunds. Never commits."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Product, Refund, RefundLine, Sale, SaleLine, SalesMonthly, utcnow

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH_CHOICES = (12, 24, 36)


def first_month(months: int, now: datetime | None = None) -> datetime:
    """The first moment (local) of the month ``months - 1`` months before this one."""
    today = (now or utcnow()).astimezone(LOCAL).date()
    index = today.year * 12 + today.month - 1 - (months - 1)
    return datetime.combine(date(index // 12, index % 12 + 1, 1), time(), LOCAL)


def _month(column):
    """A UTC timestamp's local month as 'YYYY-MM' (Asia/Ho_Chi_Minh is UTC+7 all year)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Ho_Chi_Minh", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


def producer_sales(producer_id: int, since: datetime) -> list[dict]:
    """Per (month, product) of this producer's goods since ``since``: quantity and revenue sold, refunded and
    net (a refund counts in the month it was made). Two grouped queries; one on the monthly summary when
    ``since`` is a month's first local midnight (as first_month gives)."""
    local = since.astimezone(LOCAL)
    if local.day == 1 and local.time() == time():
        return _from_summary(producer_id, local.date())
    rows: dict[tuple[str, int], dict] = {}
    for kind, line, head, head_id, amount in (("sold", SaleLine, Sale, SaleLine.sale_id, SaleLine.total_vnd),
                                              ("refunded", RefundLine, Refund, RefundLine.refund_id,
                                               RefundLine.amount_vnd)):
        month = _month(head.created_at).label("month")
        for key, product_id, qty, total in db.session.execute(
                select(month, line.product_id, func.sum(line.qty), func.sum(amount))
                .join(head, head.id == head_id).join(Product, Product.id == line.product_id)
                .where(Product.producer_id == producer_id, head.created_at >= since)
                .group_by(month, line.product_id)):
            row = rows.setdefault((key, product_id), {"month": key, "product_id": product_id, "sold_qty": 0,
                                                      "sold_vnd": 0, "refunded_qty": 0, "refunded_vnd": 0})
            row[f"{kind}_qty"] += int(qty)
            row[f"{kind}_vnd"] += int(total)
    for row in rows.values():
        row["net_qty"], row["net_vnd"] = row["sold_qty"] - row["refunded_qty"], row["sold_vnd"] - row["refunded_vnd"]
    return [rows[key] for key in sorted(rows)]


def _from_summary(producer_id: int, first: date) -> list[dict]:
    """producer_sales from ``first`` (a month's first day) on, read from sales_monthly: the same rows."""
    rows = []
    for month, product_id, *sums in db.session.execute(
            select(SalesMonthly.month, SalesMonthly.product_id, func.sum(SalesMonthly.sold_qty),
                   func.sum(SalesMonthly.sold_vnd), func.sum(SalesMonthly.refunded_qty),
                   func.sum(SalesMonthly.refunded_vnd))
            .join(Product, Product.id == SalesMonthly.product_id)
            .where(Product.producer_id == producer_id, SalesMonthly.month >= first)
            .group_by(SalesMonthly.month, SalesMonthly.product_id)):
        sold_qty, sold_vnd, refunded_qty, refunded_vnd = map(int, sums)
        rows.append({"month": f"{month:%Y-%m}", "product_id": product_id, "sold_qty": sold_qty, "sold_vnd": sold_vnd,
                     "refunded_qty": refunded_qty, "refunded_vnd": refunded_vnd, "net_qty": sold_qty - refunded_qty,
                     "net_vnd": sold_vnd - refunded_vnd})
    return sorted(rows, key=lambda row: (row["month"], row["product_id"]))


def _add(into: dict, row: dict) -> None:
    for name in ("sold_qty", "sold_vnd", "refunded_qty", "refunded_vnd", "net_qty", "net_vnd"):
        into[name] = into.get(name, 0) + row[name]


def by_month(rows: list[dict]) -> list[dict]:
    """The rows of producer_sales summed per month, newest first."""
    months: dict[str, dict] = {}
    for row in rows:
        _add(months.setdefault(row["month"], {"month": row["month"]}), row)
    return [months[key] for key in sorted(months, reverse=True)]


def by_product(rows: list[dict]) -> dict[int, dict]:
    """The rows of producer_sales summed per product id."""
    products: dict[int, dict] = {}
    for row in rows:
        _add(products.setdefault(row["product_id"], {}), row)
    return products
