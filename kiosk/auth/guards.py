"""Who may call what: bearer tokens or a session (with CSRF) for the API, sessions for pages."""
from functools import wraps

from flask import g, request
from flask_login import current_user

from central_sync.protocol import logs
from central_sync.protocol import page_login_required as page_login_required_for
from kiosk.auth import services
from kiosk.errors import Forbidden, Unauthorized
from kiosk.extensions import csrf, login_manager

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _api_user():
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        user = services.caller_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            raise Unauthorized("The token is missing, wrong, expired or revoked; log in again.")
        return user
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()  # the tablet's pages call the API with their session cookie
        return current_user._get_current_object()
    raise Unauthorized("Log in first and send Authorization: Bearer <token>.")


def api_login_required(*roles: str):
    """For JSON routes: 401 without valid credentials, 403 for a role not in ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            g.user = _api_user()
            logs.identify(user=g.user)
            if roles and g.user.role not in roles:
                raise Forbidden(f"This needs the {' or '.join(roles)} role.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


# For HTML routes: to the login page without a session, 403 for a role not in ``roles``.
page_login_required = page_login_required_for(login_manager)
