"""GET /api/v1/openapi.json: the kiosk's JSON API as OpenAPI 3.1, read from the routes and the body models."""
from flask import Blueprint, current_app
from pydantic.json_schema import models_json_schema

from kiosk.auth.api import LoginBody
from kiosk.printing.api import FORMATS
from kiosk.sales.schemas import RefundIn, SaleIn
from kiosk.shifts.api import CloseShiftIn, OpenShiftIn
from kiosk.stock.api import AdjustmentIn, ReceiveIn

bp = Blueprint("openapi", __name__)

PREFIX = "/api/v1"
BODIES = {  # endpoint -> the model its body is parsed into
    "auth_api.login": LoginBody, "shifts_api.open_shift": OpenShiftIn, "shifts_api.close": CloseShiftIn,
    "sales_api.create_sale": SaleIn, "sales_api.refund": RefundIn, "stock_api.adjust": AdjustmentIn,
    "stock_api.receive": ReceiveIn,
}
QUERIES = {  # endpoint -> the query parameters it reads (all optional)
    "catalog_api.products": [
        {"name": "q", "description": "Text in the name, SKU or producer; case and Vietnamese diacritics ignored",
         "schema": {"type": "string"}},
        {"name": "barcode", "description": "The product's exact barcode", "schema": {"type": "string"}},
    ],
    "printing_api.receipt": [
        {"name": "format", "description": "The receipt as text, as a picture or as the printer's bytes",
         "schema": {"type": "string", "enum": list(FORMATS), "default": "text"}},
    ],
}
PUBLIC = {"auth_api.login", "openapi.document"}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}


@bp.get("/openapi.json")
def document():
    _, schemas = models_json_schema([(model, "validation") for model in BODIES.values()],
                                    ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = rule.rule.removeprefix(PREFIX)
        for name in rule.arguments:
            path = path.replace(f"<{name}>", f"{{{name}}}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = operation(rule, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "OCOP kiosk POS", "version": "1"},
        "servers": [{"url": PREFIX}],
        "paths": paths,
        "components": {
            "schemas": {**schemas.get("$defs", {}), "Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def operation(rule, schemas) -> dict:
    error = {"description": "The contract's error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    op = {
        "operationId": rule.endpoint,
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in sorted(rule.arguments)]
                      + [{"in": "query", "required": False, **query} for query in QUERIES.get(rule.endpoint, [])],
        "responses": {"2XX": {"description": "Success (see CONTRACT.md)"}, "4XX": error},
        "security": [] if rule.endpoint in PUBLIC else [{"bearer": []}],
    }
    model = BODIES.get(rule.endpoint)
    if model is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
    return op
