"""`GET /metrics` (Prometheus text) for managers (bearer token or session) and METRICS_TOKEN's scraper: the
events waiting for central, how long ago the kiosk last pushed and pulled, its print queue. Never commits."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from sqlalchemy import func, select

from central_sync.protocol.metrics import Metric, answer
from kiosk.auth.services import caller_for_token
from kiosk.extensions import db
from kiosk.models import PRINT_STATUSES, PrintJob, utcnow
from kiosk.sync import state

bp = Blueprint("metrics", __name__)
READERS = ("manager",)


def collect(now: datetime | None = None) -> list[Metric]:
    now, status = now or utcnow(), state.status()
    ages = []
    for name, moment in (("push", state.LAST_PUSH), ("pull", state.LAST_PULL)):
        at = state.moment(moment)
        if at is not None:
            ages.append(Metric(f"kiosk_sync_last_{name}_age_seconds",
                               f"Seconds since central last took a {name} of this kiosk.")
                        .add(max(0.0, round((now - at).total_seconds(), 3))))
    jobs = dict(db.session.execute(select(PrintJob.status, func.count()).group_by(PrintJob.status)).all())
    printing = Metric("kiosk_print_jobs", "Receipts and Z reports in the print queue, by status.")
    for job_status in PRINT_STATUSES:
        printing.add(jobs.get(job_status, 0), status=job_status)
    return [Metric("kiosk_sync_enrolled", "1 when the kiosk is enrolled with central.").add(status["enrolled"]),
            Metric("kiosk_sync_pending_events", "Events waiting to be pushed to central.")
            .add(status["pending_events"]),
            *ages,
            Metric("kiosk_sync_failing", "1 when the last sync cycle failed (its error is on the sync page).")
            .add(status["last_error"] is not None),
            Metric("kiosk_sync_rejected_events", "Events central rejected (kept for review).")
            .add(status["rejected_events"]),
            printing]


@bp.get("/metrics")
def metrics_page():
    return answer(collect, READERS, caller_for_token)
