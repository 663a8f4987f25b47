"""Applying a device's pushed events exactly once, in its seq order (CONTRACT.md "Sync"). Never commits.

The device's row is locked first (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), so two pushes of one
device run one after the other: the second sees the first's events as duplicates. Each event and its effects
are written under a savepoint; the primary key of sync_events (the event id) guards against a second copy."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from central_sync.extensions import db
from central_sync.models import Alert, Device, SyncEvent, utcnow
from central_sync.protocol import Conflict, DomainError, ValidationFailed
from central_sync.sync.effects import EFFECTS, Lookups


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
    known = {e.id: e for e in db.session.scalars(select(SyncEvent).where(SyncEvent.id.in_({e.id for e in events})))}
    lookups = Lookups()  # products and prices, looked up once for the whole request
    results = []
    # The device's row is written once, at the end: set after each event, it would be flushed (one more
    # UPDATE) as the next event's savepoint begins. Any error below rolls the whole request back anyway.
    last_seq = device.last_seq
    for event in events:
        digest = fingerprint(event)
        seen = known.get(event.id)
        if seen is not None:
            if seen.device_id != device.id or seen.fingerprint != digest:
                raise ValidationFailed(f"Event {event.id} was received before with another content.",
                                       code="idempotency_conflict", field="events")
            if seen.seq != event.seq:
                raise _seq_conflict(event)
            results.append({"seq": event.seq, "id": event.id, "status": "duplicate", "code": None})
        elif event.seq <= last_seq:
            raise _seq_conflict(event)
        elif event.seq > last_seq + 1:
            raise Conflict(f"Event seq {event.seq} skips events; send from seq {last_seq + 1}.",
                           code="seq_gap", expected_seq=last_seq + 1)
        else:
            known[event.id] = stored = _apply(device, event, digest, lookups)
            last_seq = event.seq
            results.append({"seq": event.seq, "id": event.id, "status": stored.status, "code": stored.code})
    device.last_seq = last_seq
    device.last_sync_at = utcnow()
    return {"acked_seq": last_seq, "results": results}


def _seq_conflict(event) -> Conflict:
    return Conflict(f"Seq {event.seq} was used by another event (was the kiosk restored from a backup?).",
                    code="seq_conflict", seq=event.seq)


def _apply(device: Device, event, digest: str, lookups: Lookups) -> SyncEvent:
    stored = SyncEvent(id=event.id, device_id=device.id, location_id=device.location_id, seq=event.seq,
                       type=event.type, occurred_at=event.occurred_at, payload=event.payload, fingerprint=digest,
                       status="applied")
    effect = EFFECTS.get(event.type)
    try:
        with db.session.begin_nested():
            db.session.add(stored)
            db.session.flush()
            if effect is None:
                raise DomainError(f"Unknown event type {event.type}.", code="unknown_type")
            effect(device, event.payload, lookups)
            db.session.flush()
        return stored
    except IntegrityError:
        raise ValidationFailed(f"Event id {event.id} is taken.", code="idempotency_conflict", field="events") from None
    except DomainError as error:
        code = "unknown_transfer" if error.code == "not_found" else error.code
        stored = SyncEvent(id=event.id, device_id=device.id, location_id=device.location_id, seq=event.seq,
                           type=event.type, occurred_at=event.occurred_at, payload=event.payload,
                           fingerprint=digest, status="rejected", code=code[:64])
        db.session.add(stored)
        db.session.add(Alert(kind="rejected_event", location_id=device.location_id, sku=error.extra.get("sku"),
                             ref=event.id, message=f"{event.type} #{event.seq}: {error.message}"[:500]))
        db.session.flush()
        return stored
