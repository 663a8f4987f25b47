"""Stock per location, transfers (goods leave when shipped, in transit until received), adjustments."""
import pytest
from sqlalchemy import select

from central_sync.extensions import db
from central_sync.models import Alert, Device
from central_sync.stock import services
from tests.central_sync.conftest import WAREHOUSE_QTY
from tests.central_sync.tools import assert_balances_match_ledger, assert_error, stock_of

SHIP = {"from_location": "KHO", "to_location": "K01", "lines": [{"sku": "CF-500", "qty": 10}, {"sku": "MO-250", "qty": 4}]}


def test_stock_lists_every_location_and_product_held(reviewer):
    stock = reviewer.get("/stock").get_json()["stock"]
    assert stock == [{"location": "KHO", "sku": sku, "qty": WAREHOUSE_QTY, "in_transit": 0}
                     for sku in sorted(["CF-500", "CF-250", "MO-250"])]


def test_a_transfer_takes_goods_from_the_source_and_shows_them_in_transit(app, admin):
    response = admin.post("/transfers", SHIP)
    assert response.status_code == 201
    transfer = response.get_json()
    assert transfer["status"] == "in_transit" and transfer["to_location"] == "K01"
    assert {(l["sku"], l["qty"]) for l in transfer["lines"]} == {("CF-500", 10), ("MO-250", 4)}
    assert stock_of(admin, "KHO", "CF-500") == (WAREHOUSE_QTY - 10, 0)
    assert stock_of(admin, "K01", "CF-500") == (0, 10)
    assert admin.get("/stock?location=K01").get_json()["stock"] == [
        {"location": "K01", "sku": "CF-500", "qty": 0, "in_transit": 10},
        {"location": "K01", "sku": "MO-250", "qty": 0, "in_transit": 4}]
    assert admin.get(f"/transfers/{transfer['id']}").get_json() == transfer
    assert [t["id"] for t in admin.get("/transfers?status=in_transit&location=K01").get_json()["transfers"]] == [
        transfer["id"]]
    assert_balances_match_ledger(app)


def test_receiving_puts_what_arrived_on_stock_and_a_shortfall_is_an_alert(app, admin):
    transfer = admin.post("/transfers", SHIP).get_json()
    with app.app_context():
        services.receive_transfer(transfer["id"], {"CF-500": 10, "MO-250": 3})
        db.session.commit()
    assert stock_of(admin, "K01", "CF-500") == (10, 0)
    assert stock_of(admin, "K01", "MO-250") == (3, 0)
    alerts = [a for a in admin.get("/alerts").get_json()["alerts"] if a["kind"] == "transfer_discrepancy"]
    assert [(a["location"], a["sku"], a["ref"]) for a in alerts] == [("K01", "MO-250", transfer["id"])]
    assert admin.get(f"/transfers/{transfer['id']}").get_json()["status"] == "received"
    assert_balances_match_ledger(app)


def test_a_transfer_is_received_once_and_only_at_its_destination(app, admin):
    transfer = admin.post("/transfers", SHIP).get_json()
    other = admin.post("/devices", {"location": "K02"}).get_json()
    with app.app_context():
        with pytest.raises(services.NotFound):
            services.receive_transfer(transfer["id"], {}, device=db.session.get(Device, other["device_id"]))
        with pytest.raises(services.ValidationFailed):
            services.receive_transfer(transfer["id"], {"CF-250": 1})
        services.receive_transfer(transfer["id"], {})  # nothing arrived: everything is a discrepancy
        db.session.commit()
        with pytest.raises(services.Conflict):
            services.receive_transfer(transfer["id"], {"CF-500": 10})
        assert db.session.scalar(select(db.func.count()).select_from(Alert)) == 2


def test_the_same_sku_on_two_lines_ships_their_sum(admin):
    body = {**SHIP, "lines": [{"sku": "CF-500", "qty": 3}, {"sku": "CF-500", "qty": 2}]}
    assert admin.post("/transfers", body).get_json()["lines"] == [{"sku": "CF-500", "qty": 5, "received_qty": None}]
    assert stock_of(admin, "K01", "CF-500") == (0, 5)


def test_a_transfer_the_source_cannot_cover_is_409_and_changes_nothing(app, admin):
    body = {**SHIP, "lines": [{"sku": "CF-250", "qty": 1}, {"sku": "CF-500", "qty": WAREHOUSE_QTY + 1}]}
    error = assert_error(admin.post("/transfers", body), 409, "insufficient_stock")
    assert error["sku"] == "CF-500"
    kiosk = {**SHIP, "from_location": "K02", "to_location": "K01"}  # a kiosk that holds nothing
    assert_error(admin.post("/transfers", kiosk), 409, "insufficient_stock")
    assert stock_of(admin, "KHO", "CF-250") == (WAREHOUSE_QTY, 0)
    assert admin.get("/transfers").get_json()["transfers"] == []
    assert_balances_match_ledger(app)


@pytest.mark.parametrize("change, status, code, field", [
    ({"from_location": "NOPE"}, 422, "unknown_location", "from_location"),
    ({"to_location": "NOPE"}, 422, "unknown_location", "to_location"),
    ({"to_location": "KHO"}, 422, "validation_error", "to_location"),
    ({"lines": [{"sku": "CF-500", "qty": 1}, {"sku": "XX-1", "qty": 1}]}, 422, "unknown_product", "lines.1.sku"),
    ({"lines": [{"sku": "CF-500", "qty": 0}]}, 422, "validation_error", "lines.0.qty"),
    ({"lines": [{"sku": "CF-500", "qty": -5}]}, 422, "validation_error", "lines.0.qty"),
    ({"lines": [{"sku": "CF-500", "qty": 10**15}]}, 422, "validation_error", "lines.0.qty"),
    ({"lines": [{"sku": "CF-500", "qty": 1.5}]}, 422, "validation_error", "lines.0.qty"),
    ({"lines": [{"sku": "CF-500", "qty": "1"}]}, 422, "validation_error", "lines.0.qty"),
    ({"lines": []}, 422, "validation_error", "lines"),
    ({"lines": [{"sku": "CF-500", "qty": 1}] * 501}, 422, "validation_error", "lines"),
    ({"from_location": None}, 422, "validation_error", "from_location"),
])
def test_bad_transfers_are_refused_with_the_contract_errors(app, admin, change, status, code, field):
    assert_error(admin.post("/transfers", {**SHIP, **change}), status, code, field)
    assert stock_of(admin, "KHO", "CF-500") == (WAREHOUSE_QTY, 0)


def test_a_transfer_body_that_is_not_an_object_is_400(admin):
    assert_error(admin.post("/transfers", [1, 2]), 400, "bad_request")


@pytest.mark.parametrize("query, code, field", [
    ("location=NOPE", "unknown_location", "location"), ("sku=NOPE", "unknown_product", "sku"),
    ("location=" + "X" * 40, "validation_error", "location"),
])
def test_stock_filters_name_known_things(reviewer, query, code, field):
    assert_error(reviewer.get(f"/stock?{query}"), 422, code, field)


@pytest.mark.parametrize("path", ["/transfers/nope", "/transfers/" + "x" * 300])
def test_an_unknown_transfer_is_404(reviewer, path):
    assert_error(reviewer.get(path), 404, "not_found")


def test_adjustments_move_stock_with_their_reason(app, admin):
    response = admin.post("/stock/adjustments", {"location": "KHO", "sku": "CF-250", "delta": -3, "reason": "damaged",
                                                 "note": "bao bì rách"})
    assert response.status_code == 201 and response.get_json()["qty"] == WAREHOUSE_QTY - 3
    assert stock_of(admin, "KHO", "CF-250") == (WAREHOUSE_QTY - 3, 0)
    assert_error(admin.post("/stock/adjustments", {"location": "KHO", "sku": "CF-250", "delta": 0, "reason": "count"}),
                 422, "validation_error", "delta")
    assert_error(admin.post("/stock/adjustments", {"location": "KHO", "sku": "CF-250", "delta": 1, "reason": "gift"}),
                 422, "validation_error", "reason")
    assert_balances_match_ledger(app)


def test_a_nul_character_is_refused_before_the_database_sees_it(app, admin):
    """PostgreSQL cannot store a NUL in text: a path, a query or a JSON text holding one is refused, not a 500."""
    assert_error(admin.get("/stock?location=%00"), 400, "bad_request")
    assert_error(admin.get("/transfers/%00"), 400, "bad_request")
    assert_error(admin.post("/stock/adjustments", {"location": "KHO", "sku": "CF-250", "delta": -1,
                                                   "reason": "damaged", "note": "rách\x00"}), 422, "validation_error")
    assert stock_of(admin, "KHO", "CF-250") == (WAREHOUSE_QTY, 0)
