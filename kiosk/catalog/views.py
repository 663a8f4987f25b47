from flask import Blueprint, render_template, request

from kiosk.auth.guards import page_login_required
from kiosk.catalog import services
from kiosk.clock import local_today

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.get("/products")
@page_login_required()
def products():
    q = request.args.get("q", "")[:100]
    return render_template("catalog/products.html", rows=services.find_products(q or None), q=q,
                           today=local_today())
