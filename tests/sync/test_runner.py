"""The kiosk's sync cycle and worker: batches, progress, backoff, and what it does with central's refusals."""
import random
import shutil
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from kiosk.database import reading
from kiosk.extensions import db
from kiosk.models import OutboxEvent
from kiosk.sync import runner, state
from kiosk.sync.client import Central, Refused
from kiosk.sync.outbox import record_event
from tests.conftest import kiosk_app
from tests.sync.harness import central_event_count, in_process


def queue(kiosk, count: int) -> None:
    """``count`` stock adjustments of CF-500 waiting in the outbox (cheap events central applies)."""
    with kiosk.app.app_context():
        for n in range(count):
            record_event("stock_adjustment", {"id": f"adj-{n}", "sku": "CF-500", "delta": 1, "reason": "count"})
        db.session.commit()


def test_full_jitter_backoff_stays_under_its_exponential_bound_and_the_ten_minute_cap():
    rng = random.Random(7)
    for failures in range(1, 40):
        bound = min(600.0, 2.0 * 2 ** failures)
        waits = [runner.backoff(failures, rng) for _ in range(200)]
        assert all(0 <= wait <= bound for wait in waits)
        assert max(waits) > bound * 0.8 and min(waits) < bound * 0.2  # spread over the whole range: jitter


def test_a_backlog_goes_in_batches_of_the_configured_size_with_progress(app, make_kiosk):
    sizes = []

    def counting(method, path, phase):
        if phase == "request" and path.startswith("/api/v1/sync/push"):
            sizes.append(path)

    kiosk = make_kiosk("K01", transport=in_process(app, fail=counting), SYNC_BATCH=40)
    queue(kiosk, 100)
    progress = []
    with kiosk.app.app_context():
        result = runner.sync_once(progress=progress.append)
    assert result["pushed"] == 100 and result["pending_events"] == 0
    assert progress == [40, 40, 20] and len(sizes) == 3
    assert central_event_count(app) == 100


def test_a_batch_too_large_for_central_is_halved(app, kiosk):
    queue(kiosk, 10)
    client_calls = []

    class Shrinking(Central):
        def push(self, events):
            client_calls.append(len(events))
            if len(events) > 3:
                raise Refused(413, "payload_too_large", "too large", {})
            return super().push(events)

    with kiosk.app.app_context():
        client = Shrinking("http://central.test", state.get(state.TOKEN), in_process(app))
        assert runner.push_all(client) == 10
    assert client_calls[:3] == [10, 5, 2] and sum(n for n in client_calls if n <= 3) == 10


def test_an_unknown_cursor_means_pulling_everything_again(app, kiosk):
    with kiosk.app.app_context():
        state.put(state.CURSOR, "bm90LWEtY3Vyc29y")
        db.session.commit()
    assert kiosk.sync()["pulled"] > 0  # the whole catalogue again, applied without harm
    assert kiosk.status()["last_error"] is None
    assert {p["sku"] for p in kiosk.vendor.get("/products").get_json()["products"]} == {"CF-500", "CF-250", "MO-250"}


def test_the_worker_waits_the_interval_when_all_is_well_and_backs_off_when_central_is_away(app, make_kiosk):
    down = {"on": False}

    def maybe_down(method, path, phase):
        if down["on"] and phase == "request":
            raise OSError("network is unreachable")

    kiosk = make_kiosk("K01", transport=in_process(app, fail=maybe_down), SYNC_INTERVAL=30.0)
    worker = runner.SyncWorker(kiosk.app, rng=random.Random(1))
    assert worker.run_once() == 30.0
    down["on"] = True
    waits = [worker.run_once() for _ in range(5)]
    assert all(0 <= wait <= min(600, 2.0 * 2 ** n) for n, wait in enumerate(waits, start=1))
    assert worker.failures == 5
    assert "network is unreachable" in kiosk.status()["last_error"]
    down["on"] = False
    assert worker.run_once() == 30.0 and worker.failures == 0
    assert kiosk.status()["last_error"] is None


def test_a_refusal_is_surfaced_and_retried_only_seldom(app, admin, kiosk):
    queue(kiosk, 2)
    assert admin.post(f"/devices/{kiosk.device_id}/revoke").status_code == 200
    worker = runner.SyncWorker(kiosk.app)
    assert worker.run_once() == runner.BACKOFF_CAP
    status = kiosk.status()
    assert status["pending_events"] == 2 and "401" in status["last_error"]
    answer = kiosk.vendor.post("/sync")
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "central_refused"


def test_central_unreachable_answers_503_and_loses_nothing(app, make_kiosk):
    def down(method, path, phase):
        raise OSError("connection refused")

    kiosk = make_kiosk("K01")
    queue(kiosk, 3)
    kiosk.app.config["SYNC_TRANSPORT"] = in_process(app, fail=down)
    answer = kiosk.vendor.post("/sync")
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "central_unreachable"
    assert kiosk.vendor.get("/sync/status").get_json()["pending_events"] == 3
    with kiosk.app.app_context():
        assert db.session.query(OutboxEvent).filter(OutboxEvent.acked_at.is_(None)).count() == 3


def test_a_kiosk_not_enrolled_says_so(tmp_path, migrated_kiosk_db):
    shutil.copy(migrated_kiosk_db, tmp_path / "kiosk.sqlite3")
    app = kiosk_app(tmp_path)
    with app.app_context():
        assert state.status()["enrolled"] is False
        with pytest.raises(runner.NotEnrolled):
            runner.sync_once()
        db.engine.dispose()


def test_the_worker_reads_its_queue_without_the_write_lock(app, kiosk):
    """While another connection holds the kiosk's write lock (a sale being written), a sync cycle with
    nothing to send reads, asks central and finds nothing to apply without waiting for it."""
    path = kiosk.app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    till = sqlite3.connect(path, isolation_level=None)
    till.execute("BEGIN IMMEDIATE")
    try:
        with kiosk.app.app_context():
            with reading():
                db.session.execute(text("PRAGMA busy_timeout=200"))  # a write would fail fast, not wait
                assert state.pending_events() == 0 and state.get(state.CURSOR)
                db.session.rollback()
            assert runner.push_all(runner.central()) == 0
            with pytest.raises(OperationalError, match="locked"):
                db.session.execute(text("SELECT 1"))  # outside `reading`: BEGIN IMMEDIATE waits, then fails
            db.session.rollback()
    finally:
        till.rollback()
        till.close()
