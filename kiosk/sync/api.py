"""`GET /api/v1/sync/status` and `POST /api/v1/sync` (push, then pull, now)."""
from flask import Blueprint

from kiosk.auth.guards import api_login_required
from kiosk.errors import DomainError
from kiosk.sync import runner, state
from kiosk.sync.client import Refused, Unreachable

bp = Blueprint("sync_api", __name__)


class CentralUnreachable(DomainError):
    status, code = 503, "central_unreachable"


@bp.get("/sync/status")
@api_login_required()
def status():
    return state.status()


@bp.post("/sync")
@api_login_required()
def sync_now():
    try:
        return runner.sync_once()
    except Unreachable as error:
        raise CentralUnreachable(f"Central cannot be reached now; nothing is lost, the kiosk tries again later. "
                                 f"({error})") from None
    except Refused as refusal:
        raise CentralUnreachable(f"Central refused the sync: {refusal}. Nothing is lost; see the sync page.",
                                 code="central_refused") from None
