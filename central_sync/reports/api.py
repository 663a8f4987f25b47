from flask import Blueprint, current_app, request

from central_sync.auth.guards import api_login_required
from central_sync.models import ALERT_KINDS
from central_sync.protocol import ValidationFailed
from central_sync.reports import alerts as alerting
from central_sync.reports import services

bp = Blueprint("reports_api", __name__)


def _window() -> tuple:
    return (services.parse_moment("from", request.args.get("from")),
            services.parse_moment("to", request.args.get("to"), end=True))


@bp.get("/sales")
@api_login_required()
def sales():
    page = request.args.get("page", "1")
    if not (page.isascii() and page.isdigit() and len(page) <= 7) or not 1 <= int(page) <= 1_000_000:
        raise ValidationFailed("page is a whole number from 1.", field="page")
    location = request.args.get("location") or None
    found, pages = services.list_sales(location, *_window(), int(page), current_app.config["SALES_PAGE_SIZE"])
    return {"sales": found, "page": int(page), "pages": pages}


@bp.get("/reports/sales")
@api_login_required()
def sales_report():
    group_by = request.args.get("group_by", "product")
    if group_by not in services.GROUPS:
        raise ValidationFailed(f"group_by is one of {', '.join(services.GROUPS)}.", field="group_by")
    return {"rows": services.sales_report(group_by, *_window())}


@bp.get("/alerts")
@api_login_required()
def alerts():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in ALERT_KINDS:
        raise ValidationFailed(f"kind is one of {', '.join(ALERT_KINDS)}.", field="kind")
    location = request.args.get("location") or None
    return {"alerts": alerting.alerts(current_app.config["CERTIFICATE_WARNING_DAYS"],
                                      current_app.config["LOW_STOCK_THRESHOLD"], kind=kind,
                                      location=location[:16] if location else None)}
