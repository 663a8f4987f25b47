"""Tools for the sync's fault tests: transports that fail on cue and remember central's answers, a central
that is restored from a backup, kiosk processes that are killed with SIGKILL, and the checks that a kiosk
and central agree (every paid sale at central exactly once, the same stock)."""
from __future__ import annotations

import gzip
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

from sqlalchemy import func, select, text

from central_sync.extensions import db as central_db
from central_sync.models import Base as CentralBase
from central_sync.models import Device, Location, Sale, SyncEvent
from central_sync.models import Product as CentralProduct
from central_sync.stock.services import move_stock as central_move_stock
from kiosk.extensions import db as kiosk_db
from kiosk.models import OutboxEvent, StockMovement
from kiosk.models import Sale as KioskSale
from kiosk.models import StockBalance as KioskBalance
from tests.sync.harness import Kiosk, central_sales, same_stock

ROOT = Path(__file__).resolve().parents[2]
SKUS = ("CF-500", "CF-250", "MO-250")
PRICES = {"CF-500": 145_000, "CF-250": 80_000, "MO-250": 98_000}


class Faults:
    """The ``fail`` of `harness.in_process`: central is down (every request fails before it is sent), or
    the next answers to requests whose path starts with a prefix are lost after central committed."""

    def __init__(self):
        self.down = False
        self.to_lose: list[list] = []  # [method, path prefix, answers to let through first]
        self.lost: list[str] = []

    def lose(self, method: str, prefix: str, *, after: int = 0) -> None:
        """Lose the answer to the next request (or the one ``after`` more) of ``method`` on ``prefix``."""
        self.to_lose.append([method, prefix, after])

    def __call__(self, method: str, path: str, phase: str) -> None:
        if self.down:
            raise OSError("[Errno 111] Connection refused (central is down)")
        if phase != "response" or not self.to_lose:
            return
        rule = self.to_lose[0]
        if method == rule[0] and path.startswith(rule[1]):
            if rule[2]:
                rule[2] -= 1
                return
            self.to_lose.pop(0)
            self.lost.append(path.split("?")[0])
            raise OSError("connection reset by peer (the answer was lost)")


class Recorder:
    """Wraps a transport and keeps every answer central gave: (method, path, status, body as JSON)."""

    def __init__(self, transport):
        self.transport = transport
        self.answers: list[tuple[str, str, int, dict]] = []
        self._lock = threading.Lock()

    def __call__(self, method, url, headers, body, timeout):
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        status, raw = self.transport(method, url, headers, body, timeout)
        with self._lock:
            plain = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw  # a pull's answer may come gzipped
            self.answers.append((method, path.split("?")[0], status, json.loads(plain) if plain else {}))
        return status, raw

    def pushes(self) -> list[tuple[int, dict]]:
        return [(status, body) for method, _, status, body in self.answers if method == "POST"]

    def results(self) -> list[dict]:
        """The per-event results of every push central answered 200."""
        return [r for status, body in self.pushes() if status == 200 for r in body["results"]]


# --- selling -------------------------------------------------------------------------------------------------

def open_shift(kiosk: Kiosk) -> None:
    response = kiosk.vendor.post("/shifts", json={"opening_cash_vnd": 500_000})
    assert response.status_code == 201, response.get_json()


def sale_body(rng: random.Random) -> dict:
    """A sale of 1 to 3 lines, paid in cash (with change), by transfer, or by card and cash; with its id."""
    skus = rng.sample(SKUS, rng.randint(1, 3))
    body_lines = [{"sku": sku, "qty": rng.randint(1, 3)} for sku in skus]
    total = sum(PRICES[l["sku"]] * l["qty"] for l in body_lines)
    method = rng.choice(("cash", "transfer", "card"))
    if method == "cash":
        payments = [{"method": "cash", "amount_vnd": total + rng.choice((0, 5_000, 20_000))}]
    elif method == "transfer":
        payments = [{"method": "transfer", "amount_vnd": total}]
    else:
        payments = [{"method": "card", "amount_vnd": total - 10_000}, {"method": "cash", "amount_vnd": 10_000}]
    return {"id": str(uuid4()), "lines": body_lines, "payments": payments}


def sell(kiosk: Kiosk, count: int, rng: random.Random) -> list[dict]:
    """``count`` sales through the kiosk API; each answer's `Sale` (all answered 201)."""
    sold = []
    for _ in range(count):
        response = kiosk.vendor.post("/sales", json=sale_body(rng))
        assert response.status_code == 201, response.get_json()
        sold.append(response.get_json())
    return sold


def stock_up(central, admin, kiosk: Kiosk, qty: int) -> None:
    """Put ``qty`` of every product at the warehouse, ship it to the kiosk, receive it there and sync."""
    with central.app_context():
        warehouse = central_db.session.scalar(select(Location.id).where(Location.code == "KHO"))
        ids = central_db.session.scalars(select(CentralProduct.id).where(CentralProduct.sku.in_(SKUS))).all()
        central_move_stock(warehouse, {product_id: qty for product_id in ids}, "opening")
        central_db.session.commit()
    shipped = admin.post("/transfers", json={"from_location": "KHO", "to_location": kiosk.location,
                                             "lines": [{"sku": sku, "qty": qty} for sku in SKUS]})
    assert shipped.status_code == 201, shipped.get_json()
    kiosk.sync()
    received = kiosk.vendor.post(f"/transfers/{shipped.get_json()['id']}/receive",
                                 json={"lines": [{"sku": sku, "received_qty": qty} for sku in SKUS]})
    assert received.status_code == 200, received.get_json()
    kiosk.sync()


# --- what each side holds ------------------------------------------------------------------------------------

def kiosk_sale_ids(kiosk: Kiosk) -> set[str]:
    with kiosk.app.app_context():
        return set(kiosk_db.session.scalars(select(KioskSale.id)))


def outbox(kiosk: Kiosk) -> list[tuple[int, str, str, bool]]:
    """(seq, id, type, acknowledged) of every outbox event, in seq order."""
    with kiosk.app.app_context():
        return [(seq, id_, type_, acked is not None) for seq, id_, type_, acked in kiosk_db.session.execute(
            select(OutboxEvent.seq, OutboxEvent.id, OutboxEvent.type, OutboxEvent.acked_at)
            .order_by(OutboxEvent.seq))]


def central_events(central, device_id: int) -> list[tuple[int, str]]:
    """(seq, id) of the events central holds from a device, in seq order."""
    with central.app_context():
        return list(central_db.session.execute(select(SyncEvent.seq, SyncEvent.id)
                                               .where(SyncEvent.device_id == device_id).order_by(SyncEvent.seq)))


def last_seq(central, device_id: int) -> int:
    with central.app_context():
        return central_db.session.scalar(select(Device.last_seq).where(Device.id == device_id))


def assert_kiosk_intact(kiosk: Kiosk) -> None:
    """The kiosk's file is sound, and every sale in it is whole: its stock moved, its event in the outbox,
    the balances equal to the ledger; the outbox's seqs have no gap."""
    with kiosk.app.app_context():
        assert kiosk_db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        sales = set(kiosk_db.session.scalars(select(KioskSale.id)))
        moved = set(kiosk_db.session.scalars(select(StockMovement.ref).where(StockMovement.reason == "sale")))
        events = [payload["id"] for payload in kiosk_db.session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.type == "sale"))]
        seqs = list(kiosk_db.session.scalars(select(OutboxEvent.seq).order_by(OutboxEvent.seq)))
        ledger = dict(kiosk_db.session.execute(select(StockMovement.product_id, func.sum(StockMovement.delta))
                                               .group_by(StockMovement.product_id)).all())
        balances = dict(kiosk_db.session.execute(select(KioskBalance.product_id, KioskBalance.qty)).all())
        kiosk_db.session.rollback()
    assert moved == sales and set(events) == sales and len(events) == len(sales)
    assert seqs == list(range(1, len(seqs) + 1))
    assert {k: v for k, v in ledger.items() if v} == {k: v for k, v in balances.items() if v}


def assert_nothing_acked_that_central_lacks(kiosk: Kiosk, central) -> None:
    """What the kiosk counts as done, central holds under the same seq; central holds seqs 1..last, no gap."""
    there = central_events(central, kiosk.device_id)  # one statement: a commit still under way is all or none
    assert [seq for seq, _ in there] == list(range(1, len(there) + 1))
    acked = {(seq, id_) for seq, id_, _, done in outbox(kiosk) if done}
    assert acked <= set(there)


def assert_converged(kiosk: Kiosk, central, paid: set[str]) -> None:
    """Nothing pending; every event of the kiosk once at central under its seq; every sale answered
    "paid" at central exactly once and at the kiosk's location; the same stock on both sides."""
    assert kiosk.pending() == 0
    here = [(seq, id_) for seq, id_, _, _ in outbox(kiosk)]
    assert central_events(central, kiosk.device_id) == here
    sales = kiosk_sale_ids(kiosk)
    assert paid <= sales
    at_central = central_sales(central, kiosk.location)
    assert len(at_central) == len(set(at_central)) and set(at_central) == sales
    with central.app_context():
        assert central_db.session.scalar(select(func.count()).select_from(Sale)) == len(sales)
    assert same_stock(kiosk, central)


# --- central restored from a backup --------------------------------------------------------------------------

def backup(central) -> dict[str, list[dict]]:
    """Every row of central's database (a logical dump, for SQLite and PostgreSQL alike)."""
    with central.app_context(), central_db.engine.connect() as connection:
        return {table.name: [dict(row._mapping) for row in connection.execute(table.select())]
                for table in CentralBase.metadata.sorted_tables}


def restore(central, dump: dict[str, list[dict]]) -> None:
    """Put central's database back as it was at ``dump``: what happened since is lost (identity sequences
    are left ahead, as harmless gaps)."""
    tables = CentralBase.metadata.sorted_tables
    with central.app_context():
        central_db.session.remove()
        with central_db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("TRUNCATE {} CASCADE".format(", ".join(t.name for t in tables))))
            else:
                for table in reversed(tables):
                    connection.execute(table.delete())
            for table in tables:
                if dump[table.name]:
                    connection.execute(table.insert(), dump[table.name])


# --- kiosk processes -----------------------------------------------------------------------------------------

# `flask --app kiosk sync` as it is, with hooks: SYNC_BATCH comes from FAULT_SYNC_BATCH (the CLI does not read
# it); a line goes to stdout when a batch goes to central ("push <first seq>") and when central's answer is
# written, not yet committed ("acks <acked seq> <applied> <duplicates>"); FAULT_HOLD_ACKS=n keeps that
# transaction open at the n-th answer, so that a kill lands inside it; FAULT_GATE makes the first push wait,
# the batch read, for a line on stdin after saying "ready" (two processes then push the same batch at once).
HOOKS = """
import os, sys, time
import config, flask.cli, kiosk, kiosk.cli
from kiosk.sync import push
from kiosk.sync.client import Central
send, record = Central.push, push.record_answer
pushed, answers = [], []

def pushing(self, events):
    if os.environ.get("FAULT_GATE") and not pushed:
        print("ready", flush=True)
        sys.stdin.readline()
    pushed.append(events[0]["seq"])
    print("push", events[0]["seq"], flush=True)
    return send(self, events)

def recording(answer):
    acked = record(answer)
    answers.append(answer)
    statuses = [result["status"] for result in answer["results"]]
    print("acks", answer["acked_seq"], statuses.count("applied"), statuses.count("duplicate"), flush=True)
    if os.environ.get("FAULT_HOLD_ACKS") == str(len(answers)):
        time.sleep(60)
    return acked

def sync():
    config.KioskConfig.SYNC_BATCH = int(os.environ.get("FAULT_SYNC_BATCH", "500"))
    sys.argv, code = ["flask", "--app", "kiosk", "sync"], 0
    try:
        flask.cli.main()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (exit.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

Central.push, push.record_answer = pushing, recording
"""
SYNC_ONCE = HOOKS + "sync()\n"

# A python process that imports the kiosk once (a second or more), then for each line of JSON on stdin (an
# environment) forks a child that runs the sync (HOOKS) and says "pid <child>", then "ended" when the child
# has ended, and "exit <status>" once the test says it may be reaped (a line on stdin: until then its pid
# cannot be another process's, so a late kill hits nothing else). The children are the kiosk processes the
# tests kill with SIGKILL: real processes on the kiosk's file, started in a moment.
SYNC_FORKS = HOOKS + """
import json
for line in sys.stdin:
    child = os.fork()
    if child == 0:
        os.environ.clear()
        os.environ.update(json.loads(line))
        sync()
    print("pid", child, flush=True)
    os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)  # ended, not reaped: its pid is not reused yet
    print("ended", flush=True)
    sys.stdin.readline()  # the test's go-ahead: no kill of it is on its way
    print("exit", os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]), flush=True)
"""


def kiosk_env(kiosk: Kiosk, central_url: str, **extra) -> dict:
    """The environment of a kiosk process on ``kiosk``'s database, talking to central over HTTP."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "FAULT_"))}
    env.update({"APP_ENV": "testing", "DATABASE_URL": kiosk.app.config["SQLALCHEMY_DATABASE_URI"],
                "CENTRAL_URL": central_url, "PRINTER_URL": "none", "SYNC_TIMEOUT": "20",
                "PYTHONUNBUFFERED": "1"})
    env.update({key: str(value) for key, value in extra.items()})
    return env


def release(kiosk: Kiosk) -> None:
    """Close this process's connections to the kiosk's file, as another process is to use it."""
    with kiosk.app.app_context():
        kiosk_db.session.remove()
        kiosk_db.engine.dispose()


def start_sync(env: dict, log: Path) -> subprocess.Popen:
    """One kiosk process running the sync (SYNC_ONCE), its stdin and stdout ours."""
    with open(log, "ab") as errors:
        return subprocess.Popen([sys.executable, "-c", SYNC_ONCE], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=errors, text=True, bufsize=1)


class SyncProcesses:
    """Kiosk processes running `flask --app kiosk sync` (forked by SYNC_FORKS), to be killed on cue."""

    def __init__(self, log: Path):
        self.log = log
        with open(log, "ab") as errors:
            self.forks = subprocess.Popen([sys.executable, "-c", SYNC_FORKS], cwd=ROOT, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=errors, text=True, bufsize=1)
        self.watchdog = threading.Timer(300, self.forks.kill)  # a hung test fails instead of hanging CI
        self.watchdog.start()
        self.child: int | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.child is not None:  # a test failed while it ran: it is ours still (not reaped)
            os.kill(self.child, signal.SIGKILL)
            self.forks.stdin.write("reap\n")
        self.forks.stdin.close()
        self.forks.wait(30)
        self.forks.stdout.close()
        self.watchdog.cancel()

    def run(self, env: dict, *, kill_on: tuple[str, int] | None = None, delay: float = 0.0,
            kill_after: float | None = None) -> int | None:
        """One sync, killed with SIGKILL ``delay`` seconds after its n-th line starting with ``kill_on = (word,
        n)``, or ``kill_after`` seconds after it started; its exit status, None when the kill ended it."""
        self.forks.stdin.write(json.dumps(env) + "\n")
        self.forks.stdin.flush()
        word, pid = self.forks.stdout.readline().split()
        assert word == "pid", (word, self.log.read_text())
        pid, seen, timer = int(pid), 0, None
        self.child = pid
        if kill_after is not None:
            timer = threading.Timer(kill_after, os.kill, (pid, signal.SIGKILL))
            timer.start()
        for line in self.forks.stdout:
            if line == "ended\n":
                break
            if kill_on and line.startswith(kill_on[0] + " "):
                seen += 1
                if seen == kill_on[1]:
                    time.sleep(delay)
                    os.kill(pid, signal.SIGKILL)
        else:
            raise AssertionError(f"the kiosk processes ended: {self.log.read_text()}")
        if timer is not None:
            timer.cancel()
            timer.join()
        self.forks.stdin.write("reap\n")
        self.forks.stdin.flush()
        word, status = self.forks.stdout.readline().split()
        assert word == "exit", (word, self.log.read_text())
        self.child = None
        return None if int(status) == -signal.SIGKILL else int(status)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Till:
    """A tablet selling through a kiosk's HTTP API: each sale's id is noted before it is sent (`tried`) and
    after it was answered 201 (`paid`)."""

    def __init__(self, base: str):
        self.base = base
        self.tried: list[str] = []
        self.paid: list[str] = []
        self.unexpected: list[tuple[int, dict]] = []
        self.first_paid = threading.Event()

    def call(self, method: str, path: str, body=None, token=None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def wait_until_up(self, process: subprocess.Popen, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the kiosk did not start")

    def sell(self, token: str, rng: random.Random) -> None:
        """Sell until the kiosk stops answering, a few milliseconds apart."""
        while True:
            time.sleep(rng.uniform(0.01, 0.06))
            body = sale_body(rng)
            self.tried.append(body["id"])
            try:
                status, answer = self.call("POST", "/api/v1/sales", body, token)
            except (OSError, ValueError, http.client.HTTPException):  # the kiosk died under this sale:
                return                                                # it may or may not be there
            if status != 201 or answer.get("status") != "paid":
                self.unexpected.append((status, answer))
                return
            self.paid.append(body["id"])
            self.first_paid.set()
