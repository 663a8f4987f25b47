"""Gapless counters, advanced inside the caller's transaction."""
from sqlalchemy import bindparam, select, update
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


def move_to(name: str, value: int) -> None:
    """Set a counter (its next value is ``value + 1``): only for renumbering (kiosk.sync.recovery)."""
    db.session.execute(insert(_COUNTERS).values(name=name, value=value)
                       .on_conflict_do_update(index_elements=["name"], set_={"value": value}))


def current(name: str) -> int:
    return db.session.scalar(select(_COUNTERS.c.value).where(_COUNTERS.c.name == name)) or 0
