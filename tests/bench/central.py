"""Central on PostgreSQL: ``GET /api/v1/stock`` over a 1,000,000-row ledger, and 20-line transfers
(``POST /api/v1/transfers``), each against the same work done with nothing but psycopg.

The bench has a database of its own, ``bench_central``, on the server that ``TEST_DATABASE_URL`` names
(created when missing, emptied before and after), so the test suite's database is never touched. The
demo network is loaded as ``seed-demo`` loads it; the ledger is then filled by COPY and the balances set
to its sums, as the app keeps them.
"""
from __future__ import annotations

import os
import random
import uuid
from datetime import datetime, timedelta, timezone
from statistics import median

import psycopg
from sqlalchemy.engine import URL, make_url

from central_sync import create_app, demo
from central_sync.cli import ensure_database
from central_sync.extensions import db
from tests.bench.harness import Row, Run, measure, percentile, timed

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASE = "bench_central"
STOCK_TARGET_MS = 100
LINES = 20
RESERVE = 500  # the warehouse ships only above this, so the transfers measured always find their goods
WAREHOUSE, SELLING = "warehouse", ("kiosk", "cluster")

# The two queries of central_sync.stock.services.stock_levels, written by hand.
ON_HAND = ("SELECT l.code, p.sku, b.qty FROM stock_balances b JOIN locations l ON l.id = b.location_id "
           "JOIN products p ON p.id = b.product_id")
IN_TRANSIT = ("SELECT l.code, p.sku, sum(tl.qty) FROM transfer_lines tl JOIN transfers t ON t.id = tl.transfer_id "
              "JOIN locations l ON l.id = t.to_location_id JOIN products p ON p.id = tl.product_id "
              "WHERE t.status = 'in_transit' GROUP BY l.code, p.sku")
LEDGER_SUMS = "SELECT location_id, product_id, sum(delta) FROM stock_movements GROUP BY location_id, product_id"
BALANCES_FROM_LEDGER = ("INSERT INTO stock_balances (location_id, product_id, qty) " + LEDGER_SUMS +
                        " ON CONFLICT (location_id, product_id) DO UPDATE SET qty = excluded.qty")


def server_url() -> URL:
    return make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL)


def conninfo(url: URL) -> str:
    """What psycopg takes: the same URL without SQLAlchemy's driver name."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def unreachable() -> str | None:
    """Why the bench cannot use PostgreSQL, or None when it can."""
    url = server_url()
    try:
        psycopg.connect(conninfo(url), connect_timeout=3).close()
    except psycopg.Error as error:
        why = " ".join(str(error).split())
        return f"PostgreSQL unreachable at {url.host}:{url.port or 5432}/{url.database}: {why}"
    return None


def bench_database() -> URL:
    """``bench_central`` on the test server, created if missing, with an empty ``public`` schema."""
    server, bench = server_url(), server_url().set(database=DATABASE)
    with psycopg.connect(conninfo(server), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
    empty_schema(bench)
    return bench


def empty_schema(url: URL) -> None:
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def fill_ledger(connection: psycopg.Connection, rows: int, seed: int = 11) -> None:
    """``rows`` movements over a year, every location and product at random: the warehouse receives from
    producers and ships (keeping a reserve for the transfers measured); sale points receive, sell and write
    off. No balance ever goes below zero. Then
    the balances become the ledger's sums and the planner learns the tables."""
    locations = connection.execute("SELECT id, kind FROM locations ORDER BY id").fetchall()
    products = [pid for (pid,) in connection.execute("SELECT id FROM products ORDER BY id")]
    running = {(l, p): q for l, p, q in connection.execute("SELECT location_id, product_id, qty FROM stock_balances")}
    rng = random.Random(seed)
    start = datetime.now(timezone.utc) - timedelta(days=365)
    hours = [(start + timedelta(hours=h)).isoformat() for h in range(365 * 24)]
    chunk: list[str] = []
    with connection.cursor().copy(
            "COPY stock_movements (location_id, product_id, delta, reason, ref, created_at) FROM STDIN") as copy:
        for n in range(rows):
            location_id, kind = rng.choice(locations)
            product_id = rng.choice(products)
            if kind == WAREHOUSE:
                delta, reason = (rng.randint(50, 200), "opening") if rng.random() < 0.4 else (
                    -rng.randint(10, 60), "transfer_out")
            else:
                roll = rng.random()
                delta, reason = ((rng.randint(10, 40), "transfer_in") if roll < 0.25 else
                                 (-rng.randint(1, 5), "sale") if roll < 0.95 else (-1, "adjustment"))
            held = running.get((location_id, product_id), 0)
            if delta < 0 and held + delta < (RESERVE if kind == WAREHOUSE else 0):  # goods come in instead
                delta, reason = -delta, "opening" if kind == WAREHOUSE else "transfer_in"
            running[location_id, product_id] = held + delta
            at = hours[n * len(hours) // rows]
            chunk.append(f"{location_id}\t{product_id}\t{delta}\t{reason}\tbench-{n // 4}\t{at}\n")
            if len(chunk) == 10_000:
                copy.write("".join(chunk))
                chunk.clear()
        copy.write("".join(chunk))
    connection.execute(BALANCES_FROM_LEDGER)
    connection.commit()
    connection.execute("ANALYZE")
    connection.commit()


def transfer_bodies(skus: list[str], kiosks: list[str], warehouse: str, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"from_location": warehouse, "to_location": rng.choice(kiosks),
             "lines": [{"sku": sku, "qty": rng.randint(1, 5)} for sku in rng.sample(skus, LINES)]}
            for _ in range(count)]


class RawCentral:
    """The baselines: central's work with one psycopg connection and hand-written SQL."""

    def __init__(self, url: URL):
        self.connection = psycopg.connect(conninfo(url))
        self.locations = dict(self.connection.execute("SELECT code, id FROM locations"))
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()

    def stock(self) -> int:
        """The two queries of GET /stock, every row fetched."""
        with self.connection.transaction():
            return sum(len(self.connection.execute(sql).fetchall()) for sql in (ON_HAND, IN_TRANSIT))

    def analyze(self) -> None:
        with self.connection.transaction():
            self.connection.execute("ANALYZE transfers, transfer_lines, stock_balances")

    def ledger_sums(self) -> int:
        with self.connection.transaction():
            return len(self.connection.execute(LEDGER_SUMS).fetchall())

    def transfer(self, body: dict) -> None:
        """The rows a transfer writes, in one transaction: the source's balances taken (each checked),
        the transfer and its lines, the ledger's movements out."""
        source, destination = self.locations[body["from_location"]], self.locations[body["to_location"]]
        transfer_id, now = str(uuid.uuid4()), datetime.now(timezone.utc)
        with self.connection.transaction(), self.connection.cursor() as cursor:
            ids = dict(cursor.execute("SELECT sku, id FROM products WHERE sku = ANY(%s)",
                                      ([line["sku"] for line in body["lines"]],)).fetchall())
            moves = sorted((ids[line["sku"]], line["qty"]) for line in body["lines"])
            for product_id, qty in moves:
                cursor.execute("UPDATE stock_balances SET qty = qty - %s WHERE location_id = %s AND product_id = %s "
                               "AND qty >= %s", (qty, source, product_id, qty))
                if cursor.rowcount != 1:
                    raise RuntimeError(f"raw transfer: location {source} lacks product {product_id}")
            cursor.execute("INSERT INTO transfers (id, from_location_id, to_location_id, status, shipped_at, "
                           "updated_at) VALUES (%s, %s, %s, 'in_transit', %s, %s)",
                           (transfer_id, source, destination, now, now))
            cursor.executemany("INSERT INTO transfer_lines (transfer_id, product_id, qty) VALUES (%s, %s, %s)",
                               [(transfer_id, p, q) for p, q in moves])
            cursor.executemany("INSERT INTO stock_movements (location_id, product_id, delta, reason, ref, created_at) "
                               "VALUES (%s, %s, %s, 'transfer_out', %s, %s)",
                               [(source, p, -q, transfer_id, now) for p, q in moves])


@measure("central")
def central_on_postgresql(run: Run) -> list[Row]:
    reason = unreachable()
    if reason is not None:
        return [Row("central on PostgreSQL: did not run", None, note=reason, error=True)]
    ledger_rows = run.size(1_000_000, 20_000)
    transfers, stock_reads, warm_up = run.size(200, 20), run.size(100, 20), run.size(10, 3)
    url = bench_database()
    app = create_app({"INSTANCE_PATH": str(run.folder), "SQLALCHEMY_DATABASE_URI": url.render_as_string(False)})
    raw = None
    try:
        with app.app_context():
            ensure_database()
            logins = demo.load()
            db.session.commit()
            db.engine.dispose()
        with psycopg.connect(conninfo(url)) as connection:
            load_s = timed(lambda: fill_ledger(connection, ledger_rows)) / 1000
            version = connection.execute("SHOW server_version").fetchone()[0].split()[0]
            ledger = connection.execute("SELECT count(*) FROM stock_movements").fetchone()[0]
            skus = [sku for (sku,) in connection.execute("SELECT sku FROM products ORDER BY id")]
            codes = connection.execute("SELECT code, kind FROM locations ORDER BY id").fetchall()
        warehouse = next(code for code, kind in codes if kind == WAREHOUSE)
        kiosks = [code for code, kind in codes if kind in SELLING]
        client = app.test_client()
        username, password = next((u, p) for u, p, role in logins if role == "admin")
        token = client.post("/api/v1/login", json={"username": username, "password": password}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def call(method, path: str, status: int, body: dict | None = None) -> dict:
            response = client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
            if response.status_code != status:
                raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.get_data(True)}")
            return response.get_json()

        raw = RawCentral(url)
        for body in transfer_bodies(skus, kiosks, warehouse, warm_up, seed=1):
            call("POST", "/transfers", 201, body)
            raw.transfer(body)
        transfer_ms, raw_transfer_ms = [], []
        for body in transfer_bodies(skus, kiosks, warehouse, transfers, seed=2):  # interleaved, same machine
            transfer_ms.append(timed(lambda: call("POST", "/transfers", 201, body)))
            raw_transfer_ms.append(timed(lambda: raw.transfer(body)))

        raw.analyze()  # what autovacuum does soon after: the planner knows transfer_lines is no longer empty
        answer = call("GET", "/stock", 200)["stock"]  # with every transfer above still in transit
        for _ in range(warm_up):
            call("GET", "/stock", 200)
            raw.stock()
        stock_ms, raw_stock_ms = [], []
        for _ in range(stock_reads):
            stock_ms.append(timed(lambda: call("GET", "/stock", 200)))
            raw_stock_ms.append(timed(raw.stock))
        sums_ms = [timed(raw.ledger_sums) for _ in range(run.size(5, 2))]
    finally:
        if raw is not None:
            raw.close()
        with app.app_context():
            db.engine.dispose()
        empty_schema(url)

    stock_median, raw_stock_median = median(stock_ms), median(raw_stock_ms)
    transfer_median, raw_transfer_median = median(transfer_ms), median(raw_transfer_ms)
    moving = sum(1 for row in answer if row["in_transit"])
    where = f"PostgreSQL {version}, database {DATABASE}"
    return [
        Row(f"central: {ledger:,} ledger rows loaded (COPY, balances = sums, ANALYZE)", load_s, "s", note=where),
        Row("central GET /stock, all locations: median", stock_median, "ms", STOCK_TARGET_MS,
            stock_median / raw_stock_median,
            f"n={stock_reads} after {warm_up} warm-up; {len(answer):,} rows ({moving:,} in transit); test client, "
            "admin token"),
        Row("central GET /stock, all locations: p95", percentile(stock_ms, 0.95), "ms",
            ratio=percentile(stock_ms, 0.95) / percentile(raw_stock_ms, 0.95)),
        Row("raw psycopg, the same two queries: median", raw_stock_median, "ms", note="rows fetched, no JSON"),
        Row("raw psycopg, the ledger summed instead: median", median(sums_ms), "ms",
            note="what the cached balances save"),
        Row(f"central POST /transfers ({LINES} lines): median", transfer_median, "ms",
            ratio=transfer_median / raw_transfer_median,
            note=f"n={transfers} after {warm_up} warm-up; {warehouse} -> a sale point; test client, admin token"),
        Row(f"central POST /transfers ({LINES} lines): p95", percentile(transfer_ms, 0.95), "ms",
            ratio=percentile(transfer_ms, 0.95) / percentile(raw_transfer_ms, 0.95)),
        Row("raw psycopg, the same writes: median", raw_transfer_median, "ms",
            note=f"1 transaction: {LINES} checked updates, transfer, lines, movements"),
    ]
