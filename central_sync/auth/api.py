from flask import Blueprint, current_app, request

from central_sync.auth import services
from central_sync.extensions import db
from central_sync.protocol import LoginBody, parse_body

bp = Blueprint("auth_api", __name__)


@bp.post("/login")
def login():
    body = parse_body(LoginBody)
    try:
        user, token = services.log_in(body.username, body.password, request.remote_addr or "", current_app.config)
    finally:
        db.session.commit()  # a failed login is counted towards the limit; a good one keeps its token
    return {"token": token, "user": {"username": user.username, "role": user.role}}
