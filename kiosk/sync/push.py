"""Pushing the outbox: the oldest events not yet acknowledged, then central's answer recorded. Never commits."""
from __future__ import annotations

from sqlalchemy import select, update

from kiosk.extensions import db
from kiosk.models import OutboxEvent, utcnow
from kiosk.sync import state

KEEP_REJECTED = 100  # the newest rejected events kept in the settings, for the manager to see


def next_batch(limit: int) -> list[dict]:
    """The next ``limit`` events central has not acknowledged, in seq order, as the push envelope has them."""
    rows = db.session.execute(select(OutboxEvent.seq, OutboxEvent.id, OutboxEvent.type, OutboxEvent.occurred_at,
                                     OutboxEvent.payload)
                              .where(OutboxEvent.acked_at.is_(None)).order_by(OutboxEvent.seq).limit(limit))
    return [{"seq": seq, "id": id_, "type": type_, "occurred_at": occurred_at.isoformat(), "payload": payload}
            for seq, id_, type_, occurred_at, payload in rows]


def record_answer(answer: dict) -> int:
    """Central's answer to a push: every event up to its `acked_seq` is done (applied, a duplicate, or
    rejected and kept there for review). Returns how many events this acknowledged."""
    acked = db.session.execute(update(OutboxEvent).where(OutboxEvent.seq <= int(answer["acked_seq"]),
                                                         OutboxEvent.acked_at.is_(None))
                               .values(acked_at=utcnow())).rowcount
    rejected = [{"seq": r["seq"], "id": r["id"], "code": r.get("code")}
                for r in answer.get("results", []) if r.get("status") == "rejected"]
    if rejected:
        state.put(state.REJECTED, (state.get(state.REJECTED, []) + rejected)[-KEEP_REJECTED:])
    return acked


def resend_from(seq: int) -> bool:
    """Central has applied only the events before ``seq`` (it was restored from a backup): send them again
    from there. False when this kiosk does not hold that event any more."""
    if db.session.get(OutboxEvent, seq) is None:
        return False
    db.session.execute(update(OutboxEvent).where(OutboxEvent.seq >= seq).values(acked_at=None))
    return True
