"""Tools of the sync state-machine and concurrency tests: a network line to central that the test breaks at
will, a kiosk restarted after a power cut, a central emptied between examples, and the checks that kiosks
and central agree."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import func, select

from central_sync.catalog.services import price_of
from central_sync.extensions import db as central_db
from central_sync.models import Base, Device, Location, Product, Refund, Sale, SyncEvent
from central_sync.models import Transfer as CentralTransfer
from kiosk.extensions import db as kiosk_db
from kiosk.models import OutboxEvent
from kiosk.models import Product as KioskProduct
from kiosk.models import Refund as KioskRefund
from kiosk.models import Sale as KioskSale
from kiosk.models import Transfer as KioskTransfer
from tests.central_sync.conftest import log_in, world
from tests.central_sync.tools import assert_balances_match_ledger
from tests.conftest import kiosk_app
from tests.kiosk.apitools import Api, assert_books_balance
from tests.sync.harness import Kiosk, central_sales, in_process, same_stock


class PowerCut(BaseException):
    """The kiosk's process dies here (kill -9, a power cut): nothing after this point runs, no error handler
    sees it (so not an Exception)."""


@dataclass
class Line:
    """The network between one kiosk and central. Offline, a request never reaches central; a fault armed
    for the n-th call from now raises before the request (central never sees it) or after central answered
    (central committed, the kiosk never hears it). The last push central answered 200 is kept for replays."""

    central: Flask
    online: bool = True
    calls: int = 0
    faults: dict[int, tuple[str, BaseException]] = field(default_factory=dict)
    last_push: tuple[str, dict, bytes] | None = None

    def __post_init__(self):
        self._inner = in_process(self.central)

    def arm(self, call: int, phase: str, error: BaseException) -> None:
        """Fail the ``call``-th request from now (0: the next one) at ``phase`` ("request" or "response")."""
        self.faults[self.calls + call] = (phase, error)

    def disarm(self) -> None:
        self.faults.clear()

    def __call__(self, method, url, headers, body, timeout):
        number, self.calls = self.calls, self.calls + 1
        if not self.online:
            raise OSError("no route to central (offline)")
        phase, error = self.faults.pop(number, (None, None))
        if phase == "request":
            raise error
        status, raw = self._inner(method, url, headers, body, timeout)
        if method == "POST" and status == 200:
            self.last_push = (url, dict(headers), body)
        if phase == "response":
            raise error
        return status, raw

    def replay_last_push(self):
        """Send central the last push it answered, byte for byte; central's response."""
        url, headers, body = self.last_push
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        return self.central.test_client().post(path, headers=headers, data=body)


def restart(kiosk: Kiosk, **config) -> Kiosk:
    """The kiosk's process starts again on the same SQLite file: a new app, whatever it had not committed
    gone; its users' API tokens (kept in the database) still work."""
    with kiosk.app.app_context():
        kiosk_db.session.remove()
        kiosk_db.engine.dispose()  # the dead process's connections: their open transactions roll back
    app = kiosk_app(kiosk.app.instance_path, **config)
    client = app.test_client()
    return Kiosk(app, kiosk.location, kiosk.device_id, Api(client, kiosk.vendor.token),
                 Api(client, kiosk.manager.token))


def shut_down(kiosk: Kiosk) -> None:
    with kiosk.app.app_context():
        kiosk_db.session.remove()
        kiosk_db.engine.dispose()


def reset_central(central: Flask) -> Api:
    """Central emptied and given the `world` of tests/central_sync/conftest.py again; an admin's client.
    DELETE, not TRUNCATE: on tables this small it is ten times faster on PostgreSQL (ids go on counting)."""
    with central.app_context():
        central_db.session.remove()
        with central_db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
    world.__wrapped__(central)
    client = central.test_client()
    return Api(client, log_in(client, "admin"))


def kiosk_rows(kiosk: Kiosk) -> dict:
    """What the kiosk holds that central must hold too."""
    with kiosk.app.app_context():
        session = kiosk_db.session
        rows = {"sales": set(session.scalars(select(KioskSale.id))),
                "refunds": set(session.scalars(select(KioskRefund.id))),
                "events": [tuple(row) for row in session.execute(select(OutboxEvent.seq, OutboxEvent.id))],
                "pending": session.scalar(select(func.count()).select_from(OutboxEvent)
                                          .where(OutboxEvent.acked_at.is_(None))),
                "transfers": dict(session.execute(select(KioskTransfer.id, KioskTransfer.status)).all()),
                "prices": dict(session.execute(select(KioskProduct.sku, KioskProduct.price_vnd)
                                               .where(KioskProduct.active.is_(True))).all())}
        session.remove()
        return rows


def central_rows(central: Flask, kiosk: Kiosk) -> dict:
    """What central holds of one kiosk: its events, sales, refunds, transfers, and its prices now."""
    with central.app_context():
        session = central_db.session
        location = session.scalar(select(Location).where(Location.code == kiosk.location))
        events = session.execute(select(SyncEvent.seq, SyncEvent.id, SyncEvent.status, SyncEvent.code)
                                 .where(SyncEvent.device_id == kiosk.device_id)).all()
        rows = {"events": sorted((seq, id_) for seq, id_, _status, _code in events),
                "not_applied": [(seq, status, code) for seq, _id, status, code in events if status != "applied"],
                "last_seq": session.scalar(select(Device.last_seq).where(Device.id == kiosk.device_id)),
                "refunds": set(session.scalars(select(Refund.id).where(Refund.location_id == location.id))),
                "transfers": dict(session.execute(select(CentralTransfer.id, CentralTransfer.status)
                                                  .where(CentralTransfer.to_location_id == location.id)).all()),
                "prices": {product.sku: price_of(product, location)
                           for product in session.scalars(select(Product).where(Product.active.is_(True)))}}
        session.remove()
        return rows


def assert_converged(central: Flask, kiosks: list[Kiosk], answered: dict[str, set[str]]) -> None:
    """After a heal: nothing lost, nothing doubled, both sides agree. ``answered``: location -> the ids of
    the sales the kiosk there answered 201 (a sale committed whose answer was lost may be there too)."""
    outbox_total = sales_total = 0
    for kiosk in kiosks:
        here, there = kiosk_rows(kiosk), central_rows(central, kiosk)
        assert_books_balance(kiosk.app)  # its balances are its ledger; its outbox is numbered 1..n
        assert here["pending"] == 0, f"{kiosk.location}: {here['pending']} events not acknowledged"
        assert sorted(here["events"]) == there["events"], f"{kiosk.location}: outbox and central's events differ"
        assert there["last_seq"] == len(here["events"])
        assert there["not_applied"] == [], f"{kiosk.location}: events central did not apply"
        sales = central_sales(central, kiosk.location)
        assert len(sales) == len(set(sales)) and set(sales) == here["sales"], f"{kiosk.location}: sales differ"
        assert answered[kiosk.location] <= here["sales"], f"{kiosk.location}: a sale answered 201 was lost"
        assert there["refunds"] == here["refunds"], f"{kiosk.location}: refunds differ"
        assert here["transfers"] == there["transfers"], f"{kiosk.location}: transfers differ"
        assert here["prices"] == there["prices"], f"{kiosk.location}: prices differ"
        assert same_stock(kiosk, central), f"{kiosk.location}: stock differs"
        outbox_total, sales_total = outbox_total + len(here["events"]), sales_total + len(here["sales"])
    with central.app_context():
        assert central_db.session.scalar(select(func.count()).select_from(SyncEvent)) == outbox_total
        assert central_db.session.scalar(select(func.count()).select_from(Sale)) == sales_total
        central_db.session.remove()
    assert_balances_match_ledger(central)
