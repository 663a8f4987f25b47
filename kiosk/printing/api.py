import io

from flask import Blueprint, Response, current_app, request

from kiosk.auth.guards import api_login_required
from kiosk.errors import ValidationFailed
from kiosk.extensions import db
from kiosk.printing import document, services, worker
from kiosk.printing.encode import encode
from kiosk.sales.services import get_sale

bp = Blueprint("printing_api", __name__)
FORMATS = ("text", "png", "escpos")


@bp.get("/sales/<sale_id>/receipt")
@api_login_required()
def receipt(sale_id: str):
    fmt = request.args.get("format", "text")
    if fmt not in FORMATS:
        raise ValidationFailed(f"format must be one of {', '.join(FORMATS)}", field="format")
    sale = get_sale(sale_id)
    layout = services.layout()
    paper = document.sale_receipt(sale, document.Shop.from_config(current_app.config))
    if fmt == "text":
        return Response(document.to_text(paper, layout.columns), content_type="text/plain; charset=utf-8")
    if fmt == "png":
        buffer = io.BytesIO()
        layout.render(paper).save(buffer, "PNG", optimize=True)
        return Response(buffer.getvalue(), content_type="image/png")
    return Response(encode(paper, layout), content_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{sale.number}.bin"'})


@bp.post("/sales/<sale_id>/reprint")
@api_login_required()
def reprint(sale_id: str):
    services.reprint(get_sale(sale_id))
    db.session.commit()
    worker.notify(current_app)
    return {"print_status": "queued"}, 202
