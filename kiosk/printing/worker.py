"""The print worker: a thread in the kiosk process that sends queued jobs, so printing never holds up a sale."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask

from kiosk.extensions import db
from kiosk.models import utcnow
from kiosk.printing import devices, services
from kiosk.printing.encode import encode

log = logging.getLogger(__name__)
IDLE_WAIT = 5.0


def send_job(app: Flask, job) -> None:
    """Render one claimed job and hand it to the printer; record the outcome."""
    target = services.target()
    layout = services.layout()
    receipt = services.receipt_for(job)
    image = layout.render(receipt) if layout.mode == "image" or target.kind == "preview" else None
    data = encode(receipt, layout, image)
    try:
        if target.kind == "preview":
            devices.write_preview(Path(app.instance_path) / "receipts", job.id, data, image)
        else:
            devices.send(target, data, profile=layout.profile, timeout=app.config["PRINTER_TIMEOUT"],
                         status_timeout=app.config["PRINTER_STATUS_TIMEOUT"])
    except (devices.PrinterError, OSError) as error:
        log.warning("print job %s failed (attempt %s): %s", job.id, job.attempts, error)
        services.mark_failed(job, str(error))
    else:
        services.mark_printed(job, len(data))


def process_due(app: Flask) -> int:
    """Send every job that is due now; returns how many were tried. Used by the worker and by tests."""
    tried = 0
    with app.app_context():
        while (job := services.claim_next(utcnow())) is not None:
            db.session.commit()  # the claim is visible before the slow part
            try:
                send_job(app, job)
            except Exception as error:  # a bug in rendering must not kill the worker or lose the job
                log.exception("print job %s could not be rendered", job.id)
                services.mark_failed(job, f"{type(error).__name__}: {error}")
            db.session.commit()
            tried += 1
    return tried


class PrintWorker(threading.Thread):
    def __init__(self, app: Flask):
        super().__init__(name="print-worker", daemon=True)
        self.app = app
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            services.release_interrupted()
            db.session.commit()
        while not self.stopping.is_set():
            try:
                process_due(self.app)
                with self.app.app_context():
                    due = services.next_due()
                wait = IDLE_WAIT if due is None else max(0.05, min(IDLE_WAIT, (due - utcnow()).total_seconds()))
            except Exception:
                log.exception("print worker loop failed; retrying")
                wait = IDLE_WAIT
            self.wake.wait(wait)
            self.wake.clear()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout)


def notify(app: Flask) -> None:
    """Wake the worker after a commit that queued a job (no-op when no worker runs, as in the CLI)."""
    worker = app.extensions.get("print_worker")
    if worker is not None:
        worker.wake.set()


def start(app: Flask) -> PrintWorker:
    worker = PrintWorker(app)
    app.extensions["print_worker"] = worker
    worker.start()
    return worker
