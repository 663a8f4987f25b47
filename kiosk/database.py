"""SQLite set-up for the kiosk: WAL, synchronous=FULL, foreign keys, one writer at a time."""
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event open transactions itself (below), not pysqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_READING = ContextVar("reading", default=False)


@contextmanager
def reading():
    """Transactions begun inside only read (the caller ends them before writing): they take no write lock, so
    a worker reading its queue never holds up a sale."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def _on_begin(connection) -> None:
    # A request that may write takes the write lock at its start: two requests never both read a balance
    # or counter and then fail to upgrade to writers; they queue on busy_timeout instead. GET and HEAD
    # requests only read, and in WAL mode readers never wait. Outside requests (CLI, workers): immediate,
    # unless the work says it only reads (`reading`).
    if _READING.get() or has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", _on_connect):
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
