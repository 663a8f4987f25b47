from flask import Blueprint, current_app, g

from kiosk.auth.guards import api_login_required
from kiosk.extensions import db
from kiosk.printing import worker
from kiosk.sales import services
from kiosk.sales.schemas import RefundIn, SaleIn
from kiosk.validation import parse_body

bp = Blueprint("sales_api", __name__)


@bp.post("/sales")
@api_login_required()
def create_sale():
    body = parse_body(SaleIn)
    sale, created = services.create_sale(body, g.user, services.Till.from_config(current_app.config))
    answer = services.sale_json(sale)  # from what is in memory: no read-back after the commit
    db.session.commit()
    worker.notify(current_app)
    return answer, 201 if created else 200


@bp.get("/sales/<sale_id>")
@api_login_required()
def get_sale(sale_id: str):
    return services.sale_json(services.get_sale(sale_id))


@bp.post("/sales/<sale_id>/refunds")
@api_login_required("manager")
def refund(sale_id: str):
    body = parse_body(RefundIn)
    refund = services.refund_sale(sale_id, body, g.user)
    db.session.commit()
    return {"id": refund.id, "sale_id": refund.sale_id, "total_vnd": refund.total_vnd,
            "lines": [{"sku": l.sku, "qty": l.qty, "amount_vnd": l.amount_vnd} for l in refund.lines]}, 201
