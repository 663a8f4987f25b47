"""The stock ledger on the kiosk: movements, balances, adjustments, counts and transfers in. Never commits."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from kiosk.audit import services as audit
from kiosk.catalog.services import products_by_sku
from kiosk.errors import Conflict, NotFound, ValidationFailed
from kiosk.extensions import db
from kiosk.models import Product, StockBalance, StockMovement, Transfer, TransferLine, User, new_id, utcnow
from kiosk.sync.outbox import record_event


_BALANCES = StockBalance.__table__
_add = insert(_BALANCES)
# qty = qty + delta, never read-then-write: concurrent movements commute.
ADD_TO_BALANCE = _add.on_conflict_do_update(index_elements=[_BALANCES.c.product_id],
                                            set_={"qty": _BALANCES.c.qty + _add.excluded.qty})
_INSERT_MOVEMENT = insert(StockMovement.__table__)


def move_stock(moves: list[tuple[int, int]], reason: str, *, ref: str | None = None,
               user: User | None = None, detail: str | None = None) -> None:
    """Append (product id, delta) movements to the ledger and add them to the balances, in two statements."""
    if not moves:
        return
    now, user_id = utcnow(), user.id if user else None
    connection = db.session.connection()
    connection.execute(_INSERT_MOVEMENT, [
        {"product_id": product_id, "delta": delta, "reason": reason, "detail": detail, "ref": ref,
         "user_id": user_id, "created_at": now} for product_id, delta in moves])
    totals: dict[int, int] = {}
    for product_id, delta in moves:
        totals[product_id] = totals.get(product_id, 0) + delta
    connection.execute(ADD_TO_BALANCE, [{"product_id": p, "qty": delta} for p, delta in totals.items()])


def balances(product_ids) -> dict[int, int]:
    """Stock on hand of these products (0 for one never stocked)."""
    ids = list(product_ids)
    rows = db.session.execute(select(StockBalance.product_id, StockBalance.qty)
                              .where(StockBalance.product_id.in_(ids))).all()
    return {**dict.fromkeys(ids, 0), **dict(rows)}


def record_movement(product_id: int, delta: int, reason: str, **details) -> int:
    """One movement; returns the product's new balance."""
    move_stock([(product_id, delta)], reason, **details)
    return balances([product_id])[product_id]


def stock_levels() -> list[tuple[Product, int]]:
    rows = db.session.execute(
        select(Product, StockBalance.qty).outerjoin(StockBalance, StockBalance.product_id == Product.id)
        .where(Product.active.is_(True)).order_by(Product.name)).all()
    return [(product, qty or 0) for product, qty in rows]


def _product(sku: str, field: str = "sku") -> Product:
    product = products_by_sku([sku]).get(sku)
    if product is None:
        raise ValidationFailed(f"No product has SKU {sku}.", code="unknown_product", field=field)
    return product


def adjust(sku: str, delta: int, reason: str, user: User, note: str | None = None) -> dict:
    product = _product(sku)
    adjustment_id = new_id()
    qty = record_movement(product.id, delta, "count" if reason == "count" else "adjustment",
                          ref=adjustment_id, user=user, detail=reason)
    record_event("stock_adjustment", {"id": adjustment_id, "sku": sku, "delta": delta, "reason": reason,
                                      "note": note})
    audit.record(user, "stock.adjust", "product", sku, delta=delta, reason=reason, note=note, qty_after=qty)
    return {"id": adjustment_id, "sku": sku, "delta": delta, "reason": reason, "qty": qty}


def record_count(counted: dict[str, int], user: User) -> list[dict]:
    """A stock count: each counted quantity becomes an adjustment of the difference."""
    levels = {product.sku: qty for product, qty in stock_levels()}
    changes = []
    for sku, qty in counted.items():
        if sku not in levels:
            raise ValidationFailed(f"No product has SKU {sku}.", code="unknown_product", field=sku)
        if qty != levels[sku]:
            changes.append(adjust(sku, qty - levels[sku], "count", user))
    return changes


def list_transfers() -> list[tuple[Transfer, list[TransferLine]]]:
    transfers = db.session.scalars(
        select(Transfer).order_by(Transfer.status.desc(), Transfer.shipped_at.desc())).all()
    lines = db.session.scalars(select(TransferLine).order_by(TransferLine.id)).all()
    by_transfer: dict[str, list[TransferLine]] = {}
    for line in lines:
        by_transfer.setdefault(line.transfer_id, []).append(line)
    return [(t, by_transfer.get(t.id, [])) for t in transfers]


def receive_transfer(transfer_id: str, received: dict[str, int], user: User) -> Transfer:
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound("No transfer has this id.")
    if transfer.status != "in_transit":
        raise Conflict("This transfer was received already.", code="transfer_already_received")
    lines = db.session.scalars(select(TransferLine).where(TransferLine.transfer_id == transfer_id)).all()
    shipped = {line.sku for line in lines}
    if set(received) != shipped:
        raise ValidationFailed("Give a received_qty for each line of the transfer, and no other SKU.",
                               field="lines")
    products = products_by_sku(shipped)
    last = {line.sku: line for line in lines}  # a SKU shipped on several lines: the last takes any surplus
    left = dict(received)
    for line in lines:
        line.received_qty = left[line.sku] if line is last[line.sku] else min(left[line.sku], line.qty)
        left[line.sku] -= line.received_qty
    move_stock([(products[l.sku].id, l.received_qty) for l in lines if l.received_qty and l.sku in products],
               "transfer_in", ref=transfer_id, user=user)
    transfer.status, transfer.received_at, transfer.received_by = "received", utcnow(), user.id
    record_event("transfer_receipt", {"transfer_id": transfer_id,
                                      "lines": [{"sku": l.sku, "received_qty": l.received_qty} for l in lines]})
    audit.record(user, "transfer.receive", "transfer", transfer_id,
                 lines={l.sku: [l.qty, l.received_qty] for l in lines})
    return transfer


def stock_state(qty: int, low_threshold: int) -> str:
    """`negative` (more sold than recorded), `low` (at or under the threshold) or `ok`."""
    if qty < 0:
        return "negative"
    return "low" if qty <= low_threshold else "ok"
