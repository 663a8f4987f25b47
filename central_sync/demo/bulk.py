"""Generated rows written in bulk (for `generate-history`): COPY on PostgreSQL from a thread of its own, with
the foreign keys and secondary indexes of the bulk tables dropped and made again once; executemany on SQLite."""
from __future__ import annotations

import queue
import threading
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import text

from central_sync.extensions import db

FLUSH_ROWS = 50_000
# Columns of each table written, in the order rows are flushed (a sale before its lines, a transfer before its).
COLUMNS = {
    "sales": ("id", "number", "location_id", "device_id", "created_at", "total_vnd", "received_at"),
    "sale_lines": ("sale_id", "product_id", "qty", "unit_price_vnd", "discount_vnd", "total_vnd"),
    "payments": ("sale_id", "method", "amount_vnd"),
    "refunds": ("id", "sale_id", "location_id", "reason", "created_at"),
    "refund_lines": ("refund_id", "product_id", "qty", "amount_vnd"),
    "transfers": ("id", "from_location_id", "to_location_id", "status", "shipped_at", "received_at", "updated_at"),
    "transfer_lines": ("transfer_id", "product_id", "qty", "received_qty"),
    "stock_movements": ("location_id", "product_id", "delta", "reason", "detail", "ref", "device_id", "created_at"),
    "sync_events": ("id", "device_id", "location_id", "seq", "type", "occurred_at", "payload", "fingerprint",
                    "status", "code", "received_at"),
    "alerts": ("kind", "location_id", "sku", "ref", "message", "created_at"),
}


class Sink:
    """Rows buffered per table and written in order: COPY (text) on PostgreSQL, executemany on SQLite.

    Values are ints, strings (times already formatted by ``stamp``) or ``null``. On PostgreSQL a thread of its
    own writes each COPY while the next rows are made (the server's work overlaps Python's)."""

    def __init__(self):
        connection = db.session.connection()
        self.postgresql = connection.dialect.name == "postgresql"
        self.raw = connection.connection.dbapi_connection
        self.null = "\\N" if self.postgresql else None
        self.rows = {table: [] for table in COLUMNS}
        self.counts = Counter()
        self.pending = 0
        self.queue: queue.Queue | None = None
        self.failure: BaseException | None = None
        if self.postgresql:
            self.queue = queue.Queue(maxsize=2)
            self.writer = threading.Thread(target=self._copy_worker, name="history-copy", daemon=True)
            self.writer.start()

    def stamp(self, moment: datetime) -> str:
        if self.postgresql:
            return moment.isoformat()
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")  # as UTCDateTime stores it

    def close(self) -> None:
        self.flush()
        if self.queue is not None:
            self.queue.put(None)
            self.writer.join()
            self.queue = None
        if self.failure is not None:
            raise self.failure

    def _copy_worker(self) -> None:
        while (job := self.queue.get()) is not None:
            if self.failure is None:
                try:
                    for table, data in job:
                        with self.raw.cursor() as cursor, cursor.copy(
                                f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                            copy.write(data)
                except BaseException as error:  # noqa: BLE001  raised again by close()
                    self.failure = error

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)
        self.pending += 1
        if self.pending >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.failure is not None:
            raise self.failure
        job = []
        for table, rows in self.rows.items():
            if rows:
                self.counts[table] += len(rows)
                if self.postgresql:
                    job.append((table, "".join(["\t".join(map(str, row)) + "\n" for row in rows])))
                else:
                    columns = COLUMNS[table]
                    cursor = self.raw.cursor()
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                       f"VALUES ({', '.join('?' * len(columns))})", rows)
                    cursor.close()
                self.rows[table] = []
        if job:
            self.queue.put(job)
        self.pending = 0


BULK_TABLES = ("sales", "sale_lines", "payments", "refunds", "refund_lines", "stock_movements", "alerts",
               "transfer_lines")


def drop_indexes() -> list[str]:
    """PostgreSQL: drop the foreign keys and secondary indexes of the tables filled in bulk (in this
    transaction), returning the statements that make them again. Loading millions of rows then building each
    index once is several times faster than keeping them up to date row by row."""
    session = db.session
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    keys = session.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND (conrelid::regclass::text = ANY(:tables) OR confrelid::regclass::text = ANY(:tables)) "
        "ORDER BY 1, 2"), {"tables": list(BULK_TABLES)}).all()
    indexes = session.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(:tables) AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"),
        {"tables": list(BULK_TABLES)}).all()
    for table, name, _ in keys:
        session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        session.execute(text(f"DROP INDEX {name}"))
    return ([definition for _, definition in indexes] +
            [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in keys])
