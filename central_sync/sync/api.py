"""POST /api/v1/sync/push: a device's events, authenticated by its token (CONTRACT.md "Sync")."""
import zlib
from typing import Any, Literal

from flask import Blueprint, g, request
from pydantic import AwareDatetime, Field
from werkzeug.exceptions import RequestEntityTooLarge

from central_sync.auth.guards import device_required
from central_sync.extensions import db
from central_sync.protocol import BadRequest, Body, parse_body
from central_sync.sync import services

bp = Blueprint("sync_api", __name__)

MAX_EVENTS = 500
MAX_UNZIPPED = 16 * 1024 * 1024  # 500 large sales fit many times over; a zip bomb stops here


class EventIn(Body):
    seq: int = Field(ge=1, le=2**62)
    id: str = Field(min_length=1, max_length=36)
    type: str = Field(min_length=1, max_length=32)
    occurred_at: AwareDatetime
    payload: dict[str, Any]


class PushIn(Body):
    protocol: Literal[1]
    events: list[EventIn]


def unzipped_body() -> bytes:
    raw = request.get_data(cache=True)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding != "gzip":
        raise BadRequest(f"Content-Encoding {encoding} is not understood; send gzip or nothing.")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, MAX_UNZIPPED + 1)
    except zlib.error:
        raise BadRequest("The body is not valid gzip.") from None
    if len(body) > MAX_UNZIPPED or inflater.unconsumed_tail:
        raise RequestEntityTooLarge(f"The unzipped body is over {MAX_UNZIPPED} bytes.")
    if not inflater.eof:
        raise BadRequest("The gzip body is cut short.")
    return body


@bp.post("/sync/push")
@device_required
def push():
    body = parse_body(PushIn, unzipped_body())
    if len(body.events) > MAX_EVENTS:
        raise RequestEntityTooLarge(f"At most {MAX_EVENTS} events a request.")
    answer = services.push(g.device, body.events)
    db.session.commit()
    return answer
