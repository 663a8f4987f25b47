"""GET /api/v1/openapi.json: the kiosk's JSON API as OpenAPI 3.1, read from the routes and the body models
(central_sync.protocol.openapi_document, which central's description uses too)."""
from flask import Blueprint, current_app

from central_sync.protocol import openapi_document
from kiosk.auth.api import LoginBody
from kiosk.printing.api import FORMATS
from kiosk.sales.schemas import RefundIn, SaleIn
from kiosk.shifts.api import CloseShiftIn, OpenShiftIn
from kiosk.stock.api import AdjustmentIn, ReceiveIn

bp = Blueprint("openapi", __name__)

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


@bp.get("/openapi.json")
def document():
    return openapi_document(current_app, "OCOP kiosk POS", BODIES, QUERIES, PUBLIC)
