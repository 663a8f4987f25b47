from flask import Blueprint, redirect, url_for

bp = Blueprint("home", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/")
def index():
    return redirect(url_for("sales.sell"))
