"""What `GET /metrics` reports of the sync: per sale point's device, its lag (seconds since its last push or
pull), last seq, the events it says are waiting, its rejected events and last refused push; in total, the
events by status and the alerts by kind. Read from the kiosk health page's queries. Never commits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import ALERT_KINDS, Alert, SyncEvent, utcnow
from central_sync.protocol.metrics import Metric
from central_sync.reports import alerts as alerting
from central_sync.review import health


def collect(warning_days: int, low_stock_below: int, now: datetime | None = None) -> list[Metric]:
    now = now or utcnow()
    rows = health.kiosks(now)
    lag = Metric("central_kiosk_sync_lag_seconds",
                 "Seconds since the kiosk's device last pushed or pulled (since it was made, if it never has).")
    last_seq = Metric("central_kiosk_last_seq", "The device's last event handled (its events received so far).")
    waiting = Metric("central_kiosk_events_waiting",
                     "Events waiting on the kiosk, as it reported them with its last push or pull.")
    rejected = Metric("central_kiosk_rejected_events", "The device's events central rejected (kept for review).")
    refused = Metric("central_kiosk_push_refused_timestamp_seconds",
                     "When central last refused a push of the device (Unix time), labelled with the refusal's code.")
    silent = Metric("central_kiosk_silent", "1 when the device has not synced for more than a day (or never).")
    for row in rows:
        device = row.device
        if device is None:
            continue
        labels = {"location": row.location.code, "device": device.id}
        lag.add(max(0.0, round((now - (device.last_sync_at or device.created_at)).total_seconds(), 3)), **labels)
        last_seq.add(device.last_seq, **labels)
        if device.reported_pending is not None:
            waiting.add(device.reported_pending, **labels)
        rejected.add(row.rejected_count, **labels)
        if device.refused_at is not None:
            refused.add(device.refused_at.timestamp(), **labels, code=device.refused_code)
        silent.add(row.silent, **labels)
    without = Metric("central_sale_points_without_device", "Sale points with no active device.")
    without.add(sum(row.device is None for row in rows))
    return [lag, last_seq, waiting, rejected, refused, silent, without, _events(),
            _alerts(warning_days, low_stock_below)]


def _events() -> Metric:
    counts = dict(db.session.execute(select(SyncEvent.status, func.count()).group_by(SyncEvent.status)).all())
    metric = Metric("central_sync_events", "Events received from the kiosks, by status.")
    for status in ("applied", "rejected"):
        metric.add(counts.get(status, 0), status=status)
    return metric


def _alerts(warning_days: int, low_stock_below: int) -> Metric:
    """As the alerts page lists them: the stored ones (they stay), and the computed ones as they are now."""
    counts = dict(db.session.execute(select(Alert.kind, func.count()).group_by(Alert.kind)).all())
    for kind in alerting.COMPUTED:
        counts[kind] = len(alerting.alerts(warning_days, low_stock_below, kind=kind))
    metric = Metric("central_alerts", "Alerts on the alerts page, by kind.")
    for kind in ALERT_KINDS:
        metric.add(counts.get(kind, 0), kind=kind)
    return metric
