"""GET /api/v1/openapi.json describes central's JSON API (CONTRACT.md, conventions): every route, the body
models the routes really parse, who may call them."""
import re

import pytest

from central_sync.network.api import DeviceIn
from central_sync.protocol import LoginBody
from central_sync.reports.services import GROUPS
from central_sync.stock.api import AdjustmentIn, TransferIn
from central_sync.protocol.sync import PushIn

CONTRACT = [  # central's review and administration API of CONTRACT.md
    ("post", "/login"), ("get", "/locations"), ("get", "/stock"), ("get", "/sales"), ("get", "/reports/sales"),
    ("get", "/alerts"), ("post", "/transfers"), ("post", "/devices"), ("post", "/devices/{device_id}/rotate"),
    ("post", "/devices/{device_id}/revoke"),
]
BODIES = {("post", "/login"): LoginBody, ("post", "/devices"): DeviceIn, ("post", "/transfers"): TransferIn,
          ("post", "/stock/adjustments"): AdjustmentIn, ("post", "/sync/push"): PushIn}
PUBLIC = {("post", "/login"), ("get", "/openapi.json")}
REF = "#/components/schemas/{model}"


@pytest.fixture
def spec(anonymous):
    response = anonymous.get("/openapi.json")  # no token: it is public
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(spec):
    return {(method, path): operation for path, by_method in spec["paths"].items()
            for method, operation in by_method.items()}


def test_it_is_openapi_3_with_the_contracts_error(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message"} and "field" in error["properties"]


def test_every_route_of_the_json_api_is_described_and_nothing_else(app, spec):
    routes = {(method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert set(operations(spec)) == routes
    assert set(CONTRACT) <= routes
    for operation in operations(spec).values():
        assert set(operation["responses"]) >= {"2XX", "4XX"}
    assert {"name": "device_id", "in": "path", "required": True, "schema": {"type": "integer"}} in \
        spec["paths"]["/devices/{device_id}/rotate"]["post"]["parameters"]


def test_the_bodies_are_the_pydantic_models_json_schemas(spec):
    described = {key: op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                 for key, op in operations(spec).items() if "requestBody" in op}
    assert set(described) == set(BODIES)
    schemas = spec["components"]["schemas"]
    for key, model in BODIES.items():
        assert described[key] == REF.format(model=model.__name__)
        expected = model.model_json_schema(ref_template=REF)
        for name, nested in expected.pop("$defs", {}).items():
            assert schemas[name] == nested, name
        assert schemas[model.__name__] == expected, key
    line = schemas["TransferLineIn"]["properties"]["qty"]
    assert (line["minimum"], line["maximum"]) == (1, 1_000_000)
    assert set(schemas["AdjustmentIn"]["properties"]["reason"]["enum"]) == {"damaged", "expired", "count", "other"}


def test_a_route_is_described_with_a_body_exactly_when_it_parses_one(admin, spec):
    device = admin.post("/devices", {"location": "K01"}).get_json()  # rotated and revoked below
    kiosk = admin.post("/devices", {"location": "K02"}).get_json()  # for the sync routes
    for (method, path), operation in sorted(operations(spec).items()):
        if method == "get":
            continue
        token = kiosk["token"] if path.startswith("/sync/") else admin.token
        response = admin.client.open(f"/api/v1{path.replace('{device_id}', str(device['device_id']))}",
                                     method=method, data=b'{"lines": [', content_type="application/json",
                                     headers={"Authorization": f"Bearer {token}"})
        parses = response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
        assert parses is ("requestBody" in operation), (method, path, response.get_json())


def test_only_login_and_the_description_are_public_and_the_rest_asks_for_a_token(anonymous, spec):
    for (method, path), operation in operations(spec).items():
        assert (operation["security"] == []) is ((method, path) in PUBLIC), (method, path)
        if (method, path) not in PUBLIC:
            response = anonymous.client.open(f"/api/v1{path.replace('{device_id}', '1')}", method=method)
            assert response.status_code == 401, (method, path)
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_query_parameters_are_described(spec):
    def queries(method, path):
        return {p["name"]: p for p in spec["paths"][path][method]["parameters"] if p["in"] == "query"}

    assert set(queries("get", "/stock")) == {"location", "sku"}
    assert set(queries("get", "/transfers")) == {"status", "location"}
    assert set(queries("get", "/sales")) == {"location", "from", "to", "page"}
    report = queries("get", "/reports/sales")
    assert set(report) == {"group_by", "from", "to"}
    assert set(report["group_by"]["schema"]["enum"]) == set(GROUPS) == {
        "product", "producer", "location", "district", "ocop_stars"}
    assert all(p["required"] is False for op in operations(spec).values() for p in op["parameters"]
               if p["in"] == "query")
    described = {key for key, op in operations(spec).items() if any(p["in"] == "query" for p in op["parameters"])}
    assert set(queries("get", "/sync/pull")) == {"cursor", "limit"}
    assert set(queries("get", "/alerts")) == {"kind", "location"}
    assert described == {("get", "/stock"), ("get", "/transfers"), ("get", "/sales"), ("get", "/reports/sales"),
                         ("get", "/sync/pull"), ("get", "/alerts")}
