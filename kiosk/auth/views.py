from flask import Blueprint, current_app, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _

from central_sync import protocol
from kiosk import ui
from kiosk.auth import services
from kiosk.auth.forms import SHORT_PASSWORD, LoginForm, PasswordForm, UserForm
from kiosk.auth.guards import page_login_required
from kiosk.extensions import db, login_manager
from kiosk.models import LoginSession, User

bp = Blueprint("auth", __name__, template_folder="templates")
page_login = protocol.PageLogin(login_manager, db, User, LoginSession, "auth.login")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    done = page_login.log_in(form, services.authenticate, ui.flash_error, url_for("sales.sell"))
    return done or render_template("auth/login.html", form=form)


@bp.post("/logout")
@page_login_required()
def logout():
    page_login.log_out()
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(protocol.same_site_referrer() or url_for("sales.sell"))


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
