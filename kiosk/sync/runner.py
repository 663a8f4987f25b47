"""The sync cycle (push, then pull) and the thread that runs it every SYNC_INTERVAL seconds while the kiosk
runs, backing off (full jitter, up to 10 minutes) while central cannot be reached.

This is where the sync commits: after each batch central has answered, so a crash loses no more than the
batch in flight (which central then answers as duplicates). No transaction is open while a request to central
is on its way: the till never waits for the network."""
from __future__ import annotations

import logging
import random
import threading
import time
from typing import Callable

from flask import Flask, current_app

from central_sync.protocol import logs
from kiosk.database import reading
from kiosk.errors import Conflict
from kiosk.extensions import db
from kiosk.sync import pull, push, state
from kiosk.sync.client import Central, CentralError, Refused, urllib_transport

log = logging.getLogger(__name__)
BACKOFF_BASE, BACKOFF_CAP = 2.0, 600.0  # seconds
MAX_RESENDS = 3  # seq gaps answered by resending, in one cycle


class NotEnrolled(Conflict):
    code = "not_enrolled"


def backoff(failures: int, rng: random.Random = random) -> float:
    """Full jitter: a random wait up to the exponential bound, capped (AWS architecture blog's "full jitter")."""
    return rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(failures, 30)))


def central() -> Central:
    """A client for the central this kiosk is enrolled with."""
    with reading():
        url, token = state.central_url(), state.get(state.TOKEN)
        db.session.rollback()  # no transaction stays open while central is asked
    if not url or not token:
        raise NotEnrolled("This kiosk is not enrolled: run `flask --app kiosk enroll CENTRAL_URL TOKEN`.")
    return Central(url, token, current_app.config.get("SYNC_TRANSPORT") or urllib_transport,
                   current_app.config["SYNC_TIMEOUT"])


def push_all(client: Central, progress: Callable[[int], None] | None = None) -> int:
    """Push every pending event, a batch at a time; returns how many central acknowledged."""
    pushed, resends, batch_size = 0, 0, min(current_app.config["SYNC_BATCH"], 500)
    while True:
        with reading():
            events = push.next_batch(batch_size)
            _report(client)
            db.session.rollback()
        if not events:
            return pushed
        started = time.perf_counter()
        try:
            answer = client.push(events)
        except Refused as refusal:
            if refusal.code == "seq_gap" and resends < MAX_RESENDS and _resend(refusal, events[0]["seq"]):
                resends += 1
                continue
            if refusal.status == 413 and len(events) > 1:
                batch_size = len(events) // 2
                continue
            raise
        acked = push.record_answer(answer)
        state.mark(state.LAST_PUSH)
        db.session.commit()
        log.info("pushed %s events, central acknowledged up to seq %s", len(events), answer["acked_seq"], extra={
            "events": len(events), "first_seq": events[0]["seq"], "last_seq": events[-1]["seq"], "acked": acked,
            "acked_seq": answer["acked_seq"], "duration_ms": logs.elapsed_ms(started),
            "central_request_id": client.request_id})
        pushed += acked
        if progress:
            progress(acked)
        if int(answer["acked_seq"]) < events[0]["seq"]:  # central acknowledged nothing of the batch: do not loop
            raise Refused(200, "nothing_acknowledged", "central acknowledged none of the events", {})


def _resend(refusal: Refused, first_sent: int) -> bool:
    expected = refusal.error.get("expected_seq")
    if not isinstance(expected, int) or expected >= first_sent or not push.resend_from(expected):
        return False
    db.session.commit()
    log.warning("central expects seq %s (it lost events it had acknowledged): sending again from there", expected)
    return True


def _report(client: Central) -> None:
    """Tell central, with the next request, the events waiting here and the last error (its health page)."""
    error = state.get(state.LAST_ERROR)
    client.report(state.pending_events(), error["message"] if error else None)


def pull_all(client: Central, limit: int = 500) -> int:
    """Pull and apply pages of changes until central has no more; returns how many changes were applied."""
    pulled, reset = 0, False
    while True:
        with reading():
            cursor = state.get(state.CURSOR)
            _report(client)
            db.session.rollback()
        started = time.perf_counter()
        try:
            answer = client.pull(cursor, limit)
        except Refused as refusal:
            if refusal.code == "reset_required" and not reset:
                state.put(state.CURSOR, None)
                db.session.commit()
                reset = True
                continue
            raise
        applied = pull.apply(answer["changes"])
        state.put(state.CURSOR, answer["cursor"])
        state.mark(state.LAST_PULL)
        db.session.commit()
        log.info("pulled %s changes", len(answer["changes"]), extra={
            "changes": len(answer["changes"]), "applied": applied, "has_more": bool(answer.get("has_more")),
            "full": cursor is None, "duration_ms": logs.elapsed_ms(started), "central_request_id": client.request_id})
        pulled += applied
        if not answer.get("has_more"):
            return pulled


def sync_once(progress: Callable[[int], None] | None = None) -> dict:
    """One cycle: due prices, push, then pull. Central's refusal or absence is recorded and raised."""
    lock = current_app.extensions.setdefault("sync_lock", threading.Lock())
    with lock:
        with reading():
            due = pull.prices_due()
            db.session.rollback()
        if due:
            pull.apply_due_prices()
            db.session.commit()
        client = central()
        try:
            pushed = push_all(client, progress)
            pulled = pull_all(client)
        except CentralError as error:
            db.session.rollback()
            state.record_error(str(error))
            db.session.commit()
            raise
        state.record_error(None)
        pending = state.pending_events()
        db.session.commit()
        return {"pushed": pushed, "pulled": pulled, "pending_events": pending}


class SyncWorker(threading.Thread):
    """Runs a sync cycle every SYNC_INTERVAL seconds; `wake` runs one now (the "sync now" button)."""

    def __init__(self, app: Flask, rng: random.Random | None = None):
        super().__init__(name="sync-worker", daemon=True)
        self.app, self.rng = app, rng or random.Random()
        self.wake, self.stopping = threading.Event(), threading.Event()
        self.failures = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(self.run_once())
            self.wake.clear()

    def run_once(self) -> float:
        """One cycle; the seconds to wait before the next."""
        with self.app.app_context():
            try:
                with reading():
                    enrolled = state.enrolled()
                    db.session.rollback()
                if not enrolled:
                    return self.app.config["SYNC_INTERVAL"]
                sync_once()
            except Refused as refusal:  # surfaced (status, badge); retried seldom, not blindly
                self.failures += 1
                log.warning("central refused the sync: %s", refusal)
                return BACKOFF_CAP
            except (CentralError, NotEnrolled) as error:
                self.failures += 1
                log.warning("sync failed (%s in a row): %s", self.failures, error)
                return backoff(self.failures, self.rng)
            except Exception:  # a bug must not stop the sync for good
                log.exception("sync cycle failed")
                db.session.rollback()
                self.failures += 1
                return backoff(self.failures, self.rng)
            finally:
                db.session.remove()
        self.failures = 0
        return self.app.config["SYNC_INTERVAL"]

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout)


def start(app: Flask) -> SyncWorker:
    worker = SyncWorker(app)
    app.extensions["sync_worker"] = worker
    worker.start()
    return worker
