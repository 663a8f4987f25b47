from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from kiosk import ui
from kiosk.auth.guards import page_login_required
from kiosk.printing import services, worker

bp = Blueprint("printing", __name__, template_folder="templates")


@bp.get("/print-jobs")
@page_login_required()
def queue():
    return render_template("printing/queue.html", jobs=services.recent_jobs(), printer=services.target())


@bp.post("/print-jobs/<job_id>/retry")
@page_login_required()
def retry(job_id: str):
    return _act(services.retry, job_id, _("The job will be sent again."))


@bp.post("/print-jobs/<job_id>/cancel")
@page_login_required()
def cancel(job_id: str):
    return _act(services.cancel, job_id, _("The job was cancelled."))


def _act(action, job_id: str, done: str):
    if ui.commit_or_flash(lambda: action(job_id)) is not None:
        worker.notify(current_app)
        flash(done, "success")
    return redirect(url_for("printing.queue"))
