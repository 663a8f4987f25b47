"""The front door (health check, `/` to the sale screen) and what every page shares."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from central_sync.protocol import same_site_referrer
from kiosk import ui
from kiosk.errors import json_error, wants_json

bp = Blueprint("home", __name__)


@bp.record_once
def _register_ui(state) -> None:
    ui.register(state.app)


@bp.app_context_processor
def page_globals() -> dict:
    return {"lang": str(get_locale() or "vi")}


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/")
def index():
    return redirect(url_for("sales.sell"))


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """A form from a page left open too long (or a new session): ask to try again, keep the JSON for the API."""
    if wants_json():
        return json_error(400, "bad_request", error.description)
    flash(_("The page had expired. Please try again."), "error")
    return redirect(same_site_referrer() or url_for("sales.sell"))


@bp.app_errorhandler(403)
def forbidden(error):
    if wants_json():
        return json_error(403, "forbidden", error.description)
    return render_template("forbidden.html"), 403
