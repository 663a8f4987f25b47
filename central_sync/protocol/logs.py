"""Both apps' structured logs: one line per request (and, from the sync's code, one per batch), through the
`logging` module, so that pytest's caplog, waitress and gunicorn all see them.

Each line is a JSON object (`JsonFormatter`): a log shipper (journald, Loki, Elasticsearch) or `jq` reads it
with no parsing rules of its own, and a path or an error message with spaces, quotes or Vietnamese stays one
unambiguous value, which key=value text would need quoting rules for. Fields come from the record's `extra`.

Never logged: query strings (only the path is), headers (Authorization, Cookie, the CSRF header), bodies
(passwords, tokens), cookies. A caller is named by username and role, or device id and location."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, request

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a caller's own id (a kiosk's sync request) is kept if so
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", ...the record's extra fields, "exc"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        line.update((key, value) for key, value in vars(record).items() if key not in _RECORD_FIELDS)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _NoAccessLines(logging.Filter):
    """Drops the development server's own access lines: the app's request line says more, without the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.endswith('] "%s" %s %s'))


def init_app(app: Flask) -> None:
    """The app's log level (LOG_LEVEL) on its loggers, JSON lines on stderr when nothing else has set up
    logging (a test's capture, a server's own configuration are left alone), and the request line."""
    level = app.config["LOG_LEVEL"]
    logging.getLogger(app.import_name).setLevel(level)  # `kiosk.*` or `central_sync.*`
    root = logging.getLogger()
    if not root.handlers and not app.testing:  # waitress's basicConfig() then keeps this one
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(level)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(existing, _NoAccessLines) for existing in werkzeug.filters):
        werkzeug.addFilter(_NoAccessLines())
    requests = logging.getLogger(f"{app.import_name}.request")

    @app.before_request
    def start() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def log_request(response):
        request_id = g.get("request_id") or uuid.uuid4().hex  # a before_request hook may have answered first
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        fields = {"app": app.import_name, "request_id": request_id, "method": request.method,
                  "path": request.path, "status": response.status_code,
                  "duration_ms": elapsed_ms(started) if started is not None else None,
                  "bytes": response.content_length, "remote": request.remote_addr, **caller()}
        requests.log(logging.ERROR if response.status_code >= 500 else logging.INFO,
                     "%s %s %s %sms", request.method, request.path, response.status_code, fields["duration_ms"],
                     extra=fields)
        return response


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def identify(*, user=None, device=None, name: str | None = None) -> None:
    """Who makes this request, for its log line: a user (username, role), a device (id, location) or a named
    caller. Noted by the guards while the object is loaded (after a commit, reading it would query again)."""
    if user is not None:
        g.log_caller = {"user": user.username, "role": user.role}
    elif device is not None:
        g.log_caller = {"device": device.id, "location": device.location.code}
    elif name is not None:
        g.log_caller = {"user": name}


def caller() -> dict:
    return g.get("log_caller") or {}


def request_fields() -> dict:
    """For a line logged while answering a request (an error's traceback): its request id."""
    return {"request_id": g.get("request_id")}
