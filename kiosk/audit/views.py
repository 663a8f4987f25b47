from flask import Blueprint, render_template

from kiosk import ui
from kiosk.audit import services
from kiosk.auth.guards import page_login_required

bp = Blueprint("audit", __name__, template_folder="templates")
PAGE_SIZE = 100


@bp.get("/audit")
@page_login_required("manager")
def log():
    page = ui.page_number()
    rows = services.entries(page, PAGE_SIZE)
    return render_template("audit/log.html", rows=rows, page=page, page_size=PAGE_SIZE)
