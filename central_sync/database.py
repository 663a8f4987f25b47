"""The central database: PostgreSQL through psycopg 3 in production, an SQLite file (WAL) by default."""
import json

from sqlalchemy import JSON, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000")


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` (what hosting panels hand out) mean psycopg 3 here, not psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def configure(engine: Engine) -> None:
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
        event.listen(engine, "connect", _sqlite_pragmas)


def insert_rows(session, model, rows: list[dict]) -> None:
    """Many rows of ``model`` (each with the same keys, defaults included) in one go: COPY on PostgreSQL, the
    fastest way in (a statement a row, even pipelined, costs ten times more); executemany elsewhere."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(model), rows)
        return
    import psycopg  # noqa: PLC0415  only a PostgreSQL central has it loaded

    table = model.__table__
    names = list(rows[0])
    as_json = {column.name for column in table.columns if isinstance(column.type, JSON)}
    copy_sql = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg.sql.Identifier(table.name), psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, names)))
    try:
        with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name], ensure_ascii=False) if name in as_json else row[name]
                                for name in names])
    except psycopg.errors.IntegrityError as error:  # as SQLAlchemy would raise it: callers catch that
        raise IntegrityError(str(copy_sql), None, error) from error
