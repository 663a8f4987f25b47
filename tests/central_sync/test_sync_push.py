"""POST /api/v1/sync/push (CONTRACT.md "Sync"): exactly once, in seq order, at the token's location only."""
import gzip
import json
import threading
import uuid

import pytest
from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Device, Sale, SaleLine, StockMovement, SyncEvent
from tests.central_sync.tools import assert_balances_match_ledger, assert_error, stock_of
from tests.kiosk.apitools import Api

AT = "2026-11-29T09:00:00+07:00"


@pytest.fixture
def device(client, admin):
    """K01's device (K01 holds nothing yet: every sale there oversells)."""
    return Api(client, admin.post("/devices", json={"location": "K01"}).get_json()["token"])


def event(seq, type_="sale", payload=None, id_=None):
    return {"seq": seq, "id": id_ or str(uuid.uuid4()), "type": type_, "occurred_at": AT, "payload": payload or {}}


def sale(sku="CF-500", qty=1, price=145_000, **extra):
    sale_id = str(uuid.uuid4())
    return {"id": sale_id, "number": f"K01-{sale_id[:8]}", "created_at": AT, "total_vnd": qty * price,
            "lines": [{"sku": sku, "qty": qty, "unit_price_vnd": price, "discount_vnd": 0}],
            "payments": [{"method": "cash", "amount_vnd": qty * price}], **extra}


def push(kiosk, events, **kwargs):
    return kiosk.post("/sync/push", json={"protocol": 1, "events": events}, **kwargs)


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (SyncEvent, Sale, SaleLine, StockMovement))


def test_a_sale_is_applied_at_the_devices_location_with_its_price(app, device, admin):
    first = event(1, payload=sale(qty=3, price=140_000, location="K02"))
    response = push(device, [first])
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"acked_seq": 1, "results": [
        {"seq": 1, "id": first["id"], "status": "applied", "code": None}]}
    assert stock_of(admin, "K01", "CF-500") == (-3, 0) and stock_of(admin, "K02", "CF-500") == (0, 0)
    sales = admin.get("/sales?location=K01").get_json()["sales"]
    assert [(s["id"], s["total_vnd"]) for s in sales] == [(first["payload"]["id"], 420_000)]
    kinds = {(a["kind"], a["sku"]) for a in admin.get("/alerts").get_json()["alerts"]}
    assert {("oversell", "CF-500"), ("outdated_price", "CF-500")} <= kinds
    assert_balances_match_ledger(app)


def test_the_retry_of_a_lost_answer_is_all_duplicates(app, device, admin):
    events = [event(1, payload=sale()), event(2, "stock_adjustment",
                                              {"id": str(uuid.uuid4()), "sku": "MO-250", "delta": 5, "reason": "count"})]
    assert push(device, events).status_code == 200
    before = counts(app), stock_of(admin, "K01", "CF-500"), stock_of(admin, "K01", "MO-250")
    again = push(device, events)
    assert again.status_code == 200
    assert again.get_json() == {"acked_seq": 2, "results": [
        {"seq": e["seq"], "id": e["id"], "status": "duplicate", "code": None} for e in events]}
    assert (counts(app), stock_of(admin, "K01", "CF-500"), stock_of(admin, "K01", "MO-250")) == before
    assert before[2] == (5, 0)


def test_events_are_handled_in_seq_order(device, admin):
    events = [event(2, payload=sale()), event(1, "stock_adjustment",
                                              {"id": str(uuid.uuid4()), "sku": "CF-500", "delta": 4, "reason": "count"})]
    response = push(device, events)
    assert [r["seq"] for r in response.get_json()["results"]] == [1, 2]
    assert stock_of(admin, "K01", "CF-500") == (3, 0)


def test_a_gap_is_refused_with_the_expected_seq(app, device):
    assert push(device, [event(1, payload=sale())]).status_code == 200
    before = counts(app)
    error = assert_error(push(device, [event(3, payload=sale())]), 409, "seq_gap")
    assert error["expected_seq"] == 2 and counts(app) == before


def test_an_old_seq_with_a_new_id_is_a_seq_conflict(app, device):
    assert push(device, [event(1, payload=sale()), event(2, payload=sale())]).status_code == 200
    before = counts(app)
    error = assert_error(push(device, [event(2, payload=sale()), event(3, payload=sale())]), 409, "seq_conflict")
    assert (error["seq"], error["expected_seq"]) == (2, 3)  # where a kiosk restored from a backup goes on
    assert counts(app) == before


def test_a_known_id_with_another_payload_is_an_idempotency_conflict(app, device):
    first = event(1, payload=sale())
    assert push(device, [first]).status_code == 200
    before = counts(app)
    assert_error(push(device, [{**first, "payload": sale(qty=2)}]), 422, "idempotency_conflict")
    assert counts(app) == before


@pytest.mark.parametrize("bad, code", [
    (event(1, "teleport", {"x": 1}), "unknown_type"),
    (event(1, payload=sale(sku="NO-SUCH")), "unknown_product"),
    (event(1, payload={"id": "x"}), "invalid_payload"),
    (event(1, "refund", {"id": "r1", "sale_id": "nope", "lines": [{"sku": "CF-500", "qty": 1, "amount_vnd": 1}]}),
     "unknown_sale"),
])
def test_an_event_that_can_never_apply_is_rejected_kept_and_does_not_block(app, device, admin, bad, code):
    response = push(device, [bad, event(2, payload=sale())])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["acked_seq"] == 2
    assert [(r["status"], r["code"]) for r in body["results"]] == [("rejected", code), ("applied", None)]
    alerts = admin.get("/alerts").get_json()["alerts"]
    assert any(a["kind"] == "rejected_event" and a["ref"] == bad["id"] for a in alerts)
    with app.app_context():
        kept = db.session.get(SyncEvent, bad["id"])
        assert (kept.status, kept.code, kept.payload) == ("rejected", code, bad["payload"])
    assert stock_of(admin, "K01", "CF-500") == (-1, 0)  # the rejected sale moved nothing
    assert push(device, [bad]).get_json()["results"][0]["status"] == "duplicate"


def test_a_refund_puts_stock_back(device, admin):
    sold = sale(qty=2)
    refund = {"id": str(uuid.uuid4()), "sale_id": sold["id"], "reason": "hỏng",
              "lines": [{"sku": "CF-500", "qty": 1, "amount_vnd": 145_000}]}
    response = push(device, [event(1, payload=sold), event(2, "refund", refund)])
    assert [r["status"] for r in response.get_json()["results"]] == ["applied", "applied"]
    assert stock_of(admin, "K01", "CF-500") == (-1, 0)


def test_a_transfer_receipt_receives_and_reports_a_shortfall(device, admin):
    transfer = admin.post("/transfers", json={"from_location": "KHO", "to_location": "K01",
                                              "lines": [{"sku": "CF-250", "qty": 10}]}).get_json()
    receipt = {"transfer_id": transfer["id"], "lines": [{"sku": "CF-250", "received_qty": 8}]}
    response = push(device, [event(1, "transfer_receipt", receipt), event(2, "shift_closed", {"total_vnd": 0})])
    assert [r["status"] for r in response.get_json()["results"]] == ["applied", "applied"]
    assert stock_of(admin, "K01", "CF-250") == (8, 0)
    alerts = admin.get("/alerts").get_json()["alerts"]
    assert any(a["kind"] == "transfer_discrepancy" and a["ref"] == transfer["id"] for a in alerts)


def test_another_locations_transfer_cannot_be_received(client, device, admin):
    transfer = admin.post("/transfers", json={"from_location": "KHO", "to_location": "K02",
                                              "lines": [{"sku": "CF-250", "qty": 10}]}).get_json()
    receipt = {"transfer_id": transfer["id"], "lines": [{"sku": "CF-250", "received_qty": 10}]}
    response = push(device, [event(1, "transfer_receipt", receipt)])
    assert response.get_json()["results"][0]["status"] == "rejected"
    assert stock_of(admin, "K02", "CF-250") == (0, 10)


def test_another_devices_sale_cannot_be_refunded(client, device, admin):
    other = Api(client, admin.post("/devices", json={"location": "K02"}).get_json()["token"])
    sold = sale()
    assert push(other, [event(1, payload=sold)]).status_code == 200
    refund = {"id": str(uuid.uuid4()), "sale_id": sold["id"], "lines": [{"sku": "CF-500", "qty": 1, "amount_vnd": 1}]}
    assert push(device, [event(1, "refund", refund)]).get_json()["results"][0]["code"] == "unknown_sale"
    assert stock_of(admin, "K02", "CF-500") == (-1, 0)


def test_a_gzip_body_is_read(device, admin):
    body = gzip.compress(json.dumps({"protocol": 1, "events": [event(1, payload=sale())]}).encode())
    response = device.client.post("/api/v1/sync/push", data=body, headers={
        "Authorization": f"Bearer {device.token}", "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_json()
    assert stock_of(admin, "K01", "CF-500") == (-1, 0)


def test_a_zip_bomb_and_too_many_events_are_413(app, device):
    bomb = gzip.compress(b'{"protocol": 1, "events": [' + b" " * (64 * 1024 * 1024) + b"]}")
    assert len(bomb) < 1024 * 1024
    response = device.client.post("/api/v1/sync/push", data=bomb, headers={
        "Authorization": f"Bearer {device.token}", "Content-Encoding": "gzip"})
    assert_error(response, 413, "payload_too_large")
    assert_error(push(device, [event(i, "shift_closed") for i in range(1, 502)]), 413, "payload_too_large")
    assert counts(app)[0] == 0


def test_only_an_active_device_token_may_push(app, client, device, admin):
    assert_error(push(Api(client, admin.token), [event(1, payload=sale())]), 401, "unauthorized")
    assert_error(push(Api(client), [event(1, payload=sale())]), 401, "unauthorized")
    with app.app_context():
        device_id = db.session.scalar(select(Device.id))
    assert admin.post(f"/devices/{device_id}/revoke").status_code == 200
    assert_error(push(device, [event(1, payload=sale())]), 401, "unauthorized")
    assert counts(app) == (0, 0, 0, 3)  # the warehouse's opening stock only


def test_the_same_batch_pushed_twice_at_once_applies_once(app, device, admin):
    events = [event(seq, payload=sale()) for seq in range(1, 41)]
    answers = []

    def send():
        answers.append(push(Api(app.test_client(), device.token), events))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in answers) == [200, 200], [r.get_json() for r in answers]
    statuses = sorted({r["status"] for r in answer.get_json()["results"]}.pop() for answer in answers)
    assert statuses == ["applied", "duplicate"]
    assert stock_of(admin, "K01", "CF-500") == (-40, 0)
    assert counts(app)[:2] == (40, 40)
    assert_balances_match_ledger(app)


def test_a_run_of_sales_goes_in_together_each_checked_on_its_own(app, device, admin):
    first, twin = sale(qty=2), sale()
    twin["id"] = first["id"]  # the same sale sent again as another event: kept once
    events = [event(1, payload=first), event(2, payload=sale(sku="NOPE")), event(3, payload=twin),
              event(4, payload={"id": "x"}), event(5, "refund", {"id": str(uuid.uuid4()), "sale_id": first["id"],
                                                                 "lines": [{"sku": "CF-500", "qty": 1,
                                                                            "amount_vnd": 145_000}]}),
              event(6, payload=sale(sku="MO-250", qty=1, price=98_000))]
    answer = push(device, events).get_json()
    assert [(r["status"], r["code"]) for r in answer["results"]] == [
        ("applied", None), ("rejected", "unknown_product"), ("rejected", "sale_exists"),
        ("rejected", "invalid_payload"), ("applied", None), ("applied", None)]
    assert stock_of(admin, "K01", "CF-500") == (-1, 0) and stock_of(admin, "K01", "MO-250") == (-1, 0)
    assert counts(app)[:3] == (6, 2, 2)
    alerts = [(a["kind"], a["ref"]) for a in admin.get("/alerts").get_json()["alerts"]]
    assert sorted(kind for kind, _ in alerts if kind == "rejected_event") == ["rejected_event"] * 3
    assert ("oversell", first["id"]) in alerts
    assert_balances_match_ledger(app)


def test_a_run_that_hits_a_constraint_is_applied_event_by_event(app, device, admin, monkeypatch):
    """A sale stored between the run's check and its write (another device sending the same id): the run's
    savepoint is rolled back and each event is tried on its own, which refuses the request cleanly."""
    taken = sale()
    assert push(device, [event(1, payload=taken)]).status_code == 200
    monkeypatch.setattr("central_sync.sync.sales._stored_sales", lambda ids, numbers: set())
    again = {**sale(), "id": taken["id"]}
    response = push(device, [event(2, payload=sale()), event(3, payload=again)])
    assert_error(response, 422, "idempotency_conflict")
    assert counts(app)[:2] == (1, 1)  # nothing of the request was kept
    monkeypatch.undo()
    answer = push(device, [event(2, payload=sale()), event(3, payload=again)]).get_json()
    assert [r["code"] for r in answer["results"]] == [None, "sale_exists"]
