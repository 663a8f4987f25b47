"""GET /api/v1/openapi.json describes the kiosk's JSON API (CONTRACT.md, conventions)."""
import pytest

CONTRACT = [  # the kiosk API of CONTRACT.md this app serves now
    ("post", "/login"), ("get", "/products"), ("post", "/shifts"), ("get", "/shifts/current"),
    ("post", "/shifts/current/close"), ("post", "/sales"), ("get", "/sales/{sale_id}"),
    ("post", "/sales/{sale_id}/refunds"), ("get", "/stock"), ("post", "/stock/adjustments"),
    ("get", "/transfers"), ("post", "/transfers/{transfer_id}/receive"), ("get", "/sales/{sale_id}/receipt"),
    ("post", "/sales/{sale_id}/reprint"),
]


@pytest.fixture(scope="module")
def spec(shared_kiosk):
    response = shared_kiosk.client.get("/api/v1/openapi.json")  # no token: it is public
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_it_is_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]


@pytest.mark.parametrize("method, path", CONTRACT)
def test_every_contract_endpoint_is_described(spec, method, path):
    operation = spec["paths"][path][method]
    assert set(operation["responses"]) >= {"2XX", "4XX"}
    for name in (part[1:-1] for part in path.split("/") if part.startswith("{")):
        assert {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} in operation["parameters"]


def test_bodies_are_their_json_schemas(spec):
    def body(method, path):
        ref = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]

    sale = body("post", "/sales")
    assert set(sale["required"]) == {"lines", "payments"}
    line = spec["components"]["schemas"][sale["properties"]["lines"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert (line["properties"]["qty"]["minimum"], line["properties"]["qty"]["maximum"]) == (1, 10_000)
    assert body("post", "/login")["required"] == ["username", "password"]
    assert body("post", "/shifts")["required"] == ["opening_cash_vnd"]
    assert set(body("post", "/stock/adjustments")["properties"]["reason"]["enum"]) == {
        "damaged", "expired", "count", "other"}
    assert "requestBody" not in spec["paths"]["/stock"]["get"]


def test_only_login_and_the_description_are_public(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            public = (method, path) in {("post", "/login"), ("get", "/openapi.json")}
            assert (operation["security"] == []) is public, (method, path)
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_query_parameters_are_described(spec):
    def queries(method, path):
        return {p["name"]: p for p in spec["paths"][path][method]["parameters"] if p["in"] == "query"}

    products = queries("get", "/products")
    assert set(products) == {"q", "barcode"}
    assert all(p["required"] is False and p["schema"]["type"] == "string" for p in products.values())
    receipt = queries("get", "/sales/{sale_id}/receipt")
    assert set(receipt) == {"format"} and receipt["format"]["required"] is False
    assert (receipt["format"]["schema"]["enum"], receipt["format"]["schema"]["default"]) == (
        ["text", "png", "escpos"], "text")
    described = {(method, path) for path, operations in spec["paths"].items()
                 for method, op in operations.items() if any(p["in"] == "query" for p in op["parameters"])}
    assert described == {("get", "/products"), ("get", "/sales/{sale_id}/receipt")}

