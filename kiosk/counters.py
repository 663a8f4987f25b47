"""Gapless counters, advanced inside the caller's transaction."""
from sqlalchemy import bindparam, update
from sqlalchemy.dialects.sqlite import insert

from kiosk.extensions import db
from kiosk.models import Counter


_COUNTERS = Counter.__table__
_ADVANCE = (update(_COUNTERS).where(_COUNTERS.c.name == bindparam("counter"))
            .values(value=_COUNTERS.c.value + 1).returning(_COUNTERS.c.value))


def next_value(name: str) -> int:
    value = db.session.connection().execute(_ADVANCE, {"counter": name}).scalar()
    if value is None:
        db.session.execute(insert(_COUNTERS).values(name=name, value=1))
        value = 1
    return value
