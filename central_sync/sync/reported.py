"""What a kiosk says of itself on each push and pull, and the pushes central refused: the kiosk health page's
"events waiting" and "last error". Never commits.

The headers come from a device, not a person, and may be anything: a pending count that is not a whole number
is ignored, a huge one clamped; an error is URL-decoded, stripped of control characters and cut to 200."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote

from central_sync.models import Device, utcnow

PENDING_HEADER, ERROR_HEADER = "X-Kiosk-Pending", "X-Kiosk-Last-Error"
MAX_PENDING = 2**31 - 1
MAX_ERROR = 200


def pending(raw: str | None) -> int | None:
    """The reported pending count: a whole number from 0, clamped; None for anything else."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    return min(int(raw[:12]) if len(raw) <= 12 else MAX_PENDING, MAX_PENDING)


def error(raw: str | None) -> str | None:
    """The reported last error as text people can read (None: no error), at most 200 characters."""
    text = unquote((raw or "")[:4 * MAX_ERROR * 3], errors="replace")
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(text.split())[:MAX_ERROR] or None


def note(device: Device, headers) -> None:
    """Keep what the kiosk reported with this request (a request without the headers changes nothing)."""
    if PENDING_HEADER not in headers and ERROR_HEADER not in headers:
        return
    device.reported_pending = pending(headers.get(PENDING_HEADER))
    device.reported_error = error(headers.get(ERROR_HEADER))
    device.reported_at = utcnow()


def note_refusal(device: Device, code: str, headers) -> None:
    """A push central refused (its transaction was rolled back): the code and when, with the kiosk's report."""
    note(device, headers)
    device.refused_code, device.refused_at = code[:64], utcnow()  # after the report: it is the newer error
