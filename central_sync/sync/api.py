"""The sync API of the devices, authenticated by a device token (CONTRACT.md "Sync"):
POST /api/v1/sync/push (events up) and GET /api/v1/sync/pull (the catalogue and transfers down); a log line
for each (the device, what was handled, how long it took). And GET /api/v1/sync/stock, the location's stock
for a kiosk restored from an old backup (`flask --app kiosk sync --after-restore`)."""
import logging
import time
from collections import Counter

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from central_sync.auth.guards import device_required
from central_sync.extensions import db
from central_sync.protocol import DomainError, ValidationFailed, logs, parse_body
from central_sync.protocol.sync import MAX_EVENTS, MAX_PULL_LIMIT, PULL_LIMIT, PushIn, gunzipped, gzipped
from central_sync.sync import pull as pulling
from central_sync.sync import reported, services

bp = Blueprint("sync_api", __name__)
GZIP_FROM = 1024  # bytes: a pull's answer longer than this goes gzipped to a client that accepts it
log = logging.getLogger(__name__)


@bp.post("/sync/push")
@device_required
def push():
    body = parse_body(PushIn, gunzipped(request.get_data(cache=True), request.headers.get("Content-Encoding")))
    if len(body.events) > MAX_EVENTS:
        raise RequestEntityTooLarge(f"At most {MAX_EVENTS} events a request.")
    started = time.perf_counter()
    try:
        answer = services.push(g.device, body.events)
    except DomainError as refusal:  # nothing of the push is kept, but the health page shows the refusal
        db.session.rollback()
        reported.note_refusal(g.device, refusal.code, request.headers)
        db.session.commit()
        log.warning("sync push refused: %s", refusal.code, extra={
            **logs.caller(), **logs.request_fields(), "events": len(body.events), "code": refusal.code,
            "duration_ms": logs.elapsed_ms(started)})
        raise
    reported.note(g.device, request.headers)
    db.session.commit()
    counts = Counter(result["status"] for result in answer["results"])
    log.info("sync push: %s events, acked_seq %s", len(body.events), answer["acked_seq"], extra={
        **logs.caller(), **logs.request_fields(), "events": len(body.events), "applied": counts["applied"],
        "duplicate": counts["duplicate"], "rejected": counts["rejected"], "acked_seq": answer["acked_seq"],
        "duration_ms": logs.elapsed_ms(started)})
    return answer


@bp.get("/sync/pull")
@device_required
def pull():
    limit = request.args.get("limit", str(PULL_LIMIT))
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 4) or not 1 <= int(limit) <= MAX_PULL_LIMIT:
        raise ValidationFailed(f"limit is a whole number from 1 to {MAX_PULL_LIMIT}.", field="limit")
    started = time.perf_counter()
    page = pulling.pull(g.device, request.args.get("cursor") or None, int(limit))
    answer = jsonify(page)
    reported.note(g.device, request.headers)
    db.session.commit()
    log.info("sync pull: %s changes", len(page["changes"]), extra={
        **logs.caller(), **logs.request_fields(), "changes": len(page["changes"]), "has_more": page["has_more"],
        "full": not request.args.get("cursor"), "duration_ms": logs.elapsed_ms(started)})
    answer.vary.add("Accept-Encoding")
    if "gzip" in request.headers.get("Accept-Encoding", "") and answer.content_length > GZIP_FROM:
        answer.set_data(gzipped(answer.get_data()))
        answer.headers["Content-Encoding"] = "gzip"
    return answer


@bp.get("/sync/stock")
@device_required
def stock():
    answer = services.stock_of(g.device)
    db.session.commit()
    return answer
