"""A kiosk to measure: the real migrations on an SQLite file, the demo data, a manager's token, an open shift.

This does not reuse the pytest fixtures on purpose: the memory measure runs it in a process of its own,
and importing pytest there would count pytest's memory as the kiosk's.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from flask import Flask
from sqlalchemy import select

from kiosk import create_app, demo
from kiosk.cli import ensure_database
from kiosk.extensions import db
from kiosk.models import Product

LINES_PER_SALE = 5


@dataclass(frozen=True)
class Item:
    sku: str
    price_vnd: int


@dataclass
class Site:
    app: Flask
    token: str  # the manager's bearer token
    logins: dict[str, tuple[str, str]]  # role: (username, password)
    items: list[Item]  # the active products

    def __post_init__(self):
        self.client = self.app.test_client()

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        """POST JSON to the API as the manager; anything but ``status`` is an error."""
        response = self.client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {self.token}"})
        if response.status_code != status:
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.get_data(as_text=True)}")
        return response.get_json()

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", query_string=params,
                               headers={"Authorization": f"Bearer {self.token}"})

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


def kiosk_app(folder: Path) -> Flask:
    return create_app({"INSTANCE_PATH": str(folder), "PRINTER_URL": "none",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/kiosk.sqlite3"})


def prepare(folder: Path, load: Callable[[], None] | None = None) -> None:
    """Make ``folder``/kiosk.sqlite3 as `make run` does: the migrations, the demo data, then ``load()``'s."""
    app = kiosk_app(folder)
    with app.app_context():
        ensure_database()
        demo.load()
        if load is not None:
            load()
        db.session.commit()
        db.engine.dispose()


def open_site(folder: Path, open_shift: bool = True) -> Site:
    """The kiosk app on a prepared database, as a kiosk process starts: a manager logs in, opens a shift."""
    app = kiosk_app(folder)
    with app.app_context():
        items = [Item(sku, price) for sku, price in db.session.execute(
            select(Product.sku, Product.price_vnd).where(Product.active.is_(True)).order_by(Product.id))]
    logins = {role: (username, password) for username, password, role in demo.LOGINS}
    username, password = logins["manager"]
    token = app.test_client().post("/api/v1/login", json={"username": username, "password": password}).json["token"]
    site = Site(app, token, logins, items)
    if open_shift:
        site.post("/shifts", {"opening_cash_vnd": 500_000})
    return site


def make_site(folder: Path, load: Callable[[], None] | None = None, open_shift: bool = True) -> Site:
    prepare(folder, load)
    return open_site(folder, open_shift)


def sale_bodies(items: list[Item], count: int, seed: int = 2, lines: int = LINES_PER_SALE) -> Iterator[dict]:
    """``count`` cash sales of ``lines`` different products, 1 to 3 of each, paid in notes with change; made
    one at a time, so that 10,000 of them cost the memory measure nothing."""
    rng = random.Random(seed)
    for _ in range(count):
        picked = [(item, rng.randint(1, 3)) for item in rng.sample(items, lines)]
        total = sum(item.price_vnd * qty for item, qty in picked)
        yield {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
               "lines": [{"sku": item.sku, "qty": qty} for item, qty in picked],
               "payments": [{"method": "cash", "amount_vnd": -(-total // 50_000) * 50_000}]}  # notes, with change
