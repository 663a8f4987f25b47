"""Recording what the kiosks must pull: every flush that adds, changes or deletes a product, producer, price,
transfer or location notes the row, and the commit writes the notes into the change log (SyncChange) with
new versions from the `changes` clock. The clock's row is updated last, just before the commit, and stays
locked until it: versions commit in their order, and the lock is held for a moment only.

Noting too much is harmless (the kiosk gets the row again as it is); noting too little would lose a change,
so notes are dropped only when the whole transaction rolls back."""
from __future__ import annotations

import secrets

from sqlalchemy import event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central_sync.models import Location, Price, Producer, Product, SyncChange, SyncClock, Transfer, TransferLine

NOTES = "sync_changes"
ORDER = {"location": 0, "producer": 1, "product": 2, "price": 3, "transfer": 4}  # within a commit: what refers last
CHANGES, EPOCH = "changes", "epoch"


def _transfer_of_line(session: Session, line: TransferLine) -> list[tuple[str, str, int]]:
    transfer = session.get(Transfer, line.transfer_id)
    return [("transfer", line.transfer_id, transfer.to_location_id if transfer else 0)]


# model -> the (entity, key, scope) notes of a row's change. A product carries its price in force, so a new
# price sends the product again too (a product first priced now was not for sale, and not sent, before).
TRACKED = {
    Product: lambda _s, row: [("product", str(row.id), 0)],
    Producer: lambda _s, row: [("producer", str(row.id), 0)],
    Price: lambda _s, row: [("price", str(row.product_id), row.location_id or 0), ("product", str(row.product_id), 0)],
    Location: lambda _s, row: [("location", str(row.id), row.id)],
    Transfer: lambda _s, row: [("transfer", row.id, row.to_location_id)],
    TransferLine: _transfer_of_line,
}


def note(session: Session, entity: str, key: str, scope: int = 0) -> None:
    """Note a change made without the ORM (a Core statement), for the next commit."""
    session.info.setdefault(NOTES, set()).add((entity, str(key), scope))


def _after_flush(session: Session, _context) -> None:
    for row in (*session.new, *session.deleted, *session.dirty):
        describe = TRACKED.get(type(row))
        if describe is not None and (row not in session.dirty or session.is_modified(row)):
            for entity, key, scope in describe(session, row):
                note(session, entity, key, scope)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release: the clock waits for the real commit, so that
        return                           # its lock is the last one taken and is held for a moment only
    session.flush()
    notes = session.info.pop(NOTES, None)
    if not notes:
        return
    last = advance(session, CHANGES, len(notes))
    rows = [{"entity": entity, "key": key, "scope": scope, "version": version}
            for version, (entity, key, scope) in enumerate(sorted(notes, key=lambda n: (ORDER[n[0]], n)), start=last - len(notes) + 1)]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(SyncChange)
    session.execute(upsert.on_conflict_do_update(index_elements=["entity", "key", "scope"],
                                                 set_={"version": upsert.excluded.version}), rows)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:  # the whole transaction, not a savepoint
        session.info.pop(NOTES, None)


def advance(session: Session, name: str, by: int) -> int:
    """Add ``by`` to the clock ``name`` (created at 0 when missing) and return its new value; the row stays
    locked until the transaction ends."""
    for _attempt in range(2):
        value = session.execute(update(SyncClock).where(SyncClock.name == name)
                                .values(value=SyncClock.value + by).returning(SyncClock.value)).scalar()
        if value is not None:
            return value
        _create_clock(session, name, 0)
    raise RuntimeError(f"the sync clock {name} cannot be created")


def read_clock(session: Session, name: str) -> int | None:
    return session.scalar(select(SyncClock.value).where(SyncClock.name == name))


def epoch(session: Session) -> int:
    """This database's epoch, made once at random."""
    value = read_clock(session, EPOCH)
    if value is None:
        _create_clock(session, EPOCH, secrets.randbelow(2**40) + 1)
        value = read_clock(session, EPOCH)
    return value


def new_epoch(session: Session) -> int:
    """Draw this database's epoch again, after it was restored from a backup: the kiosks' cursors may stand
    for versions the restored log will number again with other changes, so every one of them must answer
    409 reset_required, and the kiosks pull everything again."""
    old = read_clock(session, EPOCH)
    value = old
    while value == old:
        value = secrets.randbelow(2**40) + 1
    if old is None:
        _create_clock(session, EPOCH, value)
    else:
        session.execute(update(SyncClock).where(SyncClock.name == EPOCH).values(value=value))
    return value


def _create_clock(session: Session, name: str, value: int) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(SyncClock).values(name=name, value=value).on_conflict_do_nothing())


def listen(session_class) -> None:
    """Note changes made in sessions of ``session_class`` and write them at each commit (once per class)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
        event.listen(session_class, "before_commit", _before_commit)
        event.listen(session_class, "after_transaction_end", _after_transaction_end)
