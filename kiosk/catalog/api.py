from flask import Blueprint, request

from kiosk.auth.guards import api_login_required
from kiosk.catalog import services
from kiosk.clock import local_today
from kiosk.errors import ValidationFailed

bp = Blueprint("catalog_api", __name__)


@bp.get("/products")
@api_login_required()
def products():
    q, barcode = request.args.get("q"), request.args.get("barcode")
    for name, value in (("q", q), ("barcode", barcode)):
        if value is not None and len(value) > 100:
            raise ValidationFailed(f"{name} is at most 100 characters.", field=name)
    today = local_today()
    return {"products": [services.product_json(p, qty, today) for p, qty in services.find_products(q, barcode)]}
