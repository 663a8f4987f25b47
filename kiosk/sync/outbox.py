"""The transactional outbox: an event per fact, in the fact's own transaction, numbered without gaps."""
from datetime import datetime

from kiosk import counters
from kiosk.extensions import db
from kiosk.models import OutboxEvent, new_id, utcnow

SEQ_COUNTER = "outbox_seq"


def record_event(event_type: str, payload: dict, occurred_at: datetime | None = None) -> OutboxEvent:
    event = OutboxEvent(seq=counters.next_value(SEQ_COUNTER), id=new_id(), type=event_type, payload=payload,
                        occurred_at=occurred_at or utcnow())
    db.session.add(event)
    return event
