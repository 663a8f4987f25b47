from flask import Blueprint

bp = Blueprint("home", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
