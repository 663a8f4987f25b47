from flask import Blueprint, render_template
from sqlalchemy import select

from kiosk import ui
from kiosk.auth.guards import page_login_required
from kiosk.extensions import db
from kiosk.models import AuditEntry, User

bp = Blueprint("audit", __name__, template_folder="templates")
PAGE_SIZE = 100


@bp.get("/audit")
@page_login_required("manager")
def log():
    page = ui.page_number()
    rows = db.session.execute(
        select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
        .order_by(AuditEntry.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("audit/log.html", rows=rows, page=page, page_size=PAGE_SIZE)
