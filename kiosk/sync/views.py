"""The sync's pages: the status badge every page shows, and the sync page with its "sync now" button.

The badge costs one small query, made only when a logged-in page renders (never on the API)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kiosk.auth.guards import page_login_required
from kiosk.extensions import db
from kiosk.models import OutboxEvent, Setting, utcnow
from kiosk.sync import runner, state
from kiosk.sync.client import Refused, Unreachable

log = logging.getLogger(__name__)
bp = Blueprint("sync", __name__, template_folder="templates")

STALE_AFTER_INTERVALS = 3  # no successful sync for this many intervals: offline, even without an error

STATES = {"online": _l("Online"), "offline": _l("Offline"), "not_enrolled": _l("Not enrolled")}
EVENT_TYPES = {"sale": _l("Sale"), "refund": _l("Refund"), "stock_adjustment": _l("Stock adjustment"),
               "transfer_receipt": _l("Transfer received"), "shift_closed": _l("Shift closed")}
REJECTION_REASONS = {
    "unknown_product": _l("Central does not know this product."),
    "unknown_sale": _l("Central does not have the sale this refers to."),
    "unknown_transfer": _l("Central does not know this transfer."),
    "unknown_type": _l("Central does not know this kind of event."),
    "invalid_payload": _l("Central could not read this event."),
    "sale_exists": _l("Central holds this sale already."),
    "refund_exists": _l("Central holds this refund already."),
}


def _setting(name: str):
    return select(Setting.value).where(Setting.name == name).scalar_subquery()


# The badge's one query: the events waiting to be sent and the settings it reads, in one statement.
_BADGE = select(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.acked_at.is_(None))
                .scalar_subquery(), _setting(state.TOKEN), _setting(state.CENTRAL_URL),
                _setting(state.LAST_PULL), _setting(state.LAST_ERROR))


@dataclass(frozen=True)
class Badge:
    state: str  # online, offline, not_enrolled
    pending: int
    last_sync_at: datetime | None  # the end of the last cycle that went through (its pull)
    last_error: str | None
    synced_today: bool

    @property
    def label(self) -> str:
        return str(STATES[self.state])


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def sync_state(enrolled: bool, last_sync_at: datetime | None, last_error: str | None) -> str:
    """Online while the last cycle went through within a few intervals; offline when it failed or is too old."""
    if not enrolled:
        return "not_enrolled"
    stale = timedelta(seconds=STALE_AFTER_INTERVALS * current_app.config["SYNC_INTERVAL"])
    if last_error or last_sync_at is None or utcnow() - last_sync_at > stale:
        return "offline"
    return "online"


def badge() -> Badge:
    pending, token, stored_url, last_pull, error = db.session.execute(_BADGE).one()
    enrolled = bool(token) and bool(current_app.config.get("CENTRAL_URL") or stored_url)
    last_sync_at = _moment(last_pull)
    message = error["message"] if error else None
    zone = get_timezone()
    today = last_sync_at is not None and last_sync_at.astimezone(zone).date() == utcnow().astimezone(zone).date()
    return Badge(sync_state(enrolled, last_sync_at, message), pending, last_sync_at, message, today)


@bp.app_context_processor
def sync_badge_provider() -> dict:
    """`sync_badge()` for the layout: called (and queried) only where a logged-in page shows the badge."""
    return {"sync_badge": badge}


def _rejected_events() -> list[dict]:
    """The events central kept for review, newest first, with their type and time when still held here."""
    rejected = state.get(state.REJECTED, [])[::-1]
    if not rejected:
        return []
    held = {seq: {"type": type_, "occurred_at": occurred_at} for seq, type_, occurred_at in db.session.execute(
        select(OutboxEvent.seq, OutboxEvent.type, OutboxEvent.occurred_at)
        .where(OutboxEvent.seq.in_([event["seq"] for event in rejected])))}
    return [{"type": None, "occurred_at": None, **held.get(event["seq"], {}), **event} for event in rejected]


@bp.get("/sync")
@page_login_required("vendor", "manager")
def sync():
    status = state.status()
    moments = {name: _moment(status[name]) for name in ("last_push_at", "last_pull_at", "last_error_at")}
    worker = current_app.extensions.get("sync_worker")
    return render_template("sync/sync.html", badge=badge(), status=status, moments=moments,
                           rejected=_rejected_events(), worker_running=worker is not None and worker.is_alive(),
                           event_types=EVENT_TYPES, reasons=REJECTION_REASONS)


@bp.post("/sync")
@page_login_required("vendor", "manager")
def sync_now():
    """Push, then pull, now (the sync commits as it goes); the outcome is flashed, never a server error."""
    try:
        result = runner.sync_once()
    except runner.NotEnrolled:
        flash(_("This kiosk is not enrolled with the central server yet: nothing can be synced. "
                "Sales are kept here."), "error")
    except Unreachable:
        flash(_("The central server cannot be reached now. Nothing is lost: sales are kept here and the kiosk "
                "tries again by itself."), "error")
    except Refused as refusal:
        if refusal.code == "seq_conflict":
            flash(_("The central server holds events this kiosk no longer has: its database was restored from an "
                    "older backup. Sales are kept here. A manager runs “flask --app kiosk sync --after-restore” "
                    "(README, “Backups and restore”)."), "error")
        else:
            flash(_("The central server refused the sync (%(code)s). Nothing is lost; tell the central office.",
                    code=refusal.code), "error")
    except Exception:  # a bug must not show the vendor a server error: the worker tries again later
        log.exception("sync now failed")
        db.session.rollback()
        flash(_("The sync failed. Nothing is lost: the kiosk tries again by itself."), "error")
    else:
        worker = current_app.extensions.get("sync_worker")
        if worker is not None and worker.failures:
            worker.wake.set()  # central is back: the worker leaves its backoff now
        flash(_("Synced: %(pushed)d sent, %(pulled)d received, %(pending)d waiting.", pushed=result["pushed"],
                pulled=result["pulled"], pending=result["pending_events"]), "success")
    return redirect(url_for("sync.sync"))
