"""Stock on hand, adjustments (manager), and transfers from central received at the kiosk."""
import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Product, StockMovement
from tests.kiosk.apitools import DEMO, assert_books_balance, assert_error, balances, outbox, ship, snapshot

INCOMING = DEMO["incoming_transfer"]  # CF-CB-500 x 20, MO-CP-500 x 12, SR-KP-KEM x 10


def stock(api) -> dict[str, int]:
    response = api.get("/stock")
    assert response.status_code == 200
    rows = response.get_json()["stock"]
    assert all(set(row) >= {"sku", "qty"} for row in rows)
    return {row["sku"]: row["qty"] for row in rows}


def receive(api, transfer_id, lines):
    return api.post(f"/transfers/{transfer_id}/receive",
                    {"lines": [{"sku": sku, "received_qty": qty} for sku, qty in lines]})


def test_stock_on_hand(shared_kiosk):
    vendor = shared_kiosk.vendor
    assert stock(vendor) == {p["sku"]: p["stock"] for p in DEMO["products"]}


def test_a_manager_adjusts_stock_with_a_reason(app, manager):
    response = manager.post("/stock/adjustments", {"sku": "MO-CP-500", "delta": -2, "reason": "damaged"})
    assert response.status_code == 201
    assert stock(manager)["MO-CP-500"] == 28
    assert manager.post("/stock/adjustments", {"sku": "MO-CP-500", "delta": 5, "reason": "count"}).status_code == 201
    assert stock(manager)["MO-CP-500"] == 33
    with app.app_context():
        movements = db.session.execute(
            select(StockMovement.delta, StockMovement.reason, StockMovement.detail).join(Product)
            .where(Product.sku == "MO-CP-500", StockMovement.user_id.is_not(None)).order_by(StockMovement.id)).all()
        assert [tuple(m) for m in movements] == [(-2, "adjustment", "damaged"), (5, "count", "count")]
        assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.user_id.is_not(None))
                                  .order_by(AuditEntry.id)).all() == ["stock.adjust"] * 2
    events = outbox(app, "stock_adjustment")
    assert [(e.payload["sku"], e.payload["delta"], e.payload["reason"]) for e in events] == [
        ("MO-CP-500", -2, "damaged"), ("MO-CP-500", 5, "count")]
    assert len({e.payload["id"] for e in events}) == 2
    assert_books_balance(app)


@pytest.mark.parametrize("reason", ["damaged", "expired", "count", "other"])
def test_every_contract_reason_is_accepted(manager, reason):
    assert manager.post("/stock/adjustments", {"sku": "CF-CB-500", "delta": -1, "reason": reason}).status_code == 201


def test_an_adjustment_may_take_stock_below_zero(app, manager):
    assert manager.post("/stock/adjustments", {"sku": "SR-KP-KEM", "delta": -5, "reason": "expired"}).status_code == 201
    assert balances(app)["SR-KP-KEM"] == -2


def test_a_vendor_may_not_adjust(shared_kiosk):
    app, vendor = shared_kiosk.app, shared_kiosk.vendor
    before = snapshot(app)
    assert_error(vendor.post("/stock/adjustments", {"sku": "MO-CP-500", "delta": -1, "reason": "damaged"}),
                 403, "forbidden")
    assert snapshot(app) == before


@pytest.mark.parametrize("body, status, code, field", [
    ({"sku": "MO-CP-500", "delta": 0, "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": 1.5, "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": 1.0, "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": "1", "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": True, "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": None, "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": 10**30, "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": -10**30, "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "reason": "damaged"}, 422, "validation_error", "delta"),
    ({"sku": "MO-CP-500", "delta": 1, "reason": "theft"}, 422, "validation_error", "reason"),
    ({"sku": "MO-CP-500", "delta": 1, "reason": "DAMAGED"}, 422, "validation_error", "reason"),
    ({"sku": "MO-CP-500", "delta": 1}, 422, "validation_error", "reason"),
    ({"sku": "NO-SUCH-SKU", "delta": 1, "reason": "other"}, 422, "unknown_product", "sku"),
    ({"sku": "", "delta": 1, "reason": "other"}, 422, "validation_error", "sku"),
    ({"sku": 7, "delta": 1, "reason": "other"}, 422, "validation_error", "sku"),
    ({"delta": 1, "reason": "other"}, 422, "validation_error", "sku"),
])
def test_bad_adjustments_are_refused_and_write_nothing(shared_kiosk, body, status, code, field):
    app, manager = shared_kiosk.app, shared_kiosk.manager
    before = snapshot(app)
    assert_error(manager.post("/stock/adjustments", body), status, code, field)
    assert snapshot(app) == before


def test_the_transfers_shipped_to_this_kiosk(shared_kiosk):
    vendor = shared_kiosk.vendor
    response = vendor.get("/transfers")
    assert response.status_code == 200
    [transfer] = response.get_json()["transfers"]
    assert (transfer["id"], transfer["status"]) == (INCOMING["id"], "in_transit")
    assert [{"sku": l["sku"], "qty": l["qty"]} for l in transfer["lines"]] == INCOMING["lines"]


def test_receiving_everything(app, vendor):
    before = stock(vendor)
    response = receive(vendor, INCOMING["id"], [(l["sku"], l["qty"]) for l in INCOMING["lines"]])
    assert response.status_code == 200
    after = stock(vendor)
    assert after == before | {l["sku"]: before[l["sku"]] + l["qty"] for l in INCOMING["lines"]}
    [transfer] = vendor.get("/transfers").get_json()["transfers"]
    assert transfer["status"] == "received"
    [event] = outbox(app, "transfer_receipt")
    assert event.payload["transfer_id"] == INCOMING["id"]
    assert [{"sku": l["sku"], "received_qty": l["received_qty"]} for l in event.payload["lines"]] == \
        [{"sku": l["sku"], "received_qty": l["qty"]} for l in INCOMING["lines"]]
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.user_id.is_not(None))).all() == \
            ["transfer.receive"]
    assert_books_balance(app)


def test_a_shortfall_is_recorded_for_central(app, vendor):
    before = stock(vendor)
    # Two coffee bags short, no honey at all, the ice cream complete; lines in another order.
    response = receive(vendor, INCOMING["id"], [("SR-KP-KEM", 10), ("MO-CP-500", 0), ("CF-CB-500", 18)])
    assert response.status_code == 200
    after = stock(vendor)
    assert (after["CF-CB-500"], after["MO-CP-500"], after["SR-KP-KEM"]) == \
        (before["CF-CB-500"] + 18, before["MO-CP-500"], before["SR-KP-KEM"] + 10)
    [event] = outbox(app, "transfer_receipt")
    received = {l["sku"]: l["received_qty"] for l in event.payload["lines"]}
    assert received == {"CF-CB-500": 18, "MO-CP-500": 0, "SR-KP-KEM": 10}
    [transfer] = vendor.get("/transfers").get_json()["transfers"]
    assert {l["sku"]: l["received_qty"] for l in transfer["lines"]} == received
    assert_books_balance(app)


def test_receiving_twice_is_409(app, vendor, manager):
    lines = [(l["sku"], l["qty"]) for l in INCOMING["lines"]]
    assert receive(vendor, INCOMING["id"], lines).status_code == 200
    before = snapshot(app)
    assert_error(receive(manager, INCOMING["id"], lines), 409, "transfer_already_received")
    assert snapshot(app) == before


@pytest.mark.parametrize("transfer_id", ["6f1d3c52-0000-4b7f-a1c2-0d5e8b7f4a31", "x" * 10_000, "%F0%9F%93%A6"])
def test_receiving_an_unknown_transfer_is_404(shared_kiosk, transfer_id):
    app, vendor = shared_kiosk.app, shared_kiosk.vendor
    before = snapshot(app)
    assert_error(receive(vendor, transfer_id, [("CF-CB-500", 1)]), 404, "not_found")
    assert snapshot(app) == before


@pytest.mark.parametrize("lines", [
    [("CF-CB-500", 20), ("MO-CP-500", 12)],  # a line missing
    [("CF-CB-500", 20), ("MO-CP-500", 12), ("SR-KP-KEM", 10), ("MO-CP-250", 1)],  # one not shipped
    [("CF-CB-500", 20), ("MO-CP-500", 12), ("NO-SUCH-SKU", 10)],
    [],
])
def test_receiving_missing_or_extra_lines_is_422(shared_kiosk, lines):
    app, vendor = shared_kiosk.app, shared_kiosk.vendor
    before = snapshot(app)
    assert_error(receive(vendor, INCOMING["id"], lines), 422, "validation_error", "lines")
    assert snapshot(app) == before


@pytest.mark.parametrize("qty", [-1, 1.5, "3", None, True, 10**30])
def test_a_bad_received_qty_is_422(shared_kiosk, qty):
    app, vendor = shared_kiosk.app, shared_kiosk.vendor
    before = snapshot(app)
    response = vendor.post(f"/transfers/{INCOMING['id']}/receive", {"lines": [
        {"sku": "CF-CB-500", "received_qty": qty}, {"sku": "MO-CP-500", "received_qty": 12},
        {"sku": "SR-KP-KEM", "received_qty": 10}]})
    assert_error(response, 422, "validation_error", "lines.0.received_qty")
    assert snapshot(app) == before


def test_a_transfer_of_a_product_unknown_here_still_counts_what_it_can(app, vendor):
    ship(app, "t-2", ("MO-CP-250", 4), ("NEW-FROM-CENTRAL", 3))
    before = stock(vendor)
    assert receive(vendor, "t-2", [("MO-CP-250", 4), ("NEW-FROM-CENTRAL", 3)]).status_code == 200
    assert stock(vendor)["MO-CP-250"] == before["MO-CP-250"] + 4
    [event] = outbox(app, "transfer_receipt")
    assert {l["sku"]: l["received_qty"] for l in event.payload["lines"]} == {"MO-CP-250": 4, "NEW-FROM-CENTRAL": 3}


def test_a_product_shipped_on_two_lines_is_counted_once(app, vendor):
    ship(app, "t-3", ("MO-CP-250", 4), ("MO-CP-250", 2))
    before = stock(vendor)["MO-CP-250"]
    assert receive(vendor, "t-3", [("MO-CP-250", 5)]).status_code == 200
    assert stock(vendor)["MO-CP-250"] == before + 5
    [event] = outbox(app, "transfer_receipt")
    assert sum(l["received_qty"] for l in event.payload["lines"]) == 5
    [transfer] = [t for t in vendor.get("/transfers").get_json()["transfers"] if t["id"] == "t-3"]
    assert [(l["qty"], l["received_qty"]) for l in transfer["lines"]] == [(4, 4), (2, 1)]
    assert_books_balance(app)


def test_stock_and_transfers_need_a_login(anonymous, demo_data):
    assert_error(anonymous.get("/stock"), 401, "unauthorized")
    assert_error(anonymous.get("/transfers"), 401, "unauthorized")
    assert_error(anonymous.post("/stock/adjustments", {"sku": "CF-CB-500", "delta": 1, "reason": "other"}),
                 401, "unauthorized")
    assert_error(receive(anonymous, INCOMING["id"], []), 401, "unauthorized")
