"""Gapless counters, advanced inside the caller's transaction."""
from sqlalchemy import update
from sqlalchemy.dialects.sqlite import insert

from kiosk.extensions import db
from kiosk.models import Counter


def next_value(name: str) -> int:
    value = db.session.scalar(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value))
    if value is None:
        db.session.execute(insert(Counter).values(name=name, value=1))
        value = 1
    return value
