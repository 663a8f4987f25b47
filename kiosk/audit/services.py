"""The audit trail: who changed money or stock, when, and what."""
from sqlalchemy import insert

from kiosk.extensions import db
from kiosk.models import AuditEntry, User, utcnow


_INSERT = insert(AuditEntry.__table__)


def record(user: User | None, action: str, entity: str, entity_id, **details) -> None:
    db.session.connection().execute(_INSERT, {
        "user_id": user.id if user else None, "action": action, "entity": entity, "entity_id": str(entity_id),
        "details": details, "at": utcnow()})
