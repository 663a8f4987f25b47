"""Bad input at every kiosk JSON endpoint: always the contract's error, never a 5xx, never a write.

One kiosk (demo data, an open shift, one sale) serves the whole table: a rejected request must leave
every table, counter, balance and state exactly as it was, which each case checks.
"""
import io
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import update

from kiosk.auth.services import hash_token
from kiosk.extensions import db
from kiosk.models import ApiToken, utcnow
from tests.kiosk.apitools import DEMO, assert_error, login, sale_body, sell, snapshot

NO_BODY = object()
TWENTY_MB = b'{"lines": "' + b"x" * (20 * 1024 * 1024) + b'"}'
TRANSFER = DEMO["incoming_transfer"]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    role: str | None  # vendor, manager, expired (an expired token), garbage (a made-up token), None (no header)
    body: object = NO_BODY  # bytes as they are, anything else as JSON
    status: int = 422
    code: str = "validation_error"
    field: str | None = None
    content_type: str = "application/json"


@pytest.fixture(scope="module")
def world(shared_kiosk):
    app, client = shared_kiosk.app, shared_kiosk.client
    tokens = {**shared_kiosk.tokens, "expired": login(client, "vendor", "banhang-demo"),
              "garbage": "bm90LWEtdG9rZW4tYXQtYWxs"}
    with app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(tokens["expired"]))
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert shared_kiosk.vendor.post("/shifts", {"opening_cash_vnd": 100_000}).status_code == 201
    sale = sell(shared_kiosk.vendor, sale_body(("MO-CP-250", 2)))
    return {"app": app, "client": client, "tokens": tokens, "sale": sale["id"], "transfer": TRANSFER["id"]}


# The JSON endpoints that take a body: (name, path, the role allowed, the first required field).
BODY_ENDPOINTS = [
    ("login", "/login", None, "username"),
    ("open_shift", "/shifts", "vendor", "opening_cash_vnd"),
    ("close_shift", "/shifts/current/close", "vendor", "counted_cash_vnd"),
    ("sale", "/sales", "vendor", "lines"),
    ("refund", "/sales/{sale}/refunds", "manager", "lines"),
    ("adjustment", "/stock/adjustments", "manager", "sku"),
    ("receive", "/transfers/{transfer}/receive", "vendor", "lines"),
]
GET_ENDPOINTS = ["/products", "/shifts/current", "/sales/{sale}", "/stock", "/transfers"]
NOT_JSON_OBJECTS = {
    "malformed": b'{"lines": [', "trailing_garbage": b"{} {}", "single_quotes": b"{'lines': []}",
    "array": b"[]", "array_of_object": b'[{"lines": []}]', "string": b'"lines"', "number": b"5", "float": b"1.5",
    "null": b"null", "true": b"true", "empty": b"", "whitespace": b" \n\t ", "not_utf8": b'{"sku": "\xff\xfe"}',
    "utf16": '{"lines": []}'.encode("utf-16"), "nul_byte": b"\x00", "deep": b"[" * 100_000 + b"]" * 100_000,
    "deep_object": b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "lone_surrogate": b'{"note": "\\ud800"}',
    "huge_number": b'{"qty": ' + b"9" * 5_000 + b"}",
}


def generic_cases():
    for name, path, role, first_field in BODY_ENDPOINTS:
        for kind, raw in NOT_JSON_OBJECTS.items():
            yield Case(f"{name}-{kind}", "POST", path, role, raw, 400, "bad_request")
        yield Case(f"{name}-form", "POST", path, role, b"lines=1&qty=2", 400, "bad_request",
                   content_type="application/x-www-form-urlencoded")
        yield Case(f"{name}-multipart", "POST", path, role, b"--x\r\n\r\n--x--", 400, "bad_request",
                   content_type="multipart/form-data; boundary=x")
        yield Case(f"{name}-no_body", "POST", path, role, NO_BODY, 400, "bad_request")
        yield Case(f"{name}-empty_object", "POST", path, role, {}, 422, "validation_error", first_field)
        yield Case(f"{name}-object_as_text_plain", "POST", path, role, b"{}", 422, "validation_error", first_field,
                   content_type="text/plain")
        yield Case(f"{name}-20MB", "POST", path, role, TWENTY_MB, 413, "payload_too_large")
        yield Case(f"{name}-wrong_method", "GET", path, role, status=405, code="method_not_allowed")
        if role:
            for who in (None, "expired", "garbage"):
                yield Case(f"{name}-token_{who}", "POST", path, who, {}, 401, "unauthorized")
            yield Case(f"{name}-20MB_without_token", "POST", path, None, TWENTY_MB, 401, "unauthorized")
        if role == "manager":
            yield Case(f"{name}-as_vendor", "POST", path, "vendor", {}, 403, "forbidden")
    for path in GET_ENDPOINTS:
        for who in (None, "expired", "garbage"):
            yield Case(f"GET {path}-token_{who}", "GET", path, who, status=401, code="unauthorized")
        for method in ("PUT", "DELETE", "PATCH"):
            yield Case(f"{method} {path}", method, path, "manager", {}, 405, "method_not_allowed")
    for path in ("/products", "/stock", "/transfers"):
        yield Case(f"POST {path}", "POST", path, "manager", {}, 405, "method_not_allowed")
    for path in ("/nope", "/", "/sales/", "/sales/{sale}/nope", "/shifts/1", "/products/CF-CB-500",
                 "/../healthz", "/sales/{sale}/refunds/1", "/" + "x" * 10_000):
        yield Case(f"404 {path[:40]}", "GET", path, "vendor", status=404, code="not_found")
        yield Case(f"404 POST {path[:40]}", "POST", path, "vendor", {}, 404, "not_found")
    yield Case("404 no_token", "GET", "/nope", None, status=404, code="not_found")


def values(field, *bad):
    """Wrong values for a field: each with the field's dotted name for the error."""
    return [(field, value) for value in bad]


NOT_INTS = ("1", 1.5, 1.0, True, False, None, {}, [], [1], {"value": 1})
NOT_STRS = (1, 1.5, True, None, {}, [], ["a"], {"a": "b"})


def set_path(body, dotted, value):
    """A copy of ``body`` with ``dotted`` (e.g. lines.0.qty) set to ``value``, or removed when ``value`` is ..."""
    body = json.loads(json.dumps(body))
    *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    target = body
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return body


def field_cases(name, path, role, valid, wrong):
    for field, value in wrong:
        label = "missing" if value is ... else repr(value)[:30]
        yield Case(f"{name}-{field}={label}", "POST", path, role, set_path(valid, field, value), 422,
                   "validation_error", field)


VALID_SALE = {"id": "0b8e7c1e-1d0a-4a51-9a39-5d4b3c2a1f00",
              "lines": [{"sku": "CF-CB-500", "qty": 1, "discount_vnd": 5_000}, {"sku": "MO-CP-250", "qty": 2}],
              "payments": [{"method": "cash", "amount_vnd": 100_000}, {"method": "card", "amount_vnd": 200_000}],
              "note": "ghi chú"}  # 140,000 + 196,000 = 336,000 due, 300,000 paid: short by 36,000
VALID_SALE_PAID = set_path(VALID_SALE, "payments.0.amount_vnd", 136_000)


def specific_cases():
    yield from field_cases("login", "/login", None, {"username": "vendor", "password": "banhang-demo"}, [
        *values("username", *NOT_STRS, "", "x" * 65, ...), *values("password", *NOT_STRS, "", "x" * 257, ...)])
    yield from field_cases("open_shift", "/shifts", "vendor", {"opening_cash_vnd": 100}, [
        *values("opening_cash_vnd", *NOT_INTS, -1, -10**30, 10**30, 10**13, ...)])
    yield from field_cases("close_shift", "/shifts/current/close", "vendor", {"counted_cash_vnd": 100}, [
        *values("counted_cash_vnd", *NOT_INTS, -1, -10**30, 10**30, 10**13, ...)])

    # A sale: VALID_SALE_PAID is a good sale; each case breaks one thing.
    yield from field_cases("sale", "/sales", "vendor", VALID_SALE_PAID, [
        *values("id", "not-a-uuid", "", 5, True, [], {}, "0b8e7c1e-1d0a-4a51-9a39-5d4b3c2a1f0",
                "0b8e7c1e-1d0a-4a51-9a39-5d4b3c2a1f00x", "' OR 1=1 --"),
        *values("lines", None, "CF-CB-500", {}, {"sku": "CF-CB-500", "qty": 1}, [], 5, ...),
        *values("lines.0", None, 1, "CF-CB-500", [], ["CF-CB-500", 1]),
        *values("lines.0.qty", *NOT_INTS, 0, -1, 10_001, 10**30, -10**30, 2**63, ...),
        *values("lines.0.sku", *NOT_STRS, "", "x" * 33, ...),
        *values("lines.0.discount_vnd", "1", 1.5, 1.0, True, {}, [], -1, -10**30, 10**30),
        *values("payments", None, {}, "cash", 5, ...),
        *values("payments.0", None, 1, "cash", [], ["cash", 1]),
        *values("payments.0.amount_vnd", *NOT_INTS, 0, -1, -136_000, 10**30, 10**13, ...),
        *values("payments.0.method", *NOT_STRS, "", "CASH", "Cash", "bitcoin", "cheque", " cash", ...),
        *values("note", 5, True, [], {}, "x" * 501),
    ])
    lines_201 = [{"sku": "MO-CP-250", "qty": 1}] * 201
    yield Case("sale-201_lines", "POST", "/sales", "vendor",
               {"lines": lines_201, "payments": [{"method": "cash", "amount_vnd": 201 * 98_000}]}, field="lines")
    yield Case("sale-21_payments", "POST", "/sales", "vendor",
               sale_body(("MO-CP-250", 1), payments=[{"method": "cash", "amount_vnd": 98_000}] * 21),
               field="payments")
    sale = ("POST", "/sales", "vendor")
    yield Case("sale-unknown_sku", *sale, sale_body(("NO-SUCH", 1), payments=[]), code="unknown_product",
               field="lines.0.sku")
    yield Case("sale-unknown_second_sku", *sale, set_path(VALID_SALE_PAID, "lines.1.sku", "cf-cb-500"),
               code="unknown_product", field="lines.1.sku")
    yield Case("sale-unknown_sku_with_space", *sale, set_path(VALID_SALE_PAID, "lines.0.sku", "CF-CB-500 "),
               code="unknown_product", field="lines.0.sku")
    yield Case("sale-discount_above_the_line", *sale, set_path(VALID_SALE_PAID, "lines.0.discount_vnd", 145_001),
               field="lines.0.discount_vnd")
    yield Case("sale-discount_above_two_units", *sale,
               sale_body(("MO-CP-250", 2, 196_001), payments=[]), field="lines.0.discount_vnd")
    yield Case("sale-discount_1e12", *sale, sale_body(("MO-CP-250", 2, 10**12), payments=[]),
               field="lines.0.discount_vnd")
    yield Case("sale-underpaid", *sale, VALID_SALE, code="insufficient_payment", field="payments")
    yield Case("sale-underpaid_by_one", *sale, set_path(VALID_SALE, "payments.0.amount_vnd", 135_999),
               code="insufficient_payment", field="payments")
    yield Case("sale-no_payments", *sale, set_path(VALID_SALE, "payments", []),
               code="insufficient_payment", field="payments")
    for method in ("card", "transfer"):
        yield Case(f"sale-{method}_over_the_total", *sale,
                   sale_body(("MO-CP-250", 1), payments=[{"method": method, "amount_vnd": 98_001}]), field="payments")
        yield Case(f"sale-{method}_over_the_total_with_cash", *sale, sale_body(("MO-CP-250", 1), payments=[
            {"method": "cash", "amount_vnd": 50_000}, {"method": method, "amount_vnd": 98_001}]), field="payments")
    yield Case("sale-card_and_transfer_over_the_total", *sale, sale_body(("MO-CP-250", 1), payments=[
        {"method": "card", "amount_vnd": 50_000}, {"method": "transfer", "amount_vnd": 48_001}]), field="payments")
    yield Case("sale-bad_qty_as_text_plain", "POST", "/sales", "vendor",
               json.dumps(set_path(VALID_SALE_PAID, "lines.0.qty", 0)).encode(), field="lines.0.qty",
               content_type="text/plain")
    yield Case("sale-underpaid_without_content_type", "POST", "/sales", "vendor", json.dumps(VALID_SALE).encode(),
               code="insufficient_payment", field="payments", content_type="")
    yield Case("sale-the_existing_id_with_another_body", "POST", "/sales", "vendor",
               {**VALID_SALE_PAID, "id": "{sale}"}, 409, "idempotency_conflict", "id")

    yield from field_cases("refund", "/sales/{sale}/refunds", "manager",
                           {"lines": [{"sku": "MO-CP-250", "qty": 1}], "reason": "hỏng"}, [
        *values("lines", None, [], {}, "MO-CP-250", ...), *values("lines.0", None, 1, []),
        *values("lines.0.qty", *NOT_INTS, 0, -1, 10_001, 10**30, ...), *values("lines.0.sku", *NOT_STRS, "", ...),
        *values("reason", *NOT_STRS, "", "x" * 201, ...)])
    yield Case("refund-more_than_sold", "POST", "/sales/{sale}/refunds", "manager",
               {"lines": [{"sku": "MO-CP-250", "qty": 3}], "reason": "x"}, code="refund_exceeds_sale",
               field="lines.0.qty")
    yield Case("refund-not_on_the_sale", "POST", "/sales/{sale}/refunds", "manager",
               {"lines": [{"sku": "CF-CB-500", "qty": 1}], "reason": "x"}, code="refund_exceeds_sale",
               field="lines.0.qty")
    yield Case("refund-unknown_sale", "POST", "/sales/" + "é" * 5_000 + "/refunds", "manager",
               {"lines": [{"sku": "CF-CB-500", "qty": 1}], "reason": "x"}, 404, "not_found")

    yield from field_cases("adjustment", "/stock/adjustments", "manager",
                           {"sku": "CF-CB-500", "delta": -1, "reason": "damaged"}, [
        *values("sku", *NOT_STRS, "", "x" * 33, ...), *values("delta", *NOT_INTS, 0, 10**30, -10**30, ...),
        *values("reason", *NOT_STRS, "", "theft", "Damaged", ...)])
    yield Case("adjustment-unknown_sku", "POST", "/stock/adjustments", "manager",
               {"sku": "NO-SUCH", "delta": 1, "reason": "other"}, code="unknown_product", field="sku")

    received = {"lines": [{"sku": l["sku"], "received_qty": l["qty"]} for l in TRANSFER["lines"]]}
    yield from field_cases("receive", "/transfers/{transfer}/receive", "vendor", received, [
        *values("lines", None, {}, "x", ...), *values("lines.0", None, 1, []),
        *values("lines.0.received_qty", *NOT_INTS, -1, 10**30, ...), *values("lines.0.sku", *NOT_STRS, "", ...)])
    yield Case("receive-a_line_missing", "POST", "/transfers/{transfer}/receive", "vendor",
               {"lines": received["lines"][1:]}, field="lines")
    yield Case("receive-an_extra_line", "POST", "/transfers/{transfer}/receive", "vendor",
               {"lines": [*received["lines"], {"sku": "MO-CP-250", "received_qty": 1}]}, field="lines")
    yield Case("receive-unknown_transfer", "POST", "/transfers/" + "%F0%9F%93%A6" * 500 + "/receive", "vendor",
               received, 404, "not_found")

    for param in ("q", "barcode"):
        yield Case(f"products-{param}_too_long", "GET", f"/products?{param}=" + "%25" * 100_000, "vendor",
                   field=param)
    for sale_id in ("x" * 10_000, "%F0%9F%92%A9", "%ED%A0%80", "0b8e7c1e-1d0a-4a51-9a39-5d4b3c2a1f00"):
        yield Case(f"get_sale-{sale_id[:20]}", "GET", f"/sales/{sale_id}", "vendor", status=404, code="not_found")
    # A NUL character, which central's PostgreSQL could not store, in a path, a query or a JSON text: refused.
    for name, path in (("path", "/sales/%F0%9F%92%A9%00"), ("query", "/products?q=c%00"), ("key", "/stock?%00=1")):
        yield Case(f"nul-in_a_{name}", "GET", path, "vendor", status=400, code="bad_request")
    yield Case("nul-in_a_sale_note", "POST", "/sales", "vendor", {**VALID_SALE_PAID, "note": "ghi\u0000chú"})
    yield Case("nul-in_a_refund_reason", "POST", "/sales/{sale}/refunds", "manager",
               {"lines": [{"sku": "MO-CP-250", "qty": 1}], "reason": "\x00"})


CASES = [*generic_cases(), *specific_cases()]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_a_contract_error_and_writes_nothing(world, case):
    client, app = world["client"], world["app"]
    headers = {"Authorization": f"Bearer {world['tokens'][case.role]}"} if case.role else {}
    path = "/api/v1" + case.path.format(**world)
    kwargs = {}
    if isinstance(case.body, bytes):
        kwargs["data"] = case.body
    elif case.body is not NO_BODY:
        kwargs["data"] = json.dumps(case.body).replace('"{sale}"', json.dumps(world["sale"]))
    if "data" in kwargs and case.content_type:
        headers["Content-Type"] = case.content_type
    before = snapshot(app)
    response = client.open(path, method=case.method, headers=headers, **kwargs)
    assert_error(response, case.status, case.code, case.field)
    assert snapshot(app) == before


@pytest.mark.parametrize("name, path, role, _", BODY_ENDPOINTS, ids=[e[0] for e in BODY_ENDPOINTS])
def test_a_streamed_20mb_body_is_413_too(world, name, path, role, _):
    """Chunked, with no Content-Length: the server cuts the stream at the limit; the kiosk must still say 413."""
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if role else {}
    before = snapshot(world["app"])
    response = world["client"].post("/api/v1" + path.format(**world), input_stream=io.BytesIO(TWENTY_MB),
                                     content_type="application/json",
                                     headers={**headers, "Transfer-Encoding": "chunked"},
                                     environ_overrides={"wsgi.input_terminated": True})
    assert_error(response, 413, "payload_too_large")
    assert snapshot(world["app"]) == before


def test_a_streamed_small_body_is_read(world):
    headers = {"Authorization": f"Bearer {world['tokens']['vendor']}", "Transfer-Encoding": "chunked"}
    response = world["client"].post("/api/v1/shifts", input_stream=io.BytesIO(b'{"opening_cash_vnd": -1}'),
                                    content_type="application/json", headers=headers,
                                    environ_overrides={"wsgi.input_terminated": True})
    assert_error(response, 422, "validation_error", "opening_cash_vnd")


def test_the_table_covers_every_endpoint_and_the_world_still_works(world):
    """The kiosk that took all that bad input still sells, and nothing above was a 5xx by accident."""
    covered = {(case.method, case.path.split("?")[0]) for case in CASES}
    for _, path, _, _ in BODY_ENDPOINTS:
        assert ("POST", path) in covered
    for path in GET_ENDPOINTS:
        assert ("GET", path) in covered
    headers = {"Authorization": f"Bearer {world['tokens']['vendor']}"}
    body = {k: v for k, v in VALID_SALE_PAID.items() if k != "id"}  # the table's id stays unused, whatever the order
    response = world["client"].post("/api/v1/sales", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["total_vnd"] == 336_000
