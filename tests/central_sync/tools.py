"""Helpers for the central tests: the contract's error shape, the ledger against the balances."""
from sqlalchemy import select

from central_sync.extensions import db
from central_sync.models import StockBalance
from central_sync.stock.services import ledger_sums


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"], body
    if field is not None:
        assert body["error"].get("field") == field, body
    return body["error"]


def assert_balances_match_ledger(app) -> None:
    with app.app_context():
        balances = {(l, p): q for l, p, q in db.session.execute(
            select(StockBalance.location_id, StockBalance.product_id, StockBalance.qty))}
        ledger = ledger_sums()
        assert {k: v for k, v in balances.items() if v} == {k: v for k, v in ledger.items() if v}


def stock_of(api, location: str, sku: str) -> tuple[int, int]:
    rows = api.get(f"/stock?location={location}&sku={sku}").get_json()["stock"]
    return (rows[0]["qty"], rows[0]["in_transit"]) if rows else (0, 0)
