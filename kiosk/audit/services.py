"""The audit trail: who changed money or stock, when, and what."""
from sqlalchemy import insert, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, User, utcnow


_INSERT = insert(AuditEntry.__table__)


def record(user: User | None, action: str, entity: str, entity_id, **details) -> None:
    db.session.connection().execute(_INSERT, {
        "user_id": user.id if user else None, "action": action, "entity": entity, "entity_id": str(entity_id),
        "details": details, "at": utcnow()})


def entries(page: int, page_size: int) -> list[tuple[AuditEntry, str | None]]:
    """One page (from 1) of the trail, newest first: each entry with its user's name (None if no user)."""
    return db.session.execute(
        select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
        .order_by(AuditEntry.id.desc()).limit(page_size).offset((page - 1) * page_size)).all()
