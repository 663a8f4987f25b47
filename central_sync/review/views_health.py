"""Kiosk health and alerts, for admins and reviewers: every sale point's sync at a glance, what needs
attention (each alert links to its detail), a rejected event as it arrived; the tables as CSV and Excel."""
import json
from datetime import datetime

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from central_sync import ui
from central_sync.models import ALERT_KINDS
from central_sync.protocol import local_time
from central_sync.reports import alerts as alerting
from central_sync.review import health
from central_sync.review.export import FORMATS, send_table

bp = Blueprint("review_health", __name__, url_prefix="/review", template_folder="templates")

REVIEWERS = ("admin", "reviewer")
KINDS = {
    "oversell": _l("Oversold"), "low_stock": _l("Low stock"), "certificate_expiring": _l("Certificate expiring"),
    "transfer_discrepancy": _l("Transfer discrepancy"), "kiosk_silent": _l("Silent kiosk"),
    "rejected_event": _l("Rejected event"), "outdated_price": _l("Outdated price"),
}
ERROR_SOURCES = {"kiosk": _l("Kiosk"), "refused": _l("Push refused"), "rejected": _l("Event rejected")}
REFUSALS = {
    "seq_gap": _l("central lost events it had acknowledged; the kiosk sends them again"),
    "seq_conflict": _l("the kiosk reuses event numbers (restored from an old backup?)"),
    "idempotency_conflict": _l("an event was sent again with another content"),
}


def _health_rows():
    return health.kiosks()


@bp.get("/kiosks")
@ui.page_login_required(*REVIEWERS)
def health_page():
    rows = _health_rows()
    return render_template("review/health.html", rows=rows, summary=health.summary(rows), sources=ERROR_SOURCES,
                           refusals=REFUSALS)


@bp.get("/kiosks/export.<fmt>")
@ui.page_login_required(*REVIEWERS)
def health_export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    header = [_("Code"), _("Sale point"), _("District"), _("Device"), _("Last sync"), _("Last seq"),
              _("Events waiting"), _("Reported"), _("Last error"), _("Rejected events"), _("Silent")]
    return send_table(fmt, "tinh-trang-ki-ot", header, [_health_cells(row) for row in _health_rows()],
                      sheet=_("Kiosks"))


def _health_cells(row: health.KioskHealth) -> list:
    device = row.device
    return [row.location.code, row.location.name, row.location.district, device.id if device else None,
            local_time(device.last_sync_at) if device else None, device.last_seq if device else None,
            device.reported_pending if device else None, local_time(device.reported_at) if device else None,
            "; ".join(f"{ERROR_SOURCES[source]}: {message}" for source, message, _when in row.errors) or None,
            row.rejected_count,
            _("yes") if row.silent else ""]


def _alert_filters() -> tuple[str | None, str | None]:
    kind = request.args.get("kind") if request.args.get("kind") in ALERT_KINDS else None
    location = (request.args.get("location") or "").strip()[:16] or None
    return kind, location


def _alerts(kind, location) -> list[dict]:
    config = current_app.config
    return alerting.alerts(config["CERTIFICATE_WARNING_DAYS"], config["LOW_STOCK_THRESHOLD"], kind=kind,
                           location=location)


def detail_url(alert: dict) -> str | None:
    """The page that shows what an alert is about."""
    kind, ref, sku, location = alert["kind"], alert["ref"], alert["sku"], alert["location"]
    if kind == "transfer_discrepancy" and ref:
        return url_for("stock_views.transfer", transfer_id=ref)
    if kind == "rejected_event" and ref:
        return url_for("review_health.alerts_event", event_id=ref)
    if kind == "kiosk_silent" and location:
        return url_for("review_health.health_page", _anchor=f"kiosk-{location}")
    if kind == "low_stock" and location:
        return url_for("stock_views.location_stock", code=location)
    return url_for("catalog_views.product", sku=sku) if sku else None


@bp.get("/alerts")
@ui.page_login_required(*REVIEWERS)
def alerts_page():
    kind, location = _alert_filters()
    found = _alerts(kind, location)
    counts = {code: 0 for code in ALERT_KINDS}
    for alert in found:
        counts[alert["kind"]] = counts.get(alert["kind"], 0) + 1
    rows = [(alert, datetime.fromisoformat(alert["created_at"]), detail_url(alert)) for alert in found]
    return render_template("review/alerts.html", rows=rows, kind=kind, location=location, kinds=KINDS,
                           counts=counts, locations=health.selling_locations())


@bp.get("/alerts/export.<fmt>")
@ui.page_login_required(*REVIEWERS)
def alerts_export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    header = [_("Time"), _("Kind"), _("Location"), _("SKU"), _("Concerns"), _("Message")]
    rows = [[local_time(datetime.fromisoformat(alert["created_at"])), str(KINDS.get(alert["kind"], alert["kind"])),
             alert["location"], alert["sku"], alert["ref"], alert["message"]] for alert in _alerts(*_alert_filters())]
    return send_table(fmt, "canh-bao", header, rows, sheet=_("Alerts"))


@bp.get("/alerts/events/<event_id>")
@ui.page_login_required(*REVIEWERS)
def alerts_event(event_id: str):
    event, location = ui.or_404(lambda: health.rejected_event(event_id))
    payload = json.dumps(event.payload, ensure_ascii=False, indent=2, sort_keys=True)
    return render_template("review/alerts_event.html", event=event, location=location, payload=payload)
