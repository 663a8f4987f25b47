from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from kiosk import ui
from kiosk.auth import services
from kiosk.auth.forms import SHORT_PASSWORD, LoginForm, PasswordForm, UserForm
from kiosk.auth.guards import page_login_required
from kiosk.errors import DomainError
from kiosk.extensions import db, login_manager
from kiosk.home import same_site_referrer
from kiosk.models import User

bp = Blueprint("auth", __name__, template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


login_manager.login_view = "auth.login"
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
            return redirect(_safe_next(request.args.get("next")) or url_for("sales.sell"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@page_login_required()
def logout():
    logout_user()
    _new_session()
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(same_site_referrer() or url_for("sales.sell"))


@bp.route("/users", methods=["GET", "POST"])
@page_login_required("manager")
def users():
    form = UserForm()
    if form.validate_on_submit():
        user = ui.commit_or_flash(lambda: services.create_user(form.username.data, form.password.data,
                                                               form.role.data, g.user))
        if user is not None:
            flash(_("User created."), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/users.html", form=form, users=services.list_users(), password_form=PasswordForm())


@bp.post("/users/<int:user_id>/password")
@page_login_required("manager")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        flash(str(SHORT_PASSWORD), "error")
    elif ui.commit_or_flash(lambda: services.set_password(user, form.password.data, g.user)) is not None:
        flash(_("Password changed for %(name)s.", name=user.username), "success")
    return redirect(url_for("auth.users"))


@bp.post("/users/<int:user_id>/active")
@page_login_required("manager")
def toggle_active(user_id: int):
    user = db.get_or_404(User, user_id)
    ui.commit_or_flash(lambda: services.set_active(user, not user.active, g.user))
    return redirect(url_for("auth.users"))
