"""`GET /metrics` of either app: Prometheus's text exposition format (version 0.0.4), written here in a few
lines rather than with prometheus-client, whose registries and collectors would be more code for gauges read
from the database at each scrape.

Who may read it: a user of the app's reading roles (bearer token or page session), or a scraper presenting
METRICS_TOKEN as its bearer token. It lives outside /api/v1, so its refusals are plain text like the pages'."""
from __future__ import annotations

import hmac
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

from flask import Response, current_app, request
from flask_login import current_user

from central_sync.protocol import logs

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SCRAPER = "metrics-token"


@dataclass
class Metric:
    name: str
    help: str
    kind: str = "gauge"
    samples: list[tuple[dict, float]] = field(default_factory=list)

    def add(self, value: float, **labels) -> Metric:
        self.samples.append((labels, value))
        return self


def _value(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _label(value) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(metrics: Iterable[Metric]) -> str:
    lines = []
    for metric in metrics:
        lines += [f"# HELP {metric.name} {metric.help.replace(chr(92), chr(92) * 2)}",
                  f"# TYPE {metric.name} {metric.kind}"]
        for labels, value in metric.samples:
            text = ",".join(f'{name}="{_label(label)}"' for name, label in labels.items())
            lines.append(f"{metric.name}{{{text}}} {_value(value)}" if text else f"{metric.name} {_value(value)}")
    return "\n".join(lines) + "\n"


def _caller_role(user_for_token: Callable) -> str | None:
    """The role reading the metrics (SCRAPER for METRICS_TOKEN), None without valid credentials. A bearer
    token, when sent, is the only credential looked at (as in the API)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if request.headers.get("Authorization") is not None:
        if scheme.lower() != "bearer" or not token:
            return None
        expected = current_app.config.get("METRICS_TOKEN")
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            logs.identify(name=SCRAPER)
            return SCRAPER
        user = user_for_token(token)
    else:
        user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is None:
        return None
    logs.identify(user=user)
    return user.role


def answer(collect: Callable[[], Iterable[Metric]], roles: tuple[str, ...], user_for_token: Callable) -> Response:
    role = _caller_role(user_for_token)
    if role is None:
        return Response("Log in, or send Authorization: Bearer <token> (a user's token or METRICS_TOKEN).\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    if role != SCRAPER and role not in roles:
        return Response(f"The metrics need the {' or '.join(roles)} role.\n", 403, mimetype="text/plain")
    return Response(exposition(collect()), content_type=CONTENT_TYPE)
