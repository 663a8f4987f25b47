"""GET /api/v1/openapi.json: central's JSON API as OpenAPI 3.1, read from the routes and the body models
(central_sync.protocol.openapi_document, which the kiosk's description uses too)."""
from flask import Blueprint, current_app

from central_sync.models import ALERT_KINDS
from central_sync.network.api import DeviceIn
from central_sync.protocol import LoginBody, openapi_document
from central_sync.protocol.sync import MAX_PULL_LIMIT, PULL_LIMIT, PushIn
from central_sync.reports.services import GROUPS
from central_sync.stock.api import AdjustmentIn, TransferIn

api = Blueprint("openapi", __name__)

BODIES = {  # endpoint -> the model its body is parsed into
    "auth_api.login": LoginBody, "network_api.create_device": DeviceIn, "stock_api.create_transfer": TransferIn,
    "stock_api.adjust": AdjustmentIn, "sync_api.push": PushIn,
}
_LOCATION = {"name": "location", "description": "A location's code", "schema": {"type": "string"}}
_WINDOW = [
    {"name": "from", "description": "From this local day (2026-03-31) or ISO 8601 time", "schema": {"type": "string"}},
    {"name": "to", "description": "Up to this local day, included, or ISO 8601 time", "schema": {"type": "string"}},
]
QUERIES = {  # endpoint -> the query parameters it reads (all optional)
    "stock_api.stock": [_LOCATION, {"name": "sku", "description": "A product's SKU", "schema": {"type": "string"}}],
    "stock_api.transfers": [
        {"name": "status", "schema": {"type": "string", "enum": ["in_transit", "received"]}},
        {**_LOCATION, "description": "Shipped from or to this location's code"},
    ],
    "reports_api.sales": [_LOCATION, *_WINDOW,
                          {"name": "page", "description": "Pages count from 1",
                           "schema": {"type": "integer", "minimum": 1, "default": 1}}],
    "reports_api.alerts": [
        {"name": "kind", "schema": {"type": "string", "enum": list(ALERT_KINDS)}},
        {**_LOCATION, "description": "Alerts at this location's code"},
    ],
    "sync_api.pull": [
        {"name": "cursor", "description": "The cursor of the last pull; none: everything", "schema": {"type": "string"}},
        {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PULL_LIMIT, "default": PULL_LIMIT}},
    ],
    "reports_api.sales_report": [
        {"name": "group_by", "schema": {"type": "string", "enum": list(GROUPS), "default": "product"}}, *_WINDOW],
}
PUBLIC = {"auth_api.login", "openapi.document"}


@api.get("/openapi.json")
def document():
    return openapi_document(current_app, "OCOP Đắk Lắk central server", BODIES, QUERIES, PUBLIC)
