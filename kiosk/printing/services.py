"""The print queue: jobs are stored with the sale, sent by the worker, retried, visible. Never commits."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, select, update

from kiosk.errors import Conflict, NotFound
from kiosk.extensions import db
from kiosk.models import PrintJob, Sale, Shift, new_id, utcnow
from kiosk.printing import devices, document
from kiosk.printing.encode import Layout

MAX_RETRY_DELAY = 60  # seconds: a vendor who refills the paper should not wait long


def target() -> devices.PrinterTarget:
    return devices.parse_printer_url(current_app.config["PRINTER_URL"])


def layout() -> Layout:
    config = current_app.config
    return Layout(mode=config["PRINTER_MODE"], width_dots=384 if config["PRINTER_PAPER_MM"] == 58 else 576,
                  profile=config["PRINTER_PROFILE"], font_regular=config["RECEIPT_FONT"],
                  font_bold=config["RECEIPT_FONT_BOLD"])


_INSERT_JOB = insert(PrintJob.__table__)


def enqueue(kind: str, *, sale_id: str | None = None, shift_id: str | None = None, reprint: bool = False) -> str:
    """Queue a print in the caller's transaction and return its print_status: `queued`, or `disabled`
    when no printer is configured. Printing happens later, in the worker: it never holds up a sale."""
    if not target().enabled:
        return "disabled"
    now = utcnow()
    db.session.connection().execute(_INSERT_JOB, {
        "id": new_id(), "kind": kind, "sale_id": sale_id, "shift_id": shift_id, "reprint": reprint,
        "status": "queued", "attempts": 0, "created_at": now, "next_attempt_at": now})
    return "queued"


def reprint(sale: Sale) -> str:
    """Queue the sale's receipt again, marked as a reprint; its print_status (`queued`)."""
    status = enqueue("sale", sale_id=sale.id, reprint=True)
    if status == "disabled":
        raise Conflict("No printer is configured on this kiosk.", code="printer_disabled")
    return status


def print_status(sale_id: str) -> str:
    """The contract's print_status of a sale: its newest job's state, or `disabled`."""
    status = db.session.scalar(
        select(PrintJob.status).where(PrintJob.sale_id == sale_id).order_by(PrintJob.created_at.desc()).limit(1))
    if status is None:
        return "disabled"
    return "queued" if status == "printing" else status


def receipt_for(job: PrintJob) -> document.Receipt:
    shop = document.Shop.from_config(current_app.config)
    if job.kind == "z_report":
        shift = db.session.get(Shift, job.shift_id)
        return document.z_report_receipt(shift.z_report, shop, shift.opened_at, shift.closed_at,
                                         shift.closed_by.username if shift.closed_by else "")
    return document.sale_receipt(db.session.get(Sale, job.sale_id), shop, reprint=job.reprint)


def recent_jobs(limit: int = 100) -> list[PrintJob]:
    return db.session.scalars(select(PrintJob).order_by(PrintJob.created_at.desc()).limit(limit)).all()


def _job(job_id: str) -> PrintJob:
    job = db.session.get(PrintJob, job_id)
    if job is None:
        raise NotFound("No print job has this id.")
    return job


def retry(job_id: str) -> PrintJob:
    """Send a waiting, failed or cancelled job now (a printed one is reprinted instead)."""
    job = _job(job_id)
    if job.status == "printed":
        raise Conflict("This receipt was printed already; reprint it instead.", code="already_printed")
    if job.status != "printing":
        job.status, job.next_attempt_at, job.last_error = "queued", utcnow(), None
    return job


def cancel(job_id: str) -> PrintJob:
    job = _job(job_id)
    if job.status == "printed":
        raise Conflict("This receipt was printed already.", code="already_printed")
    job.status = "cancelled"
    return job


# The worker's side: each step runs in its own short transaction, committed by the worker.

def claim_next(now: datetime) -> PrintJob | None:
    """Take the oldest due job, so that no other worker sends it too."""
    job_id = db.session.scalar(
        select(PrintJob.id).where(PrintJob.status.in_(("queued", "failed")), PrintJob.next_attempt_at <= now)
        .order_by(PrintJob.created_at).limit(1))
    if job_id is None:
        return None
    claimed = db.session.execute(update(PrintJob).where(PrintJob.id == job_id,
                                                        PrintJob.status.in_(("queued", "failed")))
                                 .values(status="printing", attempts=PrintJob.attempts + 1))
    return db.session.get(PrintJob, job_id) if claimed.rowcount == 1 else None


def next_due() -> datetime | None:
    return db.session.scalar(select(PrintJob.next_attempt_at).where(PrintJob.status.in_(("queued", "failed")))
                             .order_by(PrintJob.next_attempt_at).limit(1))


def mark_printed(job: PrintJob, size: int) -> None:
    job.status, job.printed_at, job.bytes_sent, job.last_error = "printed", utcnow(), size, None


def mark_failed(job: PrintJob, error: str) -> None:
    delay = random.uniform(0, min(MAX_RETRY_DELAY, 2 ** job.attempts))  # full jitter
    job.status, job.last_error = "failed", error[:500]
    job.next_attempt_at = utcnow() + timedelta(seconds=delay)


def release_interrupted() -> None:
    """Jobs left `printing` by a process that died are retried (a receipt twice beats none)."""
    db.session.execute(update(PrintJob).where(PrintJob.status == "printing").values(status="failed"))
