"""Logging in and out of the admin pages (a Flask-Login session; the API keeps its bearer tokens), and the
language switch."""
from flask import Blueprint, current_app, redirect, render_template, session, url_for

from central_sync import protocol, ui
from central_sync.auth import services
from central_sync.auth.forms import LoginForm
from central_sync.extensions import db, login_manager
from central_sync.models import LoginSession, User

bp = Blueprint("auth_views", __name__, template_folder="templates")
page_login = protocol.PageLogin(login_manager, db, User, LoginSession, "auth_views.login")


@bp.get("/")
def index():
    return redirect(url_for("catalog_views.products"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    done = page_login.log_in(form, services.authenticate, ui.flash_error, url_for("catalog_views.products"))
    return done or render_template("auth/login.html", form=form)


@bp.post("/logout")
@ui.page_login_required()
def logout():
    page_login.log_out()
    return redirect(url_for("auth_views.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(protocol.same_site_referrer() or url_for("auth_views.login"))
