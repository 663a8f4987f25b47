"""Talking to central over HTTP (stdlib only: the kiosk's memory is small). Pushes go gzip-compressed.

A `transport` does one request: ``transport(method, url, headers, body, timeout) -> (status, body)``; it
raises OSError when central cannot be reached. Tests give one that calls central in-process."""
from __future__ import annotations

import gzip
import json
import uuid
from urllib.parse import quote, urlencode

from central_sync.protocol.sync import PROTOCOL, gzipped


GZIP_MAGIC = b"\x1f\x8b"  # a gzipped answer (JSON never starts so)
REPORTED_ERROR_CHARS = 200


class CentralError(Exception):
    """Central did not take the request."""


class Unreachable(CentralError):
    """No answer, a timeout, a 5xx or a 429: try again later; nothing is lost."""


class Refused(CentralError):
    """A 4xx answer (other than 429): central will not take this as it is; retrying the same will not help
    unless something changes (a seq gap is resent from where central says)."""

    def __init__(self, status: int, code: str, message: str, error: dict):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.error = status, code, error


def urllib_transport(method: str, url: str, headers: dict, body: bytes | None, timeout: float) -> tuple[int, bytes]:
    import urllib.error  # here: the HTTP client's modules load when the kiosk first syncs
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise OSError(str(getattr(error, "reason", error))) from error


class Central:
    def __init__(self, url: str, token: str, transport=urllib_transport, timeout: float = 30.0):
        self.url, self.token, self.transport, self.timeout = url.rstrip("/"), token, transport, timeout
        self.bytes_sent = self.bytes_received = 0
        self.reported: dict[str, str] = {}
        self.request_id: str | None = None  # the last request's X-Request-Id: central logs it with its line

    def report(self, pending: int, last_error: str | None) -> None:
        """What the next requests tell central of this kiosk, for its health page: the events waiting to be
        sent and the last error (URL-encoded: headers are ASCII)."""
        self.reported = {"X-Kiosk-Pending": str(pending),
                         "X-Kiosk-Last-Error": quote((last_error or "")[:REPORTED_ERROR_CHARS], safe=" :/,.()")}

    def push(self, events: list[dict]) -> dict:
        body = json.dumps({"protocol": PROTOCOL, "events": events}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        return self._call("POST", "/api/v1/sync/push", gzipped(body),
                          {"Content-Type": "application/json", "Content-Encoding": "gzip"})

    def pull(self, cursor: str | None, limit: int) -> dict:
        query = urlencode({"limit": limit, **({"cursor": cursor} if cursor else {})})
        return self._call("GET", f"/api/v1/sync/pull?{query}", None, {})

    def stock(self) -> dict:
        """The stock central holds for this kiosk's location, and the last seq of this kiosk it counts."""
        return self._call("GET", "/api/v1/sync/stock", None, {})

    def _call(self, method: str, path: str, body: bytes | None, headers: dict) -> dict:
        self.request_id = uuid.uuid4().hex
        headers = {**headers, **self.reported, "Authorization": f"Bearer {self.token}",
                   "Accept": "application/json", "Accept-Encoding": "gzip", "X-Request-Id": self.request_id}
        try:
            status, raw = self.transport(method, self.url + path, headers, body, self.timeout)
        except OSError as error:
            raise Unreachable(f"central at {self.url} cannot be reached: {error}") from error
        self.bytes_sent += len(body or b"")
        self.bytes_received += len(raw)
        try:
            answer = json.loads(gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw) if raw else {}
        except (ValueError, OSError, EOFError):
            answer = None
        if status >= 500 or status == 429 or not isinstance(answer, dict):
            raise Unreachable(f"central answered {status}; trying again later")
        if status >= 400:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise Refused(status, str(error.get("code", "error")), str(error.get("message", "")), error)
        return answer
