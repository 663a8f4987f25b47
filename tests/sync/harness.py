"""Kiosks syncing with a central app: in one process (central's test client as the transport) or over real
HTTP on loopback. A kiosk is its own app on its own SQLite file, with a vendor and a manager."""
from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server
from sqlalchemy import func, select

from central_sync.extensions import db as central_db
from central_sync.models import Location, Product, Sale, StockBalance, SyncEvent
from kiosk.auth import services as kiosk_auth
from kiosk.extensions import db as kiosk_db
from kiosk.models import OutboxEvent
from kiosk.models import Product as KioskProduct
from kiosk.models import StockBalance as KioskBalance
from kiosk.sync import runner, state
from tests.conftest import kiosk_app
from tests.kiosk.apitools import Api, login

PASSWORD = "mat-khau-kiosk"


class Switch:
    """A transport failure that can be switched on and off: the market's mobile internet."""

    def __init__(self):
        self.down = False

    def __call__(self, method, path, phase):
        if self.down and phase == "request":
            raise OSError("Network is unreachable")


def in_process(central: Flask, *, fail: callable | None = None):
    """A transport that calls ``central`` through its test client. ``fail(method, path, phase)`` may raise
    OSError before the request ("request": central never sees it) or after it ("response": central
    committed, the answer is lost)."""
    client = central.test_client()

    def transport(method, url, headers, body, timeout):
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        if fail:
            fail(method, path, "request")
        response = client.open(path, method=method, headers=headers, data=body)
        if fail:
            fail(method, path, "response")
        return response.status_code, response.get_data()

    return transport


@contextmanager
def serving(app: Flask, port: int = 0):
    """Serve ``app`` over real HTTP on 127.0.0.1 (a free port unless given) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"serve-{app.name}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@dataclass
class Kiosk:
    app: Flask
    location: str
    device_id: int
    vendor: Api = field(repr=False)
    manager: Api = field(repr=False)

    def sync(self) -> dict:
        with self.app.app_context():
            return runner.sync_once()

    def status(self) -> dict:
        with self.app.app_context():
            return state.status()

    def pending(self) -> int:
        with self.app.app_context():
            return state.pending_events()

    def stock(self) -> dict[str, int]:
        """SKU -> on hand, for every product ever stocked here."""
        with self.app.app_context():
            return dict(kiosk_db.session.execute(select(KioskProduct.sku, KioskBalance.qty)
                                                 .join(KioskBalance, KioskBalance.product_id == KioskProduct.id)).all())

    def seqs(self) -> list[int]:
        with self.app.app_context():
            return list(kiosk_db.session.scalars(select(OutboxEvent.seq).order_by(OutboxEvent.seq)))


def make_kiosk(folder: Path, migrated_db: Path, central: Flask, admin: Api, location: str, transport=None,
               **config) -> Kiosk:
    """A new kiosk at ``location``: its device made at central, enrolled, synced once, a shift open."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(migrated_db, folder / "kiosk.sqlite3")
    app = kiosk_app(folder, SYNC_TRANSPORT=transport or in_process(central), **config)
    made = admin.post("/devices", json={"location": location})
    assert made.status_code == 201, made.get_json()
    with app.app_context():
        for role in ("vendor", "manager"):
            kiosk_auth.create_user(role, PASSWORD, role)
        state.enrol("http://central.test", made.get_json()["token"])
        kiosk_db.session.commit()
    client = app.test_client()
    kiosk = Kiosk(app, location, made.get_json()["device_id"], Api(client, login(client, "vendor", PASSWORD)),
                  Api(client, login(client, "manager", PASSWORD)))
    kiosk.sync()
    return kiosk


def central_stock(central: Flask, location: str) -> dict[str, int]:
    """SKU -> on hand at ``location`` at central (products with a balance row)."""
    with central.app_context():
        rows = central_db.session.execute(
            select(Product.sku, StockBalance.qty).join(StockBalance, StockBalance.product_id == Product.id)
            .join(Location, Location.id == StockBalance.location_id).where(Location.code == location))
        return dict(rows.all())


def central_sales(central: Flask, location: str | None = None) -> list[str]:
    """Ids of the sales central holds (at ``location``)."""
    with central.app_context():
        query = select(Sale.id).order_by(Sale.id)
        if location:
            query = query.join(Location, Location.id == Sale.location_id).where(Location.code == location)
        return list(central_db.session.scalars(query))


def central_event_count(central: Flask) -> int:
    with central.app_context():
        return central_db.session.scalar(select(func.count()).select_from(SyncEvent))


def same_stock(kiosk: Kiosk, central: Flask) -> bool:
    """The kiosk's stock and central's view of it agree (zero balances may be missing on either side)."""
    here = {sku: qty for sku, qty in kiosk.stock().items() if qty}
    there = {sku: qty for sku, qty in central_stock(central, kiosk.location).items() if qty}
    return here == there
