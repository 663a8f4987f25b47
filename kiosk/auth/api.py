from flask import Blueprint, current_app, request
from pydantic import Field

from kiosk.auth import services
from kiosk.extensions import db
from kiosk.validation import Body, parse_body

bp = Blueprint("auth_api", __name__)


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@bp.post("/login")
def login():
    body = parse_body(LoginBody)
    try:
        user = services.authenticate(body.username, body.password, request.remote_addr or "", current_app.config)
    except services.InvalidCredentials:
        db.session.commit()  # count the failure
        raise
    token = services.issue_token(user, current_app.config["API_TOKEN_TTL_SECONDS"])
    db.session.commit()
    return {"token": token, "user": {"username": user.username, "role": user.role}}
