"""Generated bodies thrown at POST /api/v1/sales: every answer is a contract error or a sale that adds up."""
import uuid
from collections import Counter as Tally

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kiosk.apitools import ERROR_KEYS, assert_books_balance, assert_error, snapshot

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ERROR_STATUSES = {400: None, 409: {"idempotency_conflict", "no_open_shift"},
                  422: {"validation_error", "unknown_product", "insufficient_payment"}}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
edge_ints = st.sampled_from([-(10**30), -1, 0, 1, 2, 9_999, 10_000, 10_001, 10**12, 10**12 + 1, 2**63, 10**30])


def check_answer(app, api, body, before, seen):
    """The answer to ``body`` is a contract error that wrote nothing, or a sale whose figures add up."""
    response = api.post("/sales", body)
    status = response.status_code
    if status in ERROR_STATUSES:
        codes = ERROR_STATUSES[status]
        error = response.get_json()["error"]
        assert_error(response, status, error["code"])
        assert codes is None or error["code"] in codes, error
        assert set(error) <= ERROR_KEYS
        assert snapshot(app) == before
        return status, error
    assert status in (200, 201), (status, response.get_data(as_text=True)[:300])
    sale = response.get_json()
    if status == 200:  # a retry of an earlier sale: the same answer, nothing new
        assert seen[sale["id"]] == sale
        assert snapshot(app) == before
        return status, sale
    assert isinstance(body, dict)
    for line, asked in zip(sale["lines"], body["lines"], strict=True):
        assert (line["sku"], line["qty"], line["discount_vnd"]) == \
            (asked["sku"], asked["qty"], asked.get("discount_vnd") or 0)
        assert 1 <= line["qty"] <= 10_000 and 0 <= line["discount_vnd"] <= line["qty"] * line["unit_price_vnd"]
        assert line["total_vnd"] == line["qty"] * line["unit_price_vnd"] - line["discount_vnd"]
    assert sale["total_vnd"] == sum(line["total_vnd"] for line in sale["lines"])
    assert sale["payments"] == [{"method": p["method"], "amount_vnd": p["amount_vnd"]} for p in body["payments"]]
    assert sale["paid_vnd"] == sum(p["amount_vnd"] for p in sale["payments"])
    assert sale["change_vnd"] == sale["paid_vnd"] - sale["total_vnd"] >= 0
    non_cash = sum(p["amount_vnd"] for p in sale["payments"] if p["method"] != "cash")
    assert non_cash <= sale["total_vnd"]
    assert (sale["vietqr"] is None) == all(p["method"] != "transfer" for p in sale["payments"])
    assert sale["status"] == "paid"
    after = snapshot(app)
    assert after["counts"]["sales"] == before["counts"]["sales"] + 1
    assert after["counts"]["outbox_events"] == before["counts"]["outbox_events"] + 1
    assert after["counts"]["stock_movements"] == before["counts"]["stock_movements"] + len(sale["lines"])
    assert api.get(f"/sales/{sale['id']}").get_json() == sale
    assert_books_balance(app)
    seen[sale["id"]] = sale
    return status, sale


def test_random_json_is_never_a_5xx(app, vendor, catalogue):
    seen = {}

    @SETTINGS
    @given(body=json_values | st.fixed_dictionaries({}, optional={
        "id": json_values, "lines": json_values, "payments": json_values, "note": json_values}))
    def throw(body):
        check_answer(app, vendor, body, snapshot(app), seen)

    throw()
    assert_books_balance(app)


def _set(path, value):
    """A mutation: set body[path...] (the last line or payment for index -1) to ``value``."""
    def mutate(body):
        target = body
        for part in path[:-1]:
            target = target[part]
        if isinstance(target, list) and not target:
            return
        target[path[-1]] = value(body) if callable(value) else value
    return mutate


def _total(catalogue):
    return lambda body: sum(l["qty"] * catalogue[l["sku"]] - l.get("discount_vnd", 0) for l in body["lines"])


def mutations(catalogue):
    """Ways to break a good sale, each one thing; None keeps it good."""
    total = _total(catalogue)
    full = lambda body: body["lines"][-1]["qty"] * catalogue[body["lines"][-1]["sku"]]  # noqa: E731
    return [
        _set(("lines", -1, "sku"), "NO-SUCH-SKU"), _set(("lines", -1, "sku"), "cf-cb-500"),
        _set(("lines", -1, "sku"), ""), _set(("lines",), []),
        _set(("lines",), lambda b: b["lines"] * 201 if b["lines"] else [{"sku": "CF-CB-500", "qty": 1}] * 201),
        *(_set(("lines", -1, "qty"), q) for q in (0, -1, 10_001, 2**63, 10**30, -(10**30))),
        _set(("lines", -1, "discount_vnd"), lambda b: full(b) + 1), _set(("lines", -1, "discount_vnd"), -1),
        _set(("lines", -1, "discount_vnd"), 10**30),
        _set(("payments",), lambda b: [{"method": "cash", "amount_vnd": total(b) - 1}] if total(b) > 1 else []),
        _set(("payments",), lambda b: [{"method": "card", "amount_vnd": total(b) + 1}]),
        _set(("payments",), lambda b: [{"method": "transfer", "amount_vnd": total(b) + 1},
                                       {"method": "cash", "amount_vnd": 10}]),
        _set(("payments", -1, "amount_vnd"), 0), _set(("payments", -1, "amount_vnd"), -1),
        _set(("payments", -1, "amount_vnd"), 10**12 + 1), _set(("payments", -1, "amount_vnd"), 10**30),
        _set(("payments", -1, "method"), "CASH"), _set(("payments", -1, "method"), "bitcoin"),
        _set(("payments",), lambda b: b["payments"] * 21 if b["payments"] else []),
        _set(("id",), "not-a-uuid"), _set(("id",), 42), _set(("note",), "x" * 501),
    ]


@st.composite
def near_valid_sales(draw, catalogue, ids):
    """A good sale of the demo catalogue, now and then broken in one place."""
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        sku = draw(st.sampled_from(sorted(catalogue)))
        qty = draw(st.integers(1, 5) | st.sampled_from([1, 9_999, 10_000]))
        full = qty * catalogue[sku]
        discount = draw(st.none() | st.sampled_from([0, 1, full // 3, full - 1, full]) | st.integers(0, full))
        lines.append({"sku": sku, "qty": qty} | ({} if discount is None else {"discount_vnd": discount}))
    total = _total(catalogue)({"lines": lines})
    transfer = draw(st.integers(0, total))
    card = draw(st.integers(0, total - transfer))
    change = draw(st.sampled_from([0, 0, 1, 500, 50_000]) | st.integers(0, 10**9))
    payments = [{"method": method, "amount_vnd": amount}
                for method, amount in (("transfer", transfer), ("card", card), ("cash", total - transfer - card + change))
                if amount]
    body = {"lines": lines, "payments": draw(st.permutations(payments))}
    sale_id = draw(st.sampled_from([None, None, "pool", "fresh"]))
    if sale_id:
        body["id"] = draw(st.sampled_from(ids)) if sale_id == "pool" else str(draw(st.uuids(version=4)))
    if draw(st.booleans()):
        body["note"] = draw(st.text(max_size=10))
    mutation = draw(st.sampled_from([None] * 30 + mutations(catalogue)))
    if mutation:
        mutation(body)
    return body


def canonical(body: dict):
    """What makes two sale requests the same request (a discount of 0 is no discount, an empty note none)."""
    return ([(l["sku"], l["qty"], l.get("discount_vnd") or 0) for l in body["lines"]],
            [(p["method"], p["amount_vnd"]) for p in body["payments"]], body.get("note") or "")


@pytest.fixture
def catalogue(vendor, open_shift):
    return {p["sku"]: p["price_vnd"] for p in vendor.get("/products").get_json()["products"]}


def test_near_valid_sales_are_refused_or_add_up(app, vendor, catalogue):
    seen, bodies = {}, {}
    ids = [str(uuid.UUID(int=n, version=4)) for n in range(1, 6)]  # ids that come back: retries and conflicts
    statuses = Tally()

    @SETTINGS
    @given(data=st.data())
    def throw(data):
        # Draw the same way whatever happened before (hypothesis replays draws), then maybe be
        # a client retrying one of the sales it made.
        body = data.draw(near_valid_sales(catalogue, ids))
        retry = data.draw(st.integers(0, 999))
        if bodies and retry % 10 == 0:
            body = bodies[sorted(bodies)[retry // 10 % len(bodies)]]
        status, answer = check_answer(app, vendor, body, snapshot(app), seen)
        statuses[status] += 1
        sale_id = body.get("id")
        if status == 201 and isinstance(sale_id, str) and sale_id:
            assert sale_id not in bodies
            bodies[sale_id] = body
        elif sale_id in bodies and status in (200, 409):
            # The same id again: the same sale for the same request, a conflict for another one.
            same = canonical(body) == canonical(bodies[sale_id])
            assert (status == 200) == same, (status, answer)

    throw()
    # The strategy reaches every kind of answer, not only errors.
    assert statuses[201] >= 20 and statuses[200] >= 1 and statuses[409] >= 1 and statuses[422] >= 20, statuses
    assert_books_balance(app)
