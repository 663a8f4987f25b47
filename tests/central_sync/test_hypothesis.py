"""Any sequence of transfer and device requests: every answer is a contract error or a correct result, and
stock balances always equal the ledger's sums."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Device, StockBalance
from central_sync.network.services import device_for_token
from tests.central_sync.tools import assert_balances_match_ledger

CODES = ["KHO", "KHO", "K01", "K02", "CL1", "NOPE"]  # mostly good requests, from the warehouse that holds stock
SKUS = ["CF-500", "CF-250", "MO-250", "CF-500", "XX-0"]
ERRORS = {"transfer": {409: {"insufficient_stock"}, 422: {"validation_error", "unknown_location", "unknown_product"}},
          "create": {409: {"device_exists"}, 422: {"validation_error", "unknown_location"}},
          "rotate": {404: {"not_found"}, 409: {"device_revoked"}}, "revoke": {404: {"not_found"}}}

transfers = st.tuples(st.just("transfer"), st.sampled_from(CODES), st.sampled_from(CODES),
                      st.lists(st.tuples(st.sampled_from(SKUS), st.one_of(st.integers(1, 60), st.integers(1, 60),
                                                                          st.integers(-2**70, 2**70))),
                               max_size=3))
device_calls = st.tuples(st.sampled_from(["create", "rotate", "revoke"]), st.sampled_from(CODES),
                         st.integers(0, 6))


def snapshot(api) -> dict:
    return {(r["location"], r["sku"]): (r["qty"], r["in_transit"]) for r in api.get("/stock").get_json()["stock"]}


def check_transfer(api, source, destination, lines):
    before = snapshot(api)
    response = api.post("/transfers", {"from_location": source, "to_location": destination,
                                       "lines": [{"sku": sku, "qty": qty} for sku, qty in lines]})
    after = snapshot(api)
    shipped: dict[str, int] = {}
    for sku, qty in lines:
        shipped[sku] = shipped.get(sku, 0) + qty
    covered = all(before.get((source, sku), (0, 0))[0] >= qty for sku, qty in shipped.items())
    assert (response.status_code == 409) == (response.status_code in (201, 409) and not covered)
    if response.status_code != 201:
        assert after == before
        return response
    expected = dict(before)
    for sku, qty in shipped.items():
        on_hand, coming = expected.get((source, sku), (0, 0))
        expected[source, sku] = (on_hand - qty, coming)
        on_hand, coming = expected.get((destination, sku), (0, 0))
        expected[destination, sku] = (on_hand, coming + qty)
    assert after == expected
    return response


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(transfers | device_calls, min_size=1, max_size=10))
def test_transfer_and_device_requests_keep_their_promises(app, admin, calls):
    tokens: dict[int, str] = {}
    for call in calls:
        kind = call[0]
        if kind == "transfer":
            response = check_transfer(admin, *call[1:])
        elif kind == "create":
            response = admin.post("/devices", {"location": call[1]})
        else:
            response = admin.post(f"/devices/{call[2]}/{kind}")
        assert response.status_code < 500
        body = response.get_json()
        if response.status_code >= 400:
            assert body["error"]["code"] in ERRORS[kind][response.status_code], body
            continue
        if kind in ("create", "rotate"):
            old = tokens.get(body["device_id"])
            tokens[body["device_id"]] = body["token"]
            with app.app_context():
                assert device_for_token(body["token"]).id == body["device_id"]
                assert old is None or device_for_token(old) is None
        elif kind == "revoke":
            with app.app_context():
                assert device_for_token(tokens.get(call[2], "unknown")) is None
    assert_balances_match_ledger(app)
    with app.app_context():
        assert db.session.scalar(select(func.min(StockBalance.qty))) >= 0
        active = select(Device.location_id, func.count()).where(Device.revoked_at.is_(None)).group_by(Device.location_id)
        assert all(count == 1 for _, count in db.session.execute(active))
