"""The sync over real HTTP on loopback, as production runs it: central served by waitress (4 threads) on
127.0.0.1, the kiosk's own code (``runner.push_all`` / ``runner.pull_all``, ``Central`` over urllib).

* push: 10,000 sales of 5 lines queued in a kiosk's outbox during a week offline, pushed in one go (20
  requests of 500 events): the total time, the bytes on the wire per sale line, and the ratio to the same
  rows written into central's database with ``executemany`` (one transaction per 500 sales) in the same run.
* pull: a fresh kiosk's full pull (no cursor) of a 1,000-product catalogue with its producers and prices: the
  time, the part spent applying it on the kiosk, the bytes.

Central's database: PostgreSQL on the server that ``BENCH_DATABASE_URL`` names, else ``TEST_DATABASE_URL``.
The bench uses a database of its own there, ``bench_sync`` (created when missing, its schema dropped and made
again before each measure and emptied after); the database the URL names is never touched. When neither is
set, central is an SQLite file, and the table says so: the issue's figures are PostgreSQL's.

The backlog is written straight into the kiosk's outbox (the push reads nothing else), each payload built as
``kiosk.sales.services.sale_event`` builds it, at the prices central holds, from stock central knows the kiosk
has: the push applies every sale and raises no alert.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import socket
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median

import psycopg
import waitress
from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy.engine import URL, make_url

from central_sync import create_app as create_central, demo
from central_sync.catalog.services import set_price, upsert_producer, upsert_product
from central_sync.cli import ensure_database as ensure_central
from central_sync.database import normalise_url
from central_sync.extensions import db as central_db
from central_sync.models import Alert, Location, Product, Sale, SaleLine, SyncEvent
from central_sync.network.services import create_device, upsert_location
from central_sync.stock.services import move_stock
from kiosk.cli import ensure_database as ensure_kiosk
from kiosk.extensions import db as kiosk_db
from kiosk.models import Counter, OutboxEvent
from kiosk.models import Product as KioskProduct
from kiosk.sync import pull as kiosk_pull
from kiosk.sync import push as kiosk_push
from kiosk.sync import runner, state
from kiosk.sync.client import GZIP_MAGIC, Central, urllib_transport
from tests.bench import catalogue
from tests.bench.central import BALANCES_FROM_LEDGER, conninfo
from tests.bench.harness import Row, Run, measure
from tests.bench.kiosk_site import kiosk_app

DATABASE = "bench_sync"
ENVIRONMENT = ("BENCH_DATABASE_URL", "TEST_DATABASE_URL")
PUSH_TARGET_S = 10
BYTES_PER_LINE_TARGET = 120
LINES_PER_SALE = 5
KIOSK_STOCK = 5_000  # of each product at the kiosk, at central: no sale of the week oversells
CASHIERS = ("vendor", "thu-ngan-2")
REQUEST_TIMEOUT_S = 900  # the kiosk's own SYNC_TIMEOUT (30 s) is reported against, not used


# Where central's database is.

@dataclass
class Database:
    """Central's database for one measure: PostgreSQL (``url``) or an SQLite file (``path``)."""

    url: URL | None = None
    path: Path | None = None
    label: str = ""

    @property
    def postgresql(self) -> bool:
        return self.url is not None

    def sqlalchemy_url(self) -> str:
        return self.url.render_as_string(hide_password=False) if self.url else f"sqlite:///{self.path}"

    def reset(self) -> None:
        """An empty database: the schema dropped and made again, or the SQLite file gone."""
        if self.url is not None:
            with psycopg.connect(conninfo(self.url), autocommit=True) as connection:
                connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
                connection.execute("CREATE SCHEMA public")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def database(folder: Path) -> tuple[Database | None, str | None]:
    """Central's database, or None and why it cannot be had."""
    named = next((os.environ[name] for name in ENVIRONMENT if os.environ.get(name)), None)
    if named is None:
        return Database(path=folder / "central.sqlite3",
                        label="SQLite central: neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set "
                              "(the issue's figures are PostgreSQL's)"), None
    server = make_url(normalise_url(named))
    bench = server.set(database=DATABASE)
    try:
        with psycopg.connect(conninfo(server), autocommit=True, connect_timeout=3) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                connection.execute(f'CREATE DATABASE "{DATABASE}"')
            version = connection.execute("SHOW server_version").fetchone()[0].split()[0]
    except psycopg.Error as error:
        why = " ".join(str(error).split())
        return None, f"PostgreSQL unreachable at {server.host}:{server.port or 5432}: {why}"
    return Database(url=bench, label=f"PostgreSQL {version}, database {DATABASE} on {server.host}"), None


def central_app(where: Database, folder: Path) -> Flask:
    return create_central({"INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": where.sqlalchemy_url()})


# Central served over HTTP, and what goes over the wire.

@contextmanager
def serving(app: Flask):
    """``app`` served by waitress (4 threads) on a free port of 127.0.0.1; yields its base URL."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="bench-central", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)


@dataclass
class Wire:
    """Bytes through the client's sockets (HTTP request and answer, headers included; not TCP/IP)."""

    sent: int = 0
    received: int = 0
    connections: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.received


class _CountedSocket(socket.socket):
    wire: Wire

    def sendall(self, data, flags=0):
        self.wire.sent += memoryview(data).nbytes
        return super().sendall(data, flags)

    def send(self, data, flags=0):
        sent = super().send(data, flags)
        self.wire.sent += sent
        return sent

    def recv_into(self, buffer, nbytes=0, flags=0):
        received = super().recv_into(buffer, nbytes, flags)
        self.wire.received += received
        return received

    def recv(self, bufsize, flags=0):
        data = super().recv(bufsize, flags)
        self.wire.received += len(data)
        return data


@contextmanager
def counted_sockets():
    """Count what goes through every socket ``socket.create_connection`` opens meanwhile: http.client's, so
    the kiosk's requests (the server's sockets are accepted, and libpq's are not Python's)."""
    wire, original = Wire(), socket.create_connection

    def create_connection(*args, **kwargs):
        plain = original(*args, **kwargs)
        timeout = plain.gettimeout()
        counted = _CountedSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
        counted.settimeout(timeout)
        counted.wire = wire
        wire.connections += 1
        return counted

    socket.create_connection = create_connection
    try:
        yield wire
    finally:
        socket.create_connection = original


@dataclass
class Bodies:
    """The bodies a transport carried, kept to be measured unzipped after the timing."""

    sent: list[bytes] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    waited: float = 0.0  # seconds from sending a request to having its whole answer

    def transport(self, method, url, headers, body, timeout):
        start = time.perf_counter()
        status, answer = urllib_transport(method, url, headers, body, timeout)
        self.waited += time.perf_counter() - start
        self.sent.append(body or b"")
        self.received.append(answer)
        return status, answer

    @staticmethod
    def _unzipped(bodies: list[bytes]) -> int:
        return sum(len(gzip.decompress(b) if b[:2] == GZIP_MAGIC else b) for b in bodies)

    def json_sent(self) -> int:
        return self._unzipped(self.sent)

    def json_received(self) -> int:
        return self._unzipped(self.received)


# A kiosk enrolled at central.

def new_kiosk(folder: Path, url: str, token: str) -> Flask:
    """A kiosk on a freshly migrated SQLite file, enrolled with central at ``url``."""
    folder.mkdir(parents=True, exist_ok=True)
    app = kiosk_app(folder)
    with app.app_context():
        ensure_kiosk()
        state.enrol(url, token)
        kiosk_db.session.commit()
    return app


def client(url: str, token: str, transport) -> Central:
    """The kiosk's client, waiting as long as central takes: a slow answer is measured, not retried."""
    return Central(url, token, transport, timeout=REQUEST_TIMEOUT_S)


def close(*apps: Flask) -> None:
    for app in apps:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


# The week offline.

def week_of_sales(items: list[tuple[str, int]], count: int, kiosk_code: str, seed: int = 5) -> list[dict]:
    """``count`` sales of 5 lines over the last 7 days, as ``sale_event`` writes them: a shift a day,
    most paid in cash (rounded up to 10,000 đồng), some by transfer, a line in 20 discounted."""
    rng = random.Random(seed)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=7)
    shifts = [str(uuid.uuid4()) for _ in range(7)]
    sales = []
    for n in range(count):
        at = start + timedelta(seconds=n * 7 * 86_400 // count + rng.randrange(30))
        lines = []
        for sku, price in rng.sample(items, LINES_PER_SALE):
            qty = rng.choice((1, 1, 1, 2, 2, 3))
            discount = 5_000 if rng.random() < 0.05 else 0
            lines.append({"sku": sku, "qty": qty, "unit_price_vnd": price, "discount_vnd": discount})
        total = sum(line["qty"] * line["unit_price_vnd"] - line["discount_vnd"] for line in lines)
        payment = ({"method": "transfer", "amount_vnd": total} if rng.random() < 0.2 else
                   {"method": "cash", "amount_vnd": -(-total // 10_000) * 10_000})
        sales.append({"id": str(uuid.uuid4()), "number": f"{kiosk_code}-{n + 1:06d}", "created_at": at.isoformat(),
                      "shift_id": shifts[min(6, (at - start).days)], "cashier": CASHIERS[(at - start).days % 2],
                      "total_vnd": total, "lines": lines, "payments": [payment]})
    return sales


def queue_in_outbox(sales: list[dict]) -> None:
    """The sales' events in the kiosk's outbox, seq 1..n, and its counters where selling them left them."""
    kiosk_db.session.execute(insert(OutboxEvent.__table__), [
        {"seq": n, "id": str(uuid.uuid4()), "type": "sale", "payload": sale,
         "occurred_at": datetime.fromisoformat(sale["created_at"])} for n, sale in enumerate(sales, start=1)])
    kiosk_db.session.execute(insert(Counter.__table__), [{"name": "outbox_seq", "value": len(sales)},
                                                         {"name": "sale_number", "value": len(sales)}])


# The baseline: the rows of the push, written with executemany.

SQL = {
    "sales": "INSERT INTO sales (id, number, location_id, device_id, created_at, total_vnd, received_at) "
             "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
    "lines": "INSERT INTO sale_lines (sale_id, product_id, qty, unit_price_vnd, discount_vnd, total_vnd) "
             "VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
    "payments": "INSERT INTO payments (sale_id, method, amount_vnd) VALUES ({p}, {p}, {p})",
    "movements": "INSERT INTO stock_movements (location_id, product_id, delta, reason, ref, device_id, created_at) "
                 "VALUES ({p}, {p}, {p}, 'sale', {p}, {p}, {p})",
    "balances": "INSERT INTO stock_balances (location_id, product_id, qty) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (location_id, product_id) DO UPDATE SET qty = stock_balances.qty + excluded.qty",
    "events": "INSERT INTO sync_events (id, device_id, location_id, seq, type, occurred_at, payload, fingerprint, "
              "status, received_at) VALUES ({p}, {p}, {p}, {p}, 'sale', {p}, {p}, {p}, 'applied', {p})",
    "device": "UPDATE devices SET last_seq = {p}, last_sync_at = {p} WHERE id = {p}",
}
UNDO = ("DELETE FROM sync_events", "DELETE FROM payments", "DELETE FROM sale_lines", "DELETE FROM sales",
        "DELETE FROM stock_movements WHERE reason = 'sale'",
        BALANCES_FROM_LEDGER.replace(" GROUP BY", " WHERE true GROUP BY"),  # WHERE: SQLite's upsert-from-SELECT
        "UPDATE devices SET last_seq = 0, last_sync_at = NULL")


def raw_batches(events: list[dict], products: dict[str, int], location_id: int, device_id: int,
                postgresql: bool, batch: int = 500) -> list[dict[str, list[tuple]]]:
    """The rows the push writes, per 500 sales, ready to bind (central's own SQLite form: naive UTC text)."""
    def moment(value: datetime):
        return value if postgresql else value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")

    now = moment(datetime.now(timezone.utc))
    batches = []
    for start in range(0, len(events), batch):
        rows: dict[str, list[tuple]] = {name: [] for name in SQL}
        for event in events[start:start + batch]:
            sale = event["payload"]
            rows["sales"].append((sale["id"], sale["number"], location_id, device_id,
                                  moment(datetime.fromisoformat(sale["created_at"])), sale["total_vnd"], now))
            for line in sale["lines"]:
                product = products[line["sku"]]
                rows["lines"].append((sale["id"], product, line["qty"], line["unit_price_vnd"], line["discount_vnd"],
                                      line["qty"] * line["unit_price_vnd"] - line["discount_vnd"]))
                rows["movements"].append((location_id, product, -line["qty"], sale["id"], device_id, now))
                rows["balances"].append((location_id, product, -line["qty"]))
            rows["payments"] += [(sale["id"], p["method"], p["amount_vnd"]) for p in sale["payments"]]
            canonical = json.dumps({"type": "sale", "payload": sale}, sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False)
            rows["events"].append((event["id"], device_id, location_id, event["seq"],
                                   moment(datetime.fromisoformat(event["occurred_at"])),
                                   json.dumps(sale, ensure_ascii=False), hashlib.sha256(canonical.encode()).hexdigest(),
                                   now))
        rows["device"].append((events[min(start + batch, len(events)) - 1]["seq"], now, device_id))
        batches.append(rows)
    return batches


def raw_connection(where: Database):
    if where.postgresql:
        return psycopg.connect(conninfo(where.url)), "%s"
    connection = sqlite3.connect(where.path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):  # central's own
        connection.execute(f"PRAGMA {pragma}")
    return connection, "?"


def raw_insert(where: Database, batches: list[dict[str, list[tuple]]]) -> float:
    """Seconds to write ``batches`` with executemany, a transaction each; the rows are then taken out
    again (and PostgreSQL vacuumed) so that the push finds the database as the baseline did."""
    connection, p = raw_connection(where)
    sql = {name: text.format(p=p) for name, text in SQL.items()}
    try:
        cursor = connection.cursor()
        start = time.perf_counter()
        for rows in batches:
            if not where.postgresql:
                cursor.execute("BEGIN")
            for name, text in sql.items():
                cursor.executemany(text, rows[name])
            connection.commit() if where.postgresql else cursor.execute("COMMIT")
        seconds = time.perf_counter() - start
        if not where.postgresql:
            cursor.execute("BEGIN")
        for statement in UNDO:
            cursor.execute(statement)
        connection.commit() if where.postgresql else cursor.execute("COMMIT")
    finally:
        connection.close()
    if where.postgresql:
        with psycopg.connect(conninfo(where.url), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return seconds


# The measures.

@measure("sync")
def sync(run: Run) -> list[Row]:
    where, why = database(run.folder)
    if where is None:
        return [Row("sync: did not run", None, note=why, error=True)]
    try:
        return push_week(run, where) + pull_catalogue(run, where)
    finally:
        if where.postgresql:
            where.reset()


def push_week(run: Run, where: Database) -> list[Row]:
    sales = run.size(10_000, 500)
    lines = sales * LINES_PER_SALE
    where.reset()
    central = central_app(where, run.folder / "central-push")
    with central.app_context():
        ensure_central()
        demo.load()
        location = central_db.session.scalar(select(Location).where(Location.kind == "kiosk").order_by(Location.id))
        products = dict(central_db.session.execute(select(Product.sku, Product.id)).all())
        move_stock(location.id, {product_id: KIOSK_STOCK for product_id in products.values()}, "opening",
                   ref="bench-kiosk-stock")
        device, token = create_device(location.code)
        central_db.session.commit()
        kiosk_code, location_id, device_id = location.code, location.id, device.id
        central_db.session.remove()
    kiosk = None
    try:
        with serving(central) as url:
            kiosk = new_kiosk(run.folder / "kiosk-push", url, token)
            with kiosk.app_context():
                runner.pull_all(client(url, token, urllib_transport))  # the catalogue, central's prices
                items = list(kiosk_db.session.execute(select(KioskProduct.sku, KioskProduct.price_vnd)
                                                      .where(KioskProduct.active.is_(True)).order_by(KioskProduct.sku)))
                queue_in_outbox(week_of_sales(items, sales, kiosk_code))
                kiosk_db.session.commit()
                events = kiosk_push.next_batch(sales)
                kiosk_db.session.rollback()

            raw_s = raw_insert(where, raw_batches(events, products, location_id, device_id, where.postgresql))

            bodies = Bodies()
            with kiosk.app_context(), counted_sockets() as wire:
                pusher = client(url, token, bodies.transport)
                marks = [time.perf_counter()]
                acked = runner.push_all(pusher, progress=lambda _n: marks.append(time.perf_counter()))
                push_s = time.perf_counter() - marks[0]
                pending = state.pending_events()
                sync_timeout = kiosk.config["SYNC_TIMEOUT"]
                kiosk_db.session.rollback()
        with central.app_context():
            stored = central_db.session.scalar(select(func.count()).select_from(Sale))
            stored_lines = central_db.session.scalar(select(func.count()).select_from(SaleLine))
            rejected = central_db.session.scalar(select(func.count()).select_from(SyncEvent)
                                                 .where(SyncEvent.status != "applied"))
            alerts = central_db.session.scalar(select(func.count()).select_from(Alert))
            central_db.session.remove()
    finally:
        close(central, *([kiosk] if kiosk else []))
    if (acked, pending, stored, stored_lines, rejected) != (sales, 0, sales, lines, 0):
        raise RuntimeError(f"push: {acked} acknowledged, {pending} pending, central holds {stored} sales, "
                           f"{stored_lines} lines, {rejected} events not applied (expected {sales}, 0, {sales}, "
                           f"{lines}, 0)")

    requests = len(bodies.sent)
    per_request = [(b - a) * 1000 for a, b in zip(marks, marks[1:])]
    gzip_bodies = pusher.bytes_sent + pusher.bytes_received
    on_postgresql = where.postgresql
    name = f"push: {sales:,} sales x {LINES_PER_SALE} lines (a week offline), HTTP loopback"
    return [
        Row(name, push_s, "s", PUSH_TARGET_S if on_postgresql else None, push_s / raw_s,
            f"{where.label}; runner.push_all, urllib -> waitress 4 threads; {requests} requests of "
            f"{min(sales, 500)} events; {alerts} alerts"),
        Row("push: one request of 500 events, median", median(per_request), "ms",
            note=f"max {max(per_request):,.0f} ms (the kiosk gives up on a request after SYNC_TIMEOUT "
                 f"{sync_timeout:.0f} s); push, record the answer, commit on the kiosk"),
        Row("push: of which the kiosk's own work", push_s - bodies.waited, "s",
            note="reading the outbox, JSON + gzip, unzipping and recording the answers, commits: all but the "
                 "requests' round trips"),
        Row("raw executemany, the same rows", raw_s, "s",
            note=f"1 transaction per 500 sales: sales, lines, payments, movements, balance upserts, sync_events, "
                 f"device; {'psycopg' if on_postgresql else 'sqlite3'}, rows made beforehand"),
        Row("push: bytes on the wire per sale line", wire.total / lines, "B", BYTES_PER_LINE_TARGET,
            note=f"HTTP at the kiosk's sockets, headers included (not TCP/IP): {wire.sent:,} B up, "
                 f"{wire.received:,} B down, {wire.connections} connections"),
        Row("push: gzip bodies per sale line", gzip_bodies / lines, "B",
            note=f"Central.bytes_sent {pusher.bytes_sent:,} + bytes_received {pusher.bytes_received:,}"),
        Row("push: the same bodies as JSON, unzipped, per sale line", (bodies.json_sent() + bodies.json_received())
            / lines, "B", note="what gzip saves"),
    ]


def pull_catalogue(run: Run, where: Database) -> list[Row]:
    count = run.size(1_000, 100)
    if where.postgresql:
        where.reset()
    else:
        where = Database(path=run.folder / "central-pull.sqlite3", label=where.label)
    central = central_app(where, run.folder / "central-pull")
    with central.app_context():
        ensure_central()
        network = json.loads(demo.NETWORK.read_text(encoding="utf-8"))
        location = upsert_location(next(item for item in network["locations"] if item["kind"] == "kiosk"))
        makers = [{**maker, "commune": catalogue.PLACES[n % len(catalogue.PLACES)][0],
                   "district": catalogue.PLACES[n % len(catalogue.PLACES)][1]}
                  for n, maker in enumerate(catalogue.producers())]
        for maker in makers:
            upsert_producer(maker)
        central_db.session.flush()
        for item in catalogue.products(count, makers):
            product = upsert_product(item)
            central_db.session.flush()
            set_price(product, item["price_vnd"])
        _device, token = create_device(location.code)
        central_db.session.commit()
        central_db.session.remove()

    kiosk = None
    applying: list[float] = []
    apply = kiosk_pull.apply

    def timed_apply(changes: list[dict]) -> int:
        start = time.perf_counter()
        try:
            return apply(changes)
        finally:
            applying.append(time.perf_counter() - start)

    try:
        with serving(central) as url:
            kiosk = new_kiosk(run.folder / "kiosk-pull", url, token)
            bodies = Bodies()
            kiosk_pull.apply = timed_apply
            try:
                with kiosk.app_context(), counted_sockets() as wire:
                    puller = client(url, token, bodies.transport)
                    start = time.perf_counter()
                    changes = runner.pull_all(puller)
                    pull_ms = (time.perf_counter() - start) * 1000
                    held = kiosk_db.session.scalar(select(func.count()).select_from(KioskProduct)
                                                   .where(KioskProduct.active.is_(True)))
                    kiosk_db.session.rollback()
            finally:
                kiosk_pull.apply = apply
    finally:
        close(central, *([kiosk] if kiosk else []))
    if held != count:
        raise RuntimeError(f"pull: the kiosk holds {held} products after the pull, not {count}")

    pages, unzipped = len(bodies.received), bodies.json_received()
    return [
        Row(f"pull: {count:,} products (producers, prices), full, fresh kiosk", pull_ms, "ms",
            note=f"runner.pull_all over HTTP loopback: {changes:,} changes in {pages} pages of 500; "
                 f"{where.label.split(':')[0]}"),
        Row("pull: of which waiting for central's answers", bodies.waited * 1000, "ms",
            note="from sending each request to having its whole (gzip) answer"),
        Row("pull: of which the kiosk applying them", sum(applying) * 1000, "ms",
            note="kiosk.sync.pull.apply, the commits not included"),
        Row("pull: bytes received on the wire", wire.received / 1024, "KB",
            note=f"HTTP at the kiosk's socket, headers included; {wire.sent:,} B sent"),
        Row("pull: gzip bodies received", puller.bytes_received / 1024, "KB",
            note=f"Central.bytes_received; unzipped JSON {unzipped / 1024:,.1f} KB "
                 f"({unzipped / max(1, puller.bytes_received):.1f}x)"),
    ]
