"""Generated requests to every operation of central's /api/v1/openapi.json (tests/fuzztools.py), the device's
push and pull included, on SQLite and PostgreSQL: never a 5xx, every error the contract's envelope, and the
books stay whole: stock balances equal the ledger, each device's events are numbered 1..last_seq without a gap,
each sale is kept with its lines or not at all."""
import os

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Device, Sale, SaleLine, SyncEvent
from central_sync.network.services import device_for_token
from tests.central_sync.tools import assert_balances_match_ledger
from tests.fuzztools import Words, api_routes, assert_contract_answer, fuzz_settings, operations, requests, send

LINE = {"type": "object", "required": ["sku", "qty"], "properties": {
    "sku": {"type": "string"}, "qty": {"type": "integer", "minimum": -2, "maximum": 5},
    "received_qty": {"type": "integer", "minimum": 0, "maximum": 5},
    "unit_price_vnd": {"type": "integer", "minimum": 0, "maximum": 200_000},
    "discount_vnd": {"type": "integer", "minimum": 0, "maximum": 1_000},
    "amount_vnd": {"type": "integer", "minimum": 0, "maximum": 200_000}}}
PAYMENT = {"type": "object", "required": ["method", "amount_vnd"], "properties": {
    "method": {"enum": ["cash", "transfer", "card", "momo"]}, "amount_vnd": {"type": "integer", "minimum": 0}}}
PAYLOAD = {"type": "object", "required": ["id", "lines"], "properties": {  # the contract's event payloads, merged
    "id": {"type": "string", "format": "uuid"}, "number": {"type": "string"}, "sale_id": {"type": "string"},
    "transfer_id": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "lines": {"type": "array", "items": LINE, "maxItems": 3}, "payments": {"type": "array", "items": PAYMENT},
    "total_vnd": {"type": "integer", "minimum": 0}, "sku": {"type": "string"},
    "delta": {"type": "integer", "minimum": -5, "maximum": 5}, "reason": {"enum": ["damaged", "count", "x"]},
    "location": {"type": "string"}}}
LIKELY = {"payload": PAYLOAD, "seq": {"type": "integer", "minimum": 1, "maximum": 5},
          "events": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"$ref": "#/components/schemas/EventIn"}}}


def assert_books_whole(app) -> None:
    assert_balances_match_ledger(app)
    with app.app_context():
        devices = db.session.execute(
            select(Device.id, Device.last_seq, func.count(SyncEvent.id), func.max(SyncEvent.seq))
            .outerjoin(SyncEvent, SyncEvent.device_id == Device.id).group_by(Device.id, Device.last_seq)).all()
        assert all(last == count == (highest or 0) for _, last, count, highest in devices), devices
        lineless = select(Sale.id).where(~select(SaleLine.id).where(SaleLine.sale_id == Sale.id).exists())
        assert db.session.scalars(lineless).all() == []


def test_generated_requests_to_every_operation_get_contract_answers(app, client, admin, reviewer):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(operations(spec)) == api_routes(app)  # every route is described, so fuzzed, and nothing else
    tokens = {"admin": admin.token, "reviewer": reviewer.token}

    def device_token():
        """The device the fuzz pushes and pulls as: K01's, made again when a generated request revoked it."""
        with app.app_context():
            alive = "device" in tokens and device_for_token(tokens["device"]) is not None
        if not alive:
            for location in ("K01", "K02", "CL1", "KHO"):
                answer = admin.post("/devices", {"location": location})
                if answer.status_code == 201:
                    tokens["device"] = answer.get_json()["token"]
                    return

    device_token()
    shipped = admin.post("/transfers", {"from_location": "KHO", "to_location": "K01",
                                        "lines": [{"sku": "CF-500", "qty": 5}]}).get_json()["id"]
    words = Words(shapes=LIKELY, sku=["CF-500", "CF-250", "MO-250"], id=[str(shipped), "1", "2"],
                  location=["KHO", "K01", "K02", "CL1"], seq=[1], from_location=["KHO"], to_location=["K01", "K02", "CL1"],
                  type=["sale", "refund", "stock_adjustment", "transfer_receipt", "shift_closed", "lost"],
                  transfer_id=[str(shipped)], username=["admin", "reviewer"], password=["mat-khau-1"])
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    for key, operation in sorted(operations(spec).items()):
        if operation["security"] == []:
            roles = [None]
        elif key[1].startswith("/sync/"):
            roles = ["device", "admin"]
        else:
            roles = ["admin", "reviewer", "device"]

        @fuzz_settings(10 if postgresql and not os.environ.get("FUZZ_EXAMPLES") else 40)
        @given(st.lists(requests(spec, key, words, roles), min_size=1, max_size=3))
        def fuzz(batch):
            for request in batch:
                response = send(client, request, tokens)
                assert_contract_answer(request, response)
                if response.is_json:
                    words.learn(response.get_json())
                device_token()
            assert_books_whole(app)

        fuzz()
