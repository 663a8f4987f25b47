"""`GET /metrics` at the kiosk: the events waiting for central, the age of the last push and pull, the print
queue, as the database holds them; for managers and METRICS_TOKEN's scraper."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from kiosk.auth import services as auth_services
from kiosk.extensions import db
from kiosk.models import OutboxEvent, PrintJob, utcnow
from kiosk.sync import state
from kiosk.sync.outbox import record_event
from tests.central_sync.test_metrics import METRICS_TOKEN, parse
from tests.kiosk.apitools import login
from tests.kiosk.pagetools import Browser

PASSWORD = "mat-khau-quan-ly"


@pytest.fixture
def users(app):
    with app.app_context():
        for role in ("vendor", "manager"):
            auth_services.create_user(role, PASSWORD, role)
        db.session.commit()


def test_the_metrics_are_what_the_database_holds(app, client, users):
    now = utcnow()
    with app.app_context():
        state.enrol("http://central.test", "device-token")
        state.put(state.LAST_PUSH, (now - timedelta(hours=2)).isoformat())
        state.put(state.LAST_PULL, (now - timedelta(minutes=30)).isoformat())
        state.record_error("central at http://central.test cannot be reached")
        seqs = [record_event("stock_adjustment", {"id": f"a{n}", "sku": "X", "delta": -1, "reason": "damaged"})
                for n in range(3)]
        db.session.execute(update(OutboxEvent).where(OutboxEvent.seq == seqs[0]).values(acked_at=now))
        db.session.add_all([PrintJob(kind="z_report", status=status) for status in ("queued", "queued", "failed")])
        db.session.commit()
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {login(client, 'manager', PASSWORD)}"})
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain; version=0.0.4")
    samples = parse(answer.get_data(as_text=True))
    assert (samples["kiosk_sync_enrolled", ()], samples["kiosk_sync_pending_events", ()]) == (1, 2)
    assert 7200 <= samples["kiosk_sync_last_push_age_seconds", ()] < 7200 + 60
    assert 1800 <= samples["kiosk_sync_last_pull_age_seconds", ()] < 1800 + 60
    assert (samples["kiosk_sync_failing", ()], samples["kiosk_sync_rejected_events", ()]) == (1, 0)
    jobs = {labels[0][1]: value for (name, labels), value in samples.items() if name == "kiosk_print_jobs"}
    assert jobs == {"queued": 2, "printing": 0, "printed": 0, "failed": 1, "cancelled": 0}


def test_a_kiosk_never_synced_has_no_ages(client, users):
    samples = parse(client.get("/metrics", headers={"Authorization": f"Bearer {login(client, 'manager', PASSWORD)}"})
                    .get_data(as_text=True))
    assert samples["kiosk_sync_enrolled", ()] == 0 and samples["kiosk_sync_failing", ()] == 0
    assert not any(name.startswith("kiosk_sync_last_") for name, _labels in samples)


def test_managers_and_the_metrics_token_may_read_the_metrics(app, client, users):
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and anonymous.mimetype == "text/plain"
    vendor = client.get("/metrics", headers={"Authorization": f"Bearer {login(client, 'vendor', PASSWORD)}"})
    assert vendor.status_code == 403 and "manager" in vendor.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 401
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    page = app.test_client()
    Browser(page).log_in("vendor", PASSWORD)
    assert page.get("/metrics").status_code == 403
    page = app.test_client()
    Browser(page).log_in("manager", PASSWORD)
    assert "kiosk_print_jobs" in page.get("/metrics").get_data(as_text=True)
