"""Stock as a ledger per location: movements and balances, transfers, adjustments. Never commits."""
from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from central_sync.catalog import product_by_sku, products_by_sku
from central_sync.database import insert_rows
from central_sync.extensions import db
from central_sync.models import (Alert, Device, Location, Product, StockBalance, StockMovement, Transfer,
                                 TransferLine, User, new_id, utcnow)
from central_sync.network.services import location_by_code
from central_sync.protocol import Conflict, NotFound, ValidationFailed

_BALANCES = StockBalance.__table__
_UPSERT_DIALECTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


_ADD_TO_BALANCES: dict = {}


def _add_to_balances():
    """INSERT ... ON CONFLICT DO UPDATE SET qty = qty + excluded.qty: never read-then-write, so that
    movements from many kiosks commute. Both SQLite and PostgreSQL speak it. Built once per dialect."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _ADD_TO_BALANCES:
        add = _UPSERT_DIALECTS[dialect](_BALANCES)
        _ADD_TO_BALANCES[dialect] = add.on_conflict_do_update(
            index_elements=[_BALANCES.c.location_id, _BALANCES.c.product_id],
            set_={"qty": _BALANCES.c.qty + add.excluded.qty})
    return _ADD_TO_BALANCES[dialect]


def move_stock(location_id: int, moves: dict[int, int], reason: str, *, ref: str | None = None,
               detail: str | None = None, user: User | None = None, device: Device | None = None,
               balances: bool = True) -> None:
    """Append {product id: delta} movements at one location to the ledger and add them to the balances
    (``balances=False`` when the caller has updated them itself)."""
    record_movements(location_id, [{"product_id": product_id, "delta": delta, "reason": reason, "ref": ref,
                                    "detail": detail} for product_id, delta in sorted(moves.items())],
                     user=user, device=device, balances=balances)


def record_movements(location_id: int, movements: list[dict], *, user: User | None = None,
                     device: Device | None = None, balances: bool = True) -> None:
    """Append movements ({product_id, delta, reason, ref, detail}) at one location in one statement, and add
    their sums per product to the balances in another."""
    movements = [m for m in movements if m["delta"]]
    if not movements:
        return
    now = utcnow()
    insert_rows(db.session, StockMovement, [
        {"location_id": location_id, "detail": None, **movement, "user_id": user.id if user else None,
         "device_id": device.id if device else None, "created_at": now} for movement in movements])
    if balances:
        sums: dict[int, int] = {}
        for movement in movements:
            sums[movement["product_id"]] = sums.get(movement["product_id"], 0) + movement["delta"]
        db.session.execute(_add_to_balances(), [{"location_id": location_id, "product_id": product_id, "qty": qty}
                                                for product_id, qty in sorted(sums.items()) if qty])


def lock_balances(location_id: int, product_ids) -> None:
    """Lock these products' balance rows at one location until the commit, in product order (PostgreSQL; SQLite
    has one writer at a time). A transaction that then moves them in another order (a push, in its events'
    order) cannot deadlock with one that moves them in product order (a transfer out, a receipt)."""
    ids = sorted(set(product_ids))
    if ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(StockBalance.product_id).where(StockBalance.location_id == location_id,
                                                                 StockBalance.product_id.in_(ids))
                           .order_by(StockBalance.product_id).with_for_update())


def stock_levels(location_code: str | None = None, sku: str | None = None) -> list[dict]:
    """On hand and in transit towards each location, per product: the rows of GET /stock."""
    on_hand = select(Location.code, Product.sku, StockBalance.qty).select_from(StockBalance) \
        .join(Location, Location.id == StockBalance.location_id).join(Product, Product.id == StockBalance.product_id)
    coming = select(Location.code, Product.sku, func.sum(TransferLine.qty)).select_from(TransferLine) \
        .join(Transfer, Transfer.id == TransferLine.transfer_id).join(Location, Location.id == Transfer.to_location_id) \
        .join(Product, Product.id == TransferLine.product_id).where(Transfer.status == "in_transit") \
        .group_by(Location.code, Product.sku)
    if location_code is not None:
        location_by_code(location_code)
        on_hand, coming = on_hand.where(Location.code == location_code), coming.where(Location.code == location_code)
    if sku is not None:
        product_by_sku(sku)
        on_hand, coming = on_hand.where(Product.sku == sku), coming.where(Product.sku == sku)
    rows: dict[tuple[str, str], dict] = {}
    for code, product_sku, qty in db.session.execute(on_hand):
        rows[code, product_sku] = {"location": code, "sku": product_sku, "qty": int(qty), "in_transit": 0}
    for code, product_sku, qty in db.session.execute(coming):
        row = rows.setdefault((code, product_sku), {"location": code, "sku": product_sku, "qty": 0, "in_transit": 0})
        row["in_transit"] = int(qty)
    return [rows[key] for key in sorted(rows)]


def ledger_sums() -> dict[tuple[int, int], int]:
    """The ledger summed per (location, product): what every balance must equal."""
    return {(l, p): int(total) for l, p, total in db.session.execute(
        select(StockMovement.location_id, StockMovement.product_id, func.sum(StockMovement.delta))
        .group_by(StockMovement.location_id, StockMovement.product_id))}


def create_transfer(from_code: str, to_code: str, lines: dict[str, int], user: User | None = None) -> Transfer:
    """Ship goods: they leave the source now (409 insufficient_stock if it lacks them) and are in transit."""
    source = location_by_code(from_code, "from_location")
    destination = location_by_code(to_code, "to_location")
    if source.id == destination.id:
        raise ValidationFailed("A transfer goes to another location.", field="to_location")
    products = products_by_sku(lines)
    for index, sku in enumerate(lines):
        if sku not in products:
            raise ValidationFailed(f"No product has SKU {sku}.", code="unknown_product", field=f"lines.{index}.sku")
    moves = {products[sku].id: qty for sku, qty in lines.items()}
    for product_id, qty in sorted(moves.items()):  # one order of row locks: concurrent transfers never deadlock
        taken = db.session.execute(
            update(StockBalance).where(StockBalance.location_id == source.id, StockBalance.product_id == product_id,
                                       StockBalance.qty >= qty).values(qty=StockBalance.qty - qty))
        if taken.rowcount != 1:
            sku = next(s for s, p in products.items() if p.id == product_id)
            raise Conflict(f"{source.code} does not hold {qty} of {sku}.", code="insufficient_stock", sku=sku,
                           field=f"lines.{list(lines).index(sku)}.qty")
    transfer = Transfer(id=new_id(), from_location_id=source.id, to_location_id=destination.id,
                        status="in_transit", created_by=user.id if user else None, shipped_at=utcnow())
    db.session.add(transfer)
    db.session.flush()
    db.session.execute(insert(TransferLine), [{"transfer_id": transfer.id, "product_id": p, "qty": q}
                                              for p, q in sorted(moves.items())])
    move_stock(source.id, {p: -q for p, q in moves.items()}, "transfer_out", ref=transfer.id, user=user,
               balances=False)
    return transfer


def transfer_lines(transfer_ids) -> dict[str, list[tuple[str, TransferLine]]]:
    """The lines of these transfers, with their SKUs."""
    lines: dict[str, list] = {transfer_id: [] for transfer_id in transfer_ids}
    for sku, line in db.session.execute(
            select(Product.sku, TransferLine).join(Product, Product.id == TransferLine.product_id)
            .where(TransferLine.transfer_id.in_(list(lines))).order_by(TransferLine.id)):
        lines[line.transfer_id].append((sku, line))
    return lines


def location_codes() -> dict[int, str]:
    return dict(db.session.execute(select(Location.id, Location.code)).all())


def list_transfers(status: str | None = None, location_code: str | None = None, limit: int = 200) -> list[Transfer]:
    query = select(Transfer).order_by(Transfer.shipped_at.desc()).limit(limit)
    if status is not None:
        query = query.where(Transfer.status == status)
    if location_code is not None:
        location = location_by_code(location_code)
        query = query.where((Transfer.to_location_id == location.id) | (Transfer.from_location_id == location.id))
    return list(db.session.scalars(query))


def get_transfer(transfer_id: str) -> Transfer:
    transfer = db.session.get(Transfer, transfer_id) if len(transfer_id) <= 36 else None
    if transfer is None:
        raise NotFound("No transfer has this id.")
    return transfer


def receive_transfer(transfer_id: str, received: dict[str, int], *, device: Device | None = None) -> Transfer:
    """What arrived at the destination goes on its stock; a line that arrived short (or over) becomes a
    `transfer_discrepancy` alert. A device may receive only what was shipped to its own location."""
    transfer = get_transfer(transfer_id)
    if device is not None and device.location_id != transfer.to_location_id:
        raise NotFound("No transfer has this id.")  # another location's transfer is not this device's business
    if transfer.status != "in_transit":
        raise Conflict("This transfer was received already.", code="transfer_already_received")
    lines = transfer_lines([transfer.id])[transfer.id]
    unknown = set(received) - {sku for sku, _ in lines}
    if unknown:
        raise ValidationFailed(f"{', '.join(sorted(unknown))} was not shipped in this transfer.", field="lines")
    for sku, line in lines:
        line.received_qty = received.get(sku, 0)
        if line.received_qty != line.qty:
            db.session.add(Alert(kind="transfer_discrepancy", location_id=transfer.to_location_id, sku=sku,
                                 ref=transfer.id, message=f"{sku}: shipped {line.qty}, received {line.received_qty}"))
    move_stock(transfer.to_location_id, {line.product_id: line.received_qty for _, line in lines}, "transfer_in",
               ref=transfer.id, device=device)
    transfer.status, transfer.received_at = "received", utcnow()
    return transfer


def adjust(location_code: str, sku: str, delta: int, reason: str, *, note: str | None = None,
           user: User | None = None, device: Device | None = None, ref: str | None = None) -> dict:
    """A correction of one product's stock at one location, with its reason (damaged, expired, count, other)."""
    if delta == 0:
        raise ValidationFailed("delta must not be zero.", field="delta")
    location, product = location_by_code(location_code), product_by_sku(sku)
    ref = ref or new_id()
    detail = f"{reason}: {note}" if note else reason
    move_stock(location.id, {product.id: delta}, "count" if reason == "count" else "adjustment", ref=ref,
               detail=detail[:200], user=user, device=device)
    qty = db.session.scalar(select(StockBalance.qty).where(StockBalance.location_id == location.id,
                                                           StockBalance.product_id == product.id))
    return {"id": ref, "location": location.code, "sku": sku, "delta": delta, "reason": reason, "qty": qty}


# For the admin pages.
def location_stock(location_code: str) -> list[tuple[Product, int, int]]:
    """(product, on hand, in transit) at one location, for every product it holds or awaits."""
    rows = stock_levels(location_code)
    products = products_by_sku(row["sku"] for row in rows)
    return [(products[row["sku"]], row["qty"], row["in_transit"]) for row in rows]
