"""Who may call what: a user's bearer token (admin or reviewer) or a device's (sync only)."""
from functools import wraps

from flask import g, request

from central_sync.auth import services
from central_sync.protocol import Forbidden, Unauthorized, logs


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Log in first and send Authorization: Bearer <token>.")
    return token


def api_login_required(*roles: str):
    """For user routes: 401 without a valid user token (a device token is not one), 403 for a role not in
    ``roles`` (none given: any user)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            g.user = services.user_for_token(bearer_token())
            if g.user is None:
                raise Unauthorized("The token is missing, wrong, expired or revoked; log in again.")
            logs.identify(user=g.user)
            if roles and g.user.role not in roles:
                raise Forbidden(f"This needs the {' or '.join(roles)} role.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def device_required(view):
    """For sync routes: 401 unless the token is an active device's; ``g.device`` is that device."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from central_sync.network.services import device_for_token

        g.device = device_for_token(bearer_token())
        if g.device is None:
            raise Unauthorized("This device token is wrong or revoked; enrol the kiosk again.")
        logs.identify(device=g.device)
        return view(*args, **kwargs)

    return wrapped
