"""The transactional outbox: an event per fact, in the fact's own transaction, numbered without gaps."""
from datetime import datetime

from sqlalchemy import insert

from kiosk import counters
from kiosk.extensions import db
from kiosk.models import OutboxEvent, new_id, utcnow

SEQ_COUNTER = "outbox_seq"
_INSERT = insert(OutboxEvent.__table__)


def record_event(event_type: str, payload: dict, occurred_at: datetime | None = None) -> int:
    """Append an event for central; returns its seq."""
    seq = counters.next_value(SEQ_COUNTER)
    db.session.connection().execute(_INSERT, {"seq": seq, "id": new_id(), "type": event_type, "payload": payload,
                                              "occurred_at": occurred_at or utcnow()})
    return seq
