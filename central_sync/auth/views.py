"""Logging in and out of the admin pages (a Flask-Login session; the API keeps its bearer tokens), and the
language switch."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from central_sync import ui
from central_sync.auth import services
from central_sync.auth.forms import LoginForm
from central_sync.extensions import db, login_manager
from central_sync.models import User
from central_sync.protocol import DomainError

bp = Blueprint("auth_views", __name__, template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


login_manager.login_view = "auth_views.login"
login_manager.login_message = _l("Please log in first.")
login_manager.localize_callback = str  # translated when flashed, in the reader's language
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never `//host` or a full URL) may be the page to go back to after login."""
    return target if target and target.startswith("/") and not target.startswith(("//", "/\\")) else None


def _new_session() -> None:
    """A fresh session (at login and logout) that keeps only the language chosen."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.get("/")
def index():
    return redirect(url_for("catalog_views.products"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "",
                                         current_app.config)
        except services.InvalidCredentials as error:
            db.session.commit()  # the failure counts towards the limit
            ui.flash_error(error)
        except DomainError as error:  # too many attempts
            ui.flash_error(error)
        else:
            db.session.commit()
            _new_session()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("catalog_views.products"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@ui.page_login_required()
def logout():
    logout_user()
    _new_session()
    return redirect(url_for("auth_views.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(ui.same_site_referrer() or url_for("auth_views.login"))
