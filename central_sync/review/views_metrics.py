"""`GET /metrics` (Prometheus text) for admins and reviewers (bearer token or session) and METRICS_TOKEN's
scraper: the kiosks' sync lag and backlog, events and alerts (review/metrics.py)."""
from flask import Blueprint, current_app

from central_sync.auth.services import user_for_token
from central_sync.protocol.metrics import answer
from central_sync.review import metrics

bp = Blueprint("review_metrics", __name__)
READERS = ("admin", "reviewer")


@bp.get("/metrics")
def metrics_page():
    config = current_app.config
    return answer(lambda: metrics.collect(config["CERTIFICATE_WARNING_DAYS"], config["LOW_STOCK_THRESHOLD"]),
                  READERS, user_for_token)
