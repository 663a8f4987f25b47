"""Central users, their passwords and bearer tokens, and the login rate limit. Never commits."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from central_sync.extensions import db
from central_sync.models import ROLES, ApiToken, LoginFailure, LoginSession, User, utcnow
from central_sync.protocol import Conflict, InvalidCredentials, TooManyAttempts, ValidationFailed
from central_sync.protocol.passwords import check_password

USERNAME = re.compile(r"[a-z0-9._]{1,64}")


def hash_token(token: str) -> str:
    """Tokens (of users and devices) are kept only as this digest: a leaked table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe, never starting with `-` (a device token is typed after
    `flask --app kiosk enroll URL`, where a leading dash would read as an option)."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def create_user(username: str, password: str, role: str) -> User:
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise ValidationFailed("A username is 1 to 64 letters, digits, dots or underscores.", field="username")
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    check_password(password, username)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username} already exists.", code="user_exists", field="username")
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(username: str, password: str) -> User:
    """A new password for ``username`` (the command line's, for a forgotten one); their API tokens and sessions end."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise ValidationFailed(f"No user is called {username}.", field="username")
    check_password(password, user.username)
    user.password_hash = generate_password_hash(password)
    for model in (ApiToken, LoginSession):  # their API tokens and page sessions end
        db.session.execute(delete(model).where(model.user_id == user.id))
    return user


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _refuse_if_limited(username: str, address: str, limits: dict, now: datetime) -> None:
    """429 after LOGIN_MAX_FAILURES for one username, or LOGIN_MAX_FAILURES_PER_ADDRESS from one address,
    within LOGIN_WINDOW_SECONDS."""
    recent = LoginFailure.at >= now - timedelta(seconds=limits["LOGIN_WINDOW_SECONDS"])
    for column, most in ((LoginFailure.username, limits["LOGIN_MAX_FAILURES"]),
                         (LoginFailure.address, limits["LOGIN_MAX_FAILURES_PER_ADDRESS"])):
        value = username if column is LoginFailure.username else address
        if db.session.scalar(select(func.count()).where(column == value, recent)) >= most:
            raise TooManyAttempts("Too many failed logins; wait a few minutes and try again.")


def authenticate(username: str, password: str, address: str, limits: dict) -> User:
    """The user these credentials name, or InvalidCredentials (the failure is added: the caller commits it)."""
    now, username, address = utcnow(), username.strip().lower()[:64], address[:64]
    _refuse_if_limited(username, address, limits, now)
    user = db.session.scalar(select(User).where(User.username == username))
    # An unknown name costs a hash check too, so that timing does not tell which names exist.
    matches = check_password_hash(user.password_hash if user is not None else _decoy_hash(), password)
    if user is None or not user.active or not matches:
        db.session.add(LoginFailure(username=username, address=address, at=now))
        raise InvalidCredentials("Wrong username or password.")
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


def log_in(username: str, password: str, address: str, settings: dict) -> tuple[User, str]:
    user = authenticate(username, password, address, settings)
    return user, issue_token(user, settings["API_TOKEN_TTL_SECONDS"])


def issue_token(user: User, ttl_seconds: int) -> str:
    token, now = new_token(), utcnow()
    db.session.execute(delete(ApiToken).where(ApiToken.expires_at < now))
    db.session.add(ApiToken(token_hash=hash_token(token), user=user, created_at=now,
                            expires_at=now + timedelta(seconds=ttl_seconds)))
    return token


def user_for_token(token: str) -> User | None:
    """The active user of an unexpired, unrevoked token, or None."""
    return db.session.scalar(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > utcnow(), User.active.is_(True)))
