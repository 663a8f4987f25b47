"""Applying a device's pushed events exactly once, in its seq order (CONTRACT.md "Sync"). Never commits.

The device's row is locked first (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), so two pushes of one
device run one after the other: the second sees the first's events as duplicates. A run of sales is written
under one savepoint (central_sync.sync.sales), any other event and its effects under its own; the primary
key of sync_events (the event id) guards against a second copy."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from central_sync.database import insert_rows
from central_sync.extensions import db
from central_sync.models import Alert, Device, Product, StockBalance, SyncEvent, utcnow
from central_sync.protocol import Conflict, DomainError, ValidationFailed
from central_sync.stock.services import lock_balances
from central_sync.sync import effects, sales
from central_sync.sync.effects import Lookups

EFFECTS = {**effects.EFFECTS, "sale": sales.apply_sale}


def fingerprint(event) -> str:
    canonical = json.dumps({"type": event.type, "payload": event.payload}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_device(device: Device) -> Device:
    """The device's row, re-read under a write lock held until the commit."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite has not begun one: only SELECTs ran so far
    return db.session.scalars(select(Device).where(Device.id == device.id).with_for_update(of=Device)
                              .execution_options(populate_existing=True)).one()


def push(device: Device, events: list) -> dict:
    """Handle ``events`` (envelope events: seq, id, type, occurred_at, payload) for ``device``; the answer's body.
    A seq conflict, a gap or a reused id raises, and nothing of the request is kept."""
    device = lock_device(device)
    events = sorted(events, key=lambda e: e.seq)
    known = {e.id: (e.device_id, e.fingerprint, e.seq)
             for e in db.session.scalars(select(SyncEvent).where(SyncEvent.id.in_({e.id for e in events})))}
    new, results = [], []
    last_seq = device.last_seq
    for event in events:
        digest = fingerprint(event)
        seen = known.get(event.id)
        if seen is not None:
            if seen[:2] != (device.id, digest):
                raise ValidationFailed(f"Event {event.id} was received before with another content.",
                                       code="idempotency_conflict", field="events")
            if seen[2] != event.seq:
                raise _seq_conflict(event, device)
            results.append({"seq": event.seq, "id": event.id, "status": "duplicate", "code": None})
        elif event.seq <= last_seq:
            raise _seq_conflict(event, device)
        elif event.seq > last_seq + 1:
            raise Conflict(f"Event seq {event.seq} skips events; send from seq {last_seq + 1}.",
                           code="seq_gap", expected_seq=last_seq + 1)
        else:
            known[event.id] = (device.id, digest, event.seq)
            last_seq = event.seq
            new.append((event, digest))
            results.append({"seq": event.seq, "id": event.id})
    outcomes = _apply_in_runs(device, new)
    for result in results:
        result.setdefault("status", outcomes.get(result["id"], ("duplicate", None))[0])
        result.setdefault("code", outcomes.get(result["id"], (None, None))[1])
    device.last_seq = last_seq  # written once: set per event, it would be flushed as each savepoint began
    device.last_sync_at = utcnow()
    return {"acked_seq": last_seq, "results": results}


def _apply_in_runs(device: Device, new: list) -> dict[str, tuple[str, str | None]]:
    """Apply new events in seq order: a run of sales together, any other event on its own. Event id ->
    (status, code)."""
    lookups, outcomes, run = Lookups(), {}, []
    _lock_balances(device, [event.payload for event, _ in new], lookups)
    for event, digest in [*new, (None, None)]:
        if event is not None and event.type == "sale":
            run.append((event, digest))
            continue
        if run:
            outcomes.update(_apply_sales(device, run, lookups))
            run = []
        if event is not None:
            outcomes[event.id] = _apply(device, event, digest, lookups)
    return outcomes


def _lock_balances(device: Device, payloads: list, lookups: Lookups) -> None:
    """Before any event moves stock, lock the balances the events name (a line's or the payload's SKU) at the
    device's location, in product order: the events would lock them in their own order, and deadlock with an
    admin's transfer out of this location, which locks them in product order."""
    skus: set[str] = set()
    for payload in payloads:
        lines = payload.get("lines") if isinstance(payload, dict) else None
        for named in [payload] + (lines if isinstance(lines, list) else []):
            if isinstance(named, dict) and isinstance(named.get("sku"), str):
                skus.add(named["sku"])
    effects.preload(skus, lookups)
    lock_balances(device.location_id, [lookups.products[sku].id for sku in skus if sku in lookups.products])


def _seq_conflict(event, device: Device) -> Conflict:
    """`expected_seq` is the seq central would apply next: a kiosk restored from an old backup goes on from
    there (`flask --app kiosk sync --after-restore`)."""
    return Conflict(f"Seq {event.seq} was used by another event: nothing was applied. Was the kiosk restored from "
                    f"a backup? Then run `flask --app kiosk sync --after-restore` on it (README \"Backups and "
                    f"restore\").", code="seq_conflict", seq=event.seq, expected_seq=device.last_seq + 1)


def _event_row(device: Device, event, digest: str, status: str = "applied", code: str | None = None) -> dict:
    return {"id": event.id, "device_id": device.id, "location_id": device.location_id, "seq": event.seq,
            "type": event.type, "occurred_at": event.occurred_at, "payload": event.payload, "fingerprint": digest,
            "status": status, "code": code, "received_at": utcnow()}


def _apply_sales(device: Device, run: list, lookups: Lookups) -> dict[str, tuple[str, str | None]]:
    """A run of sale events in one savepoint (rejected ones kept as such); should it fail on a constraint (a
    sale or event id taken meanwhile by another device), each event again on its own."""
    batch = sales.prepare(device, [(event.id, event.payload) for event, _ in run], lookups)
    try:
        with db.session.begin_nested():
            insert_rows(db.session, SyncEvent, [_event_row(device, event, digest) for event, digest in run
                                                if event.id not in batch.rejected])
            sales.write(device, batch)
            for event, digest in run:
                if event.id in batch.rejected:
                    _reject(device, event, digest, batch.rejected[event.id])
    except IntegrityError:
        return {event.id: _apply(device, event, digest, lookups) for event, digest in run}
    return {event.id: ("rejected", _code(batch.rejected[event.id])) if event.id in batch.rejected
            else ("applied", None) for event, _ in run}


def _apply(device: Device, event, digest: str, lookups: Lookups) -> tuple[str, str | None]:
    effect = EFFECTS.get(event.type)
    try:
        with db.session.begin_nested():
            db.session.execute(insert(SyncEvent), [_event_row(device, event, digest)])
            if effect is None:
                raise DomainError(f"Unknown event type {event.type}.", code="unknown_type")
            effect(device, event.payload, lookups)
            db.session.flush()
        return "applied", None
    except IntegrityError:
        raise ValidationFailed(f"Event id {event.id} is taken.", code="idempotency_conflict", field="events") from None
    except DomainError as error:
        _reject(device, event, digest, error)
        return "rejected", _code(error)


def _code(error: DomainError) -> str:
    return ("unknown_transfer" if error.code == "not_found" else error.code)[:64]


def _reject(device: Device, event, digest: str, error: DomainError) -> None:
    """Keep an event that can never be applied, for review, with its alert."""
    db.session.execute(insert(SyncEvent), [_event_row(device, event, digest, "rejected", _code(error))])
    db.session.execute(insert(Alert), [{"kind": "rejected_event", "location_id": device.location_id,
                                        "sku": error.extra.get("sku"), "ref": event.id,
                                        "message": f"{event.type} #{event.seq}: {error.message}"[:500]}])


def stock_of(device: Device) -> dict:
    """The stock on hand at the device's location by SKU, with the last seq of the device it counts (the device's
    row locked first: no push of it lands between the two). For a kiosk restored from an old backup, whose own
    figures lack the sales of the lost hours."""
    device = lock_device(device)
    rows = db.session.execute(select(Product.sku, StockBalance.qty).join(Product, Product.id == StockBalance.product_id)
                              .where(StockBalance.location_id == device.location_id).order_by(Product.sku)).all()
    return {"acked_seq": device.last_seq, "stock": [{"sku": sku, "qty": qty} for sku, qty in rows]}
