"""`GET /api/v1/openapi.json` of either app, built from its URL map and its body models."""
import re

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

API_PREFIX = "/api/v1"
_PATH_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")  # <sale_id>, <int:device_id>
_JSON_TYPES = {"int": "integer", "float": "number"}  # other converters match strings
_ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}


def openapi_document(app, title: str, bodies: dict[str, type[BaseModel]], queries: dict[str, list[dict]],
                     public: set[str]) -> dict:
    """`GET /api/v1/openapi.json` of either app: OpenAPI 3.1 for every route of its URL map under /api/v1.
    ``bodies``: endpoint -> the model its JSON body is parsed into; ``queries``: endpoint -> its (optional)
    query parameters; ``public``: the endpoints that need no bearer token."""
    _, schemas = models_json_schema([(model, "validation") for model in bodies.values()],
                                    ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        path = _PATH_ARGUMENT.sub(r"{\g<name>}", rule.rule.removeprefix(API_PREFIX))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, bodies.get(rule.endpoint),
                                                                    queries.get(rule.endpoint, []),
                                                                    rule.endpoint in public)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1"},
        "servers": [{"url": API_PREFIX}],
        "paths": paths,
        "components": {
            "schemas": {**schemas.get("$defs", {}), "Error": _ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(rule, body: type[BaseModel] | None, queries: list[dict], public: bool) -> dict:
    error = {"description": "The contract's error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    operation = {
        "operationId": rule.endpoint,
        "parameters": [{"name": name, "in": "path", "required": True,
                        "schema": {"type": _JSON_TYPES.get(converter, "string")}}
                       for converter, name in _PATH_ARGUMENT.findall(rule.rule)]
                      + [{"in": "query", "required": False, **query} for query in queries],
        "responses": {"2XX": {"description": "Success (see CONTRACT.md)"}, "4XX": error},
        "security": [] if public else [{"bearer": []}],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}
    return operation
