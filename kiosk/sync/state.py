"""What the kiosk keeps about its sync, in the `settings` table. Never commits."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import OutboxEvent, Setting, utcnow

CENTRAL_URL, TOKEN, CURSOR, LOCATION = "central_url", "device_token", "cursor", "location"
LAST_PUSH, LAST_PULL, LAST_ERROR, REJECTED = "last_push_at", "last_pull_at", "last_error", "rejected_events"


def get(name: str, default=None):
    value = db.session.scalar(select(Setting.value).where(Setting.name == name))
    return default if value is None else value


def put(name: str, value) -> None:
    db.session.merge(Setting(name=name, value=value))


def central_url() -> str | None:
    """The `CENTRAL_URL` setting when given, else the URL stored at enrolment."""
    return current_app.config.get("CENTRAL_URL") or get(CENTRAL_URL)


def enrolled() -> bool:
    return bool(get(TOKEN)) and bool(central_url())


def enrol(url: str, token: str) -> None:
    """Keep central's URL and this device's token. Another central means another change log: pull it all."""
    if get(CENTRAL_URL) != url:
        put(CURSOR, None)
    put(CENTRAL_URL, url)
    put(TOKEN, token)
    put(LAST_ERROR, None)


def pending_events() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.acked_at.is_(None)))


def moment(name: str) -> datetime | None:
    value = get(name)
    return datetime.fromisoformat(value) if value else None


def mark(name: str) -> None:
    """Note now as the moment of the last push or pull."""
    put(name, utcnow().isoformat())


def record_error(message: str | None) -> None:
    put(LAST_ERROR, {"message": message[:500], "at": utcnow().isoformat()} if message else None)


def status() -> dict:
    """`GET /api/v1/sync/status`: the contract's fields, and what a status badge shows besides."""
    error = get(LAST_ERROR)
    return {"enrolled": enrolled(), "pending_events": pending_events(), "last_push_at": get(LAST_PUSH),
            "last_pull_at": get(LAST_PULL), "last_error": error["message"] if error else None,
            "last_error_at": error["at"] if error else None, "central_url": central_url(),
            "location": (get(LOCATION) or {}).get("code"), "rejected_events": len(get(REJECTED, []))}
