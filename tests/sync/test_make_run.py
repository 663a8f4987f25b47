"""`make run` as a developer runs it: central and an enrolled kiosk in their own processes, on SQLite files
(here in a temporary folder, on free ports), the kiosk's catalogue and stock from central, a sale that reaches
central, Ctrl+C that stops both; and a second `make run` on the same files that goes on from there."""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, update

from central_sync import create_app as create_central
from central_sync.extensions import db
from central_sync.models import Device, Location, Product, Transfer
from central_sync.catalog.services import location_prices
from tests.conftest import kiosk_app
from tests.kiosk.test_serve import free_port

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "KPA-01"
LOGINS = ("admin / quantri-demo", "reviewer / xemxet-demo", "vendor / banhang-demo", "manager / quanly-demo")
STARTUP_SECONDS = 300  # a slow machine under load; the wait ends as soon as both answer


def request(url, body=None, token=None, method=None):
    """(status, JSON body) of a request; errors are answers too."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def answers(url) -> bool:
    try:
        return request(url) == (200, {"status": "ok"})
    except OSError:
        return False


class MakeRun:
    """`make run` in its own process group, its output collected as it comes."""

    def __init__(self, folder: Path):
        self.central_port, self.kiosk_port = free_port(), free_port()
        self.central = f"http://127.0.0.1:{self.central_port}"
        self.kiosk = f"http://127.0.0.1:{self.kiosk_port}"
        stamp = ".venv/.installed-" + subprocess.run(["cksum", "requirements.txt"], cwd=ROOT, check=True,
                                                     capture_output=True, text=True).stdout.split()[0]
        env = {name: value for name, value in os.environ.items() if name not in ("CENTRAL_URL", "DATABASE_URL")}
        env.update(PRINTER_URL="none", SYNC_INTERVAL="3600")  # no receipts in instance/; syncs when asked
        # The virtualenv is the one running the tests, and the translations are compiled (`make test` did both).
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", stamp, "-o", "translations", "run",
             f"BIN={Path(sys.executable).parent}", f"CENTRAL_PORT={self.central_port}",
             f"KIOSK_PORT={self.kiosk_port}", f"CENTRAL_DB={folder / 'central.sqlite3'}",
             f"KIOSK_DB={folder / 'kiosk.sqlite3'}"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # Ctrl+C as in a terminal
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (answers(f"{self.kiosk}/healthz") and answers(f"{self.central}/healthz")):
            assert self.process.poll() is None, f"make run stopped:\n{self.output}"
            assert time.monotonic() < deadline, f"make run did not serve both apps:\n{self.output}"
            time.sleep(0.2)

    def interrupt(self) -> None:
        """Ctrl+C: SIGINT to the whole foreground group, as a terminal sends it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            self.reader.join(10)


@contextmanager
def make_run(folder: Path):
    run = MakeRun(folder)
    try:
        run.wait_until_serving()
        yield run
    finally:
        run.interrupt()
    for _ in range(100):  # central was stopped by the script's trap, the kiosk by Ctrl+C itself
        if not answers(f"{run.central}/healthz") and not answers(f"{run.kiosk}/healthz"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"Ctrl+C left a server running:\n{run.output}")


def login(base: str, username: str, password: str) -> str:
    status, body = request(f"{base}/api/v1/login", {"username": username, "password": password})
    assert status == 200, body
    return body["token"]


@contextmanager
def central_database(folder: Path):
    app = create_central({"INSTANCE_PATH": str(folder),
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/central.sqlite3"})
    with app.app_context():
        try:
            yield
        finally:
            db.session.rollback()
            db.engine.dispose()


def central_catalogue(folder: Path) -> dict[str, int]:
    """SKU -> price in force at the kiosk's location, for every product central has for sale there."""
    with central_database(folder):
        location = db.session.scalar(select(Location).where(Location.code == LOCATION))
        products = db.session.scalars(select(Product).where(Product.active)).all()
        prices = location_prices([p.id for p in products], location.id)
        return {p.sku: prices[p.id][0] for p in products if prices.get(p.id, (None,))[0] is not None}


def devices_of_location(folder: Path) -> list[tuple[int, bool, int]]:
    with central_database(folder):
        return [(d.id, d.revoked_at is None, d.last_seq) for d in db.session.scalars(
            select(Device).join(Location).where(Location.code == LOCATION).order_by(Device.id))]


def sell(run: MakeRun, vendor: str, sku: str, qty: int, price: int) -> dict:
    status, body = request(f"{run.kiosk}/api/v1/shifts", {"opening_cash_vnd": 0}, vendor)
    assert status == 201 or body["error"]["code"] == "shift_already_open", body
    status, sale = request(f"{run.kiosk}/api/v1/sales", {
        "id": str(uuid.uuid4()), "lines": [{"sku": sku, "qty": qty}],
        "payments": [{"method": "cash", "amount_vnd": qty * price}]}, vendor)
    assert status == 201, sale
    status, synced = request(f"{run.kiosk}/api/v1/sync", {}, vendor)
    assert status == 200 and synced["pushed"] >= 1 and synced["pending_events"] == 0, synced
    return sale


def stock(run: MakeRun, vendor: str) -> dict[str, int]:
    status, body = request(f"{run.kiosk}/api/v1/stock", token=vendor)
    assert status == 200, body
    return {row["sku"]: row["qty"] for row in body["stock"]}


def central_sales(run: MakeRun, admin: str) -> dict[str, int]:
    status, body = request(f"{run.central}/api/v1/sales?location={LOCATION}", token=admin)
    assert status == 200, body
    return {sale["id"]: sale["total_vnd"] for sale in body["sales"]}


def test_make_run_serves_central_and_an_enrolled_kiosk_and_again(tmp_path):
    with make_run(tmp_path) as run:
        for url in (f"http://127.0.0.1:{run.central_port}/", f"http://127.0.0.1:{run.kiosk_port}/", *LOGINS):
            assert url in run.output, run.output
        vendor = login(run.kiosk, "vendor", "banhang-demo")
        admin = login(run.central, "admin", "quantri-demo")
        assert login(run.kiosk, "manager", "quanly-demo") and login(run.central, "reviewer", "xemxet-demo")

        # The kiosk's catalogue is central's for its location, at its prices.
        status, body = request(f"{run.kiosk}/api/v1/products", token=vendor)
        assert status == 200
        products = {product["sku"]: product["price_vnd"] for product in body["products"]}
        assert products == central_catalogue(tmp_path)

        # Central shipped one transfer; the kiosk received it in full and central knows.
        status, body = request(f"{run.central}/api/v1/transfers?location={LOCATION}", token=admin)
        [transfer] = body["transfers"]
        assert transfer["status"] == "received" and transfer["to_location"] == LOCATION, transfer
        shipped = {line["sku"]: line["qty"] for line in transfer["lines"]}
        assert len(shipped) >= 10 and set(shipped.values()) == {20}
        kiosk_stock = stock(run, vendor)
        assert {sku: kiosk_stock.get(sku) for sku in shipped} == shipped
        central_stock = request(f"{run.central}/api/v1/stock?location={LOCATION}", token=admin)[1]["stock"]
        assert {row["sku"]: (row["qty"], row["in_transit"]) for row in central_stock} == {
            sku: (qty, 0) for sku, qty in shipped.items()}

        # A sale reaches central when the kiosk syncs.
        sku = sorted(shipped)[0]
        first = sell(run, vendor, sku, 2, products[sku])
        assert central_sales(run, admin) == {first["id"]: first["total_vnd"]}
    [(device_id, active, seq)] = devices_of_location(tmp_path)
    assert active and seq >= 2  # the transfer's receipt and the sale

    # Again, on the same files: the same device with a new token, nothing shipped twice, nothing lost.
    with make_run(tmp_path) as run:
        vendor = login(run.kiosk, "vendor", "banhang-demo")
        admin = login(run.central, "admin", "quantri-demo")
        assert request(f"{run.kiosk}/api/v1/sales/{first['id']}", token=vendor)[0] == 200
        assert len(request(f"{run.central}/api/v1/transfers?location={LOCATION}", token=admin)[1]["transfers"]) == 1
        assert stock(run, vendor)[sku] == 18
        second = sell(run, vendor, sku, 1, products[sku])
        assert central_sales(run, admin) == {first["id"]: first["total_vnd"], second["id"]: second["total_vnd"]}
    assert devices_of_location(tmp_path) == [(device_id, True, seq + 1)]


# The two commands `make run` adds, in one process (central on SQLite and on PostgreSQL).
def test_demo_kiosk_rotates_the_same_device_and_ships_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = runner.invoke(args=["demo-kiosk", LOCATION])
    assert first.exit_code == 0, first.output
    assert "Shipped 24 products, 20 of each" in first.stderr
    second = runner.invoke(args=["demo-kiosk", LOCATION])
    assert second.exit_code == 0 and "Shipped" not in second.stderr
    tokens = [result.stdout.strip() for result in (first, second)]
    assert all(len(token.split()) == 1 for token in tokens) and tokens[0] != tokens[1]  # stdout: the token alone
    client = app.test_client()

    def pull(token):
        return client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).status_code

    assert (pull(tokens[0]), pull(tokens[1])) == (401, 200)  # the old token stops working
    with app.app_context():
        [(device_id, active, _)] = _devices(app)
        assert active
        assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1

    # A new kiosk database: the device is kept while it has taken no events, replaced once it has.
    assert runner.invoke(args=["demo-kiosk", "--new-kiosk", LOCATION]).exit_code == 0
    with app.app_context():
        assert _devices(app) == [(device_id, True, 0)]
        db.session.execute(update(Device).values(last_seq=3))
        db.session.commit()
    replaced = runner.invoke(args=["demo-kiosk", "--new-kiosk", LOCATION])
    assert replaced.exit_code == 0 and "made for" in replaced.stderr
    with app.app_context():
        devices = _devices(app)
        assert devices == [(device_id, False, 3), (devices[1][0], True, 0)] and devices[1][0] != device_id
        assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1

    refused = runner.invoke(args=["demo-kiosk", "KHO-BMT"])
    assert refused.exit_code != 0 and "warehouse" in refused.output


def _devices(app) -> list[tuple[int, bool, int]]:
    return [(d.id, d.revoked_at is None, d.last_seq) for d in db.session.scalars(
        select(Device).join(Location).where(Location.code == LOCATION).order_by(Device.id))]


def test_seed_demo_enrolled_receives_what_central_shipped(app, admin, kiosk):
    shipped = admin.post("/transfers", json={"from_location": "KHO", "to_location": "K01",
                                             "lines": [{"sku": "CF-500", "qty": 6}, {"sku": "MO-250", "qty": 4}]})
    assert shipped.status_code == 201, shipped.get_json()
    kiosk.sync()
    runner = kiosk.app.test_cli_runner()
    plain = runner.invoke(args=["seed-demo"])
    assert plain.exit_code != 0 and "--enrolled" in plain.output  # never the kiosk's own catalogue here
    result = runner.invoke(args=["seed-demo", "--enrolled"])
    assert result.exit_code == 0, result.output
    assert "vendor / banhang-demo" in result.output and "Pushed 1 events" in result.output
    assert kiosk.stock() == {"CF-500": 6, "MO-250": 4}
    [transfer] = admin.get("/transfers?location=K01").get_json()["transfers"]
    assert transfer["status"] == "received"
    assert [line["received_qty"] for line in transfer["lines"]] == [line["qty"] for line in transfer["lines"]]
    again = runner.invoke(args=["seed-demo", "--enrolled"])
    assert again.exit_code == 0 and "Received" not in again.output and kiosk.stock() == {"CF-500": 6, "MO-250": 4}


def test_seed_demo_enrolled_needs_an_enrolled_kiosk(tmp_path, migrated_kiosk_db):
    shutil.copy(migrated_kiosk_db, tmp_path / "kiosk.sqlite3")
    result = kiosk_app(tmp_path).test_cli_runner().invoke(args=["seed-demo", "--enrolled"])
    assert result.exit_code != 0 and "not enrolled" in result.output
