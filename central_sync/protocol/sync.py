"""The sync's wire format (CONTRACT.md "Sync"), shared by the kiosk that sends and central that answers:
the push envelope, the pull's limits, and gzip bodies that cannot unzip into a bomb."""
import gzip
import zlib
from typing import Any, Literal

from pydantic import AwareDatetime, Field
from werkzeug.exceptions import RequestEntityTooLarge

from central_sync.protocol.bodies import Body
from central_sync.protocol.errors import BadRequest

PROTOCOL = 1
MAX_EVENTS = 500  # a push request's events
MAX_UNZIPPED = 16 * 1024 * 1024  # 500 large sales fit many times over; a zip bomb stops here
PULL_LIMIT, MAX_PULL_LIMIT = 500, 1000  # a pull page's changes: by default, at most
ENTITIES = ("product", "producer", "price", "transfer", "location", "setting")


class EventIn(Body):
    seq: int = Field(ge=1, le=2**62)
    id: str = Field(min_length=1, max_length=36)
    type: str = Field(min_length=1, max_length=32)
    occurred_at: AwareDatetime
    payload: dict[str, Any]


class PushIn(Body):
    protocol: Literal[1]
    events: list[EventIn]


def gzipped(body: bytes) -> bytes:
    """A request body to send with `Content-Encoding: gzip` (level 6: most of the gain, little CPU)."""
    return gzip.compress(body, compresslevel=6, mtime=0)


def gunzipped(raw: bytes, encoding: str | None) -> bytes:
    """The body as sent (`Content-Encoding` gzip or none), refused past MAX_UNZIPPED bytes once unzipped."""
    encoding = (encoding or "identity").strip().lower()
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
