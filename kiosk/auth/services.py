"""Users, passwords, API tokens and the login rate limit. Never commits."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, delete, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from central_sync.protocol.passwords import check_password
from kiosk.audit import services as audit
from kiosk.errors import Conflict, Forbidden, InvalidCredentials, TooManyAttempts, ValidationFailed
from kiosk.extensions import db
from kiosk.models import ROLES, ApiToken, LoginFailure, LoginSession, User, utcnow

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(username: str) -> str:
    return username.strip().lower()


def list_users() -> list[User]:
    return db.session.scalars(select(User).order_by(User.username)).all()


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(username: str, password: str, role: str, by: User | None = None) -> User:
    """A new user; ``by`` is the manager who creates it (None: the command line or the demo data)."""
    username = normalise_username(username)
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").isalnum():
        raise ValidationFailed("A username is 1 to 64 letters, digits, dots or underscores.", field="username")
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    check_password(password, username)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username} already exists.", code="user_exists", field="username")
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    db.session.add(user)
    db.session.flush()
    audit.record(by, "user.create", "user", user.id, username=username, role=role)
    return user


def set_password(user: User, password: str, by: User | None = None) -> User:
    """A new password (never recorded, not even in the audit trail); the user's API tokens and sessions end."""
    check_password(password, user.username)
    user.password_hash = generate_password_hash(password)
    for model in (ApiToken, LoginSession):  # their API tokens and page sessions end
        db.session.execute(delete(model).where(model.user_id == user.id))
    audit.record(by, "user.password_reset", "user", user.id, username=user.username)
    return user


def set_active(user: User, active: bool, by: User) -> User:
    """Let a user log in again, or no longer (their session and API tokens stop working); nobody locks
    themselves out."""
    if not active and user.id == by.id:
        raise Forbidden("You cannot deactivate yourself.", code="cannot_deactivate_self")
    if user.active != active:
        user.active = active
        audit.record(by, "user.activate" if active else "user.deactivate", "user", user.id,
                     username=user.username)
    return user


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def authenticate(username: str, password: str, address: str, limits: dict, now: datetime | None = None) -> User:
    """The user with these credentials, or InvalidCredentials (recorded) or TooManyAttempts.

    The caller commits in both cases, so that a failure is counted.
    """
    now = now or utcnow()
    username = normalise_username(username)[:64]
    since = now - timedelta(seconds=limits["LOGIN_WINDOW_SECONDS"])
    by_user, by_address = db.session.execute(
        select(
            func.count().filter(LoginFailure.username == username),
            func.count().filter(LoginFailure.address == address),
        ).where(LoginFailure.at >= since, or_(LoginFailure.username == username, LoginFailure.address == address))
    ).one()
    if by_user >= limits["LOGIN_MAX_FAILURES"] or by_address >= limits["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise TooManyAttempts("Too many failed logins; wait a few minutes and try again.")
    user = find_user(username)
    # An unknown name costs a hash check too, so timing does not tell which usernames exist.
    password_ok = check_password_hash(user.password_hash if user else _unknown_user_hash(), password)
    if user is None or not user.active or not password_ok:
        db.session.add(LoginFailure(username=username, address=address[:64], at=now))
        raise InvalidCredentials("Wrong username or password.")
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


def issue_token(user: User, ttl_seconds: int) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(ApiToken(token_hash=hash_token(token), user_id=user.id, created_at=now,
                            expires_at=now + timedelta(seconds=ttl_seconds)))
    db.session.execute(delete(ApiToken).where(ApiToken.expires_at < now))
    return token


@dataclass(frozen=True)
class Caller:
    """Whom a bearer token speaks for: what the API's services use of a user (id, name, role), read in one
    light query on every API request instead of loading a `User`."""

    id: int
    username: str
    role: str

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


_TOKEN_CALLER = (select(User.id, User.username, User.role).join(ApiToken, ApiToken.user_id == User.id)
                 .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                        ApiToken.expires_at > bindparam("now", type_=ApiToken.expires_at.type),
                        User.active.is_(True)))


def caller_for_token(token: str, now: datetime | None = None) -> Caller | None:
    row = db.session.connection().execute(_TOKEN_CALLER, {"token_hash": hash_token(token),
                                                          "now": now or utcnow()}).first()
    return Caller(*row) if row else None
