"""What the central office reads: synced sales, sales reports net of refunds. Never commits."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Location, Producer, Product, Refund, RefundLine, Sale, SaleLine
from central_sync.network.services import location_by_code
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
    if location_code is not None:
        query = query.where(Sale.location_id == location_by_code(location_code).id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(Sale.created_at.desc(), Sale.id)
                              .limit(page_size).offset((page - 1) * page_size)).all()
    sales = [{"id": sale.id, "number": sale.number, "location": code, "created_at": sale.created_at.isoformat(),
              "total_vnd": sale.total_vnd, "received_at": sale.received_at.isoformat()} for sale, code in rows]
    return sales, max(1, -(-total // page_size))


def sales_report(group_by: str, start, stop) -> list[dict]:
    """Quantity and revenue per group, net of refunds (a refund counts when it was made)."""
    key, label = GROUPS[group_by]
    rows: dict = {}
    for sign, line, head, qty, amount in ((1, SaleLine, Sale, SaleLine.qty, SaleLine.total_vnd),
                                          (-1, RefundLine, Refund, RefundLine.qty, RefundLine.amount_vnd)):
        query = (select(key, label, func.sum(qty), func.sum(amount)).select_from(line)
                 .join(head, head.id == (line.sale_id if line is SaleLine else line.refund_id))
                 .join(Product, Product.id == line.product_id).join(Producer, Producer.id == Product.producer_id)
                 .join(Location, Location.id == head.location_id).group_by(key, label))
        for group, name, total_qty, total_amount in db.session.execute(_window(query, head.created_at, start, stop)):
            row = rows.setdefault(group, {"key": group, "label": _label(group_by, name), "qty": 0, "revenue_vnd": 0})
            row["qty"] += sign * int(total_qty)
            row["revenue_vnd"] += sign * int(total_amount)
    return sorted(rows.values(), key=lambda row: (-row["revenue_vnd"], str(row["key"])))


def _label(group_by: str, name) -> str:
    return f"{name} sao" if group_by == "ocop_stars" else (name or "")
