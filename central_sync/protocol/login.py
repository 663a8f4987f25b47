"""Both apps' page logins (Flask-Login): a session is a row of the app's ``login_sessions`` table.

The signed session cookie holds a random session id; the database keeps only its SHA-256, so the id is no
bearer token, and a session ends for good at logout, when the user's password changes (the services delete
the user's rows), when the user is deactivated, and SESSION_LIFETIME_SECONDS after its login, whoever holds
a copy of the cookie. Strong session protection also refuses the cookie from another browser or address.
The JSON API keeps its own bearer tokens.
"""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app, redirect, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from sqlalchemy import delete, select

from central_sync.protocol.errors import DomainError, InvalidCredentials

SESSION_KEY = "sid"


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_session() -> None:
    """A fresh session (at login and logout) that keeps only the language chosen."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never `//host` or a full URL) may be the page to go back to after login."""
    return target if target and target.startswith("/") and not target.startswith(("//", "/\\")) else None


class PageLogin:
    """One app's page login: ``user_model`` (active, role) and ``session_model`` (token_hash, user_id,
    expires_at, user) of its database ``db``; the anonymous are sent to ``login_view``."""

    def __init__(self, login_manager, db, user_model, session_model, login_view: str):
        self.db, self.user_model, self.session_model = db, user_model, session_model
        login_manager.user_loader(self.load_user)
        login_manager.login_view = login_view
        login_manager.login_message = _l("Please log in first.")
        login_manager.localize_callback = str  # translated when flashed, in the reader's language
        login_manager.login_message_category = "info"
        login_manager.session_protection = "strong"

    def load_user(self, user_id: str):
        session_id = session.get(SESSION_KEY)
        if not isinstance(session_id, str):
            return None
        model = self.session_model
        row = self.db.session.scalar(select(model).where(model.token_hash == session_hash(session_id),
                                                         model.expires_at > datetime.now(timezone.utc)))
        if row is None or str(row.user_id) != user_id or not row.user.active:
            return None
        return row.user

    def log_in(self, form, authenticate, flash_error, home: str):
        """The login form's POST: the redirect to the page asked for (else ``home``) once logged in, or None
        (the form again, with the refusal flashed; a wrong password is committed: it counts towards the limit)."""
        if not form.validate_on_submit():
            return None
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr or "", current_app.config)
        except DomainError as error:  # wrong credentials, or too many attempts
            if isinstance(error, InvalidCredentials):
                self.db.session.commit()
            flash_error(error)
            return None
        session_id, now = secrets.token_urlsafe(32), datetime.now(timezone.utc)
        model = self.session_model
        self.db.session.execute(delete(model).where(model.expires_at <= now))
        self.db.session.add(model(token_hash=session_hash(session_id), user_id=user.id,
                                  expires_at=now + timedelta(seconds=current_app.config["SESSION_LIFETIME_SECONDS"])))
        self.db.session.commit()
        new_session()
        session[SESSION_KEY] = session_id
        login_user(user)
        return redirect(safe_next(request.args.get("next")) or home)

    def log_out(self) -> None:
        """End this session: its row (a copy of the cookie no longer works) and the cookie's content."""
        session_id = session.get(SESSION_KEY)
        if isinstance(session_id, str):
            model = self.session_model
            self.db.session.execute(delete(model).where(model.token_hash == session_hash(session_id)))
            self.db.session.commit()
        logout_user()
        new_session()
