"""Helpers for the kiosk API tests: a bearer-token client, the demo kiosk, the contract's error shape,
what the database holds."""
import json
import shutil
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from kiosk import demo
from kiosk.auth import services as auth_services
from kiosk.extensions import db
from kiosk.models import (ApiToken, AuditEntry, Counter, LoginFailure, OutboxEvent, Payment, PrintJob, Product,
                          Refund, RefundLine, Sale, SaleLine, Shift, StockBalance, StockMovement, Transfer,
                          TransferLine, utcnow)
from tests.conftest import kiosk_app

ERROR_KEYS = {"code", "message", "field"}
DEMO = json.loads(demo.CATALOGUE.read_text(encoding="utf-8"))  # the demo catalogue, stock and incoming transfer
# Every sale line of a transfer, card or cash sale of the demo catalogue (kiosk/demo/catalogue.json).
PRICES = {"CF-CB-500": 145_000, "MO-CP-250": 98_000, "CF-BM-CHON": 390_000, "SR-KP-KEM": 95_000}


class Api:
    """A JSON client for the kiosk API that sends a bearer token."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, path, headers=None, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self._headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(headers), **kwargs)


def login(client, username, password):
    response = client.post("/api/v1/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


@contextmanager
def cheap_password_hashes():
    """scrypt costs ~0.12 s a hash by design; the tests hash with 1,000 pbkdf2 rounds instead.

    Only the cost changes: passwords are still stored hashed, and checked by the real code.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth_services, "generate_password_hash",
                      partial(generate_password_hash, method="pbkdf2:sha256:1000"))
        yield


def demo_database(folder: Path, migrated_db: Path) -> Path:
    """A copy of the migrated schema with the demo data loaded: users, catalogue, stock, a transfer on its way."""
    shutil.copy(migrated_db, folder / "kiosk.sqlite3")
    app = kiosk_app(folder)
    with app.app_context():
        demo.load()
        db.session.commit()
        db.engine.dispose()
    return folder / "kiosk.sqlite3"


def demo_kiosk(folder: Path, demo_db: Path, **config) -> SimpleNamespace:
    """A kiosk on its own copy of the demo database, with an API client per role."""
    shutil.copy(demo_db, folder / "kiosk.sqlite3")
    app = kiosk_app(folder, **config)
    client = app.test_client()
    tokens = {role: login(client, username, password) for username, password, role in demo.LOGINS}
    return SimpleNamespace(app=app, client=client, tokens=tokens, **{role: Api(client, token)
                                                                      for role, token in tokens.items()})


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The answer is exactly the contract's error: {"error": {"code", "message", "field"?}}."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= ERROR_KEYS and {"code", "message"} <= set(error), error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    if field is not None:
        assert error.get("field") == field, error
    else:
        assert isinstance(error.get("field", ""), str), error
    return error


COUNTED = (Sale, SaleLine, Payment, Refund, RefundLine, StockMovement, OutboxEvent, AuditEntry, Shift, ApiToken,
           LoginFailure, PrintJob)


def snapshot(app) -> dict:
    """Everything a request could write: row counts, counters, balances, shift and transfer states."""
    with app.app_context():
        counted = db.session.execute(select(*(select(func.count()).select_from(model).scalar_subquery()
                                              for model in COUNTED))).one()
        return {
            "counts": {model.__tablename__: count for model, count in zip(COUNTED, counted, strict=True)},
            "counters": dict(db.session.execute(select(Counter.name, Counter.value)).all()),
            "balances": dict(db.session.execute(select(StockBalance.product_id, StockBalance.qty)).all()),
            "open_shifts": db.session.scalar(select(func.count()).where(Shift.closed_at.is_(None))),
            "transfers": dict(db.session.execute(select(Transfer.id, Transfer.status)).all()),
            "received": db.session.execute(select(TransferLine.id, TransferLine.received_qty)).all(),
            "refunded": db.session.execute(select(SaleLine.id, SaleLine.refunded_qty)).all(),
        }


def balances(app) -> dict[str, int]:
    """Stock on hand per SKU, from the balance table."""
    with app.app_context():
        return dict(db.session.execute(
            select(Product.sku, StockBalance.qty).join(StockBalance, StockBalance.product_id == Product.id)).all())


def ledger(app) -> dict[str, int]:
    """Stock on hand per SKU, summed from the movements."""
    with app.app_context():
        return dict(db.session.execute(
            select(Product.sku, func.sum(StockMovement.delta)).join(StockMovement, StockMovement.product_id == Product.id)
            .group_by(Product.sku)).all())


def outbox(app, event_type: str | None = None) -> list[OutboxEvent]:
    with app.app_context():
        stmt = select(OutboxEvent).order_by(OutboxEvent.seq)
        if event_type:
            stmt = stmt.where(OutboxEvent.type == event_type)
        events = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return events


def set_product(app, sku: str, **values) -> None:
    """Change a product of the catalogue in place: its certificate, its price, whether it is still sold."""
    with app.app_context():
        db.session.execute(update(Product).where(Product.sku == sku).values(**values))
        db.session.commit()


def ship(app, transfer_id: str, *lines: tuple[str, int]) -> None:
    """A transfer of (sku, qty) lines from central, on its way to the kiosk."""
    with app.app_context():
        db.session.add(Transfer(id=transfer_id, status="in_transit", shipped_at=utcnow()))
        db.session.add_all(TransferLine(transfer_id=transfer_id, sku=sku, qty=qty) for sku, qty in lines)
        db.session.commit()


def assert_books_balance(app) -> None:
    """The balance table agrees with the ledger, and the outbox is numbered 1..n without gaps."""
    assert balances(app) == ledger(app)
    seqs = [event.seq for event in outbox(app)]
    assert seqs == list(range(1, len(seqs) + 1))


def sell(api, body: dict) -> dict:
    """POST /sales that must make a new sale; its answer."""
    response = api.post("/sales", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sale_body(*lines, payments=None, **extra) -> dict:
    """A sale of (sku, qty[, discount]) lines, paid in exact cash unless ``payments`` says otherwise."""
    body_lines = [{"sku": sku, "qty": qty, **({"discount_vnd": rest[0]} if rest else {})}
                  for sku, qty, *rest in lines]
    if payments is None:
        total = sum(PRICES[line["sku"]] * line["qty"] - line.get("discount_vnd", 0) for line in body_lines)
        payments = [{"method": "cash", "amount_vnd": total}]
    return {"lines": body_lines, "payments": payments, **extra}
