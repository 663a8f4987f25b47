from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from kiosk import ui
from kiosk.auth.guards import page_login_required
from kiosk.extensions import db
from kiosk.models import Shift
from kiosk.shifts import services
from kiosk.shifts.forms import CloseShiftForm, OpenShiftForm

bp = Blueprint("shifts", __name__, template_folder="templates")
RECENT_SHIFTS = 10


@bp.get("/shift")
@page_login_required()
def shift():
    current = services.current_shift()
    return render_template("shifts/shift.html", shift=current,
                           report=services.z_report(current, None) if current else None,
                           open_form=OpenShiftForm(), close_form=CloseShiftForm(),
                           closed=services.closed_shifts(RECENT_SHIFTS))


@bp.post("/shift/open")
@page_login_required()
def open_shift():
    form = OpenShiftForm()
    if ui.submit(form, lambda: services.open_shift(form.opening_cash_vnd.data, g.user)) is None:
        return redirect(url_for("shifts.shift"))
    flash(_("Shift opened. Good selling!"), "success")
    return redirect(url_for("sales.sell"))


@bp.post("/shift/close")
@page_login_required()
def close_shift():
    form = CloseShiftForm()
    report = ui.submit(form, lambda: services.close_shift(form.counted_cash_vnd.data, g.user))
    if report is None:
        return redirect(url_for("shifts.shift"))
    flash(_("Shift closed."), "success")
    return redirect(url_for("shifts.report", shift_id=report["shift_id"]))


@bp.get("/shifts/<shift_id>/report")
@page_login_required()
def report(shift_id: str):
    closed = db.get_or_404(Shift, shift_id)
    if closed.z_report is None:
        return redirect(url_for("shifts.shift"))
    return render_template("shifts/report.html", shift=closed, report=closed.z_report)
