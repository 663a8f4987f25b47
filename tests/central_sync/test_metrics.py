"""`GET /metrics` at central: each kiosk's sync lag, last seq, backlog, rejected events and refused push as the
database holds them, the totals, and who may read them."""
import re
from datetime import timedelta

import pytest

from central_sync.extensions import db
from central_sync.models import Alert, Device, SyncEvent, utcnow
from central_sync.protocol.metrics import Metric, exposition
from tests.central_sync.conftest import PASSWORD
from tests.kiosk.pagetools import Browser

SAMPLE = re.compile(r'([a-z_]+)(?:\{(.*)\})? (\S+)')
METRICS_TOKEN = "metrics-scraper-token-0123456789"


def parse(text: str) -> dict:
    """{(name, ((label, value), ...)): value} of an exposition's samples."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        name, labels, value = SAMPLE.fullmatch(line).groups()
        samples[name, tuple(re.findall(r'(\w+)="([^"]*)"', labels or ""))] = float(value)
    return samples


def make_device(admin, location: str) -> int:
    made = admin.post("/devices", json={"location": location})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["device_id"]


def event(device: Device, seq: int, status: str) -> SyncEvent:
    return SyncEvent(id=f"00000000-0000-4000-8000-{device.id:06d}{seq:06d}", device_id=device.id,
                     location_id=device.location_id, seq=seq, type="stock_adjustment", occurred_at=utcnow(),
                     payload={}, fingerprint="0" * 64, status=status, code="unknown_product" if status == "rejected"
                     else None)


@pytest.fixture
def network(app, admin):
    """K01 synced 2 hours ago (seq 3, one event rejected, 7 waiting, a refused push); K02 made 3 hours ago and
    never synced; the cluster CL1 without a device; two stored oversell alerts."""
    k01, k02 = make_device(admin, "K01"), make_device(admin, "K02")
    now = utcnow()
    with app.app_context():
        first, second = db.session.get(Device, k01), db.session.get(Device, k02)
        first.last_sync_at, first.last_seq, first.reported_pending = now - timedelta(hours=2), 3, 7
        first.refused_code, first.refused_at = "seq_conflict", now - timedelta(hours=1)
        second.created_at = now - timedelta(hours=3)
        db.session.add_all([event(first, 1, "applied"), event(first, 2, "rejected"), event(first, 3, "applied")])
        db.session.add_all([Alert(kind="oversell", location_id=first.location_id, sku="CF-500", message="oversold")
                            for _ in range(2)])
        db.session.commit()
        return {"K01": str(k01), "K02": str(k02), "refused_at": first.refused_at.timestamp()}


def test_the_metrics_are_what_the_database_holds(client, reviewer, network):
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {reviewer.token}"})
    assert answer.status_code == 200 and answer.content_type == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(answer.get_data(as_text=True))
    k01, k02 = (("location", "K01"), ("device", network["K01"])), (("location", "K02"), ("device", network["K02"]))
    assert 7200 <= samples["central_kiosk_sync_lag_seconds", k01] < 7200 + 60
    assert 3 * 3600 <= samples["central_kiosk_sync_lag_seconds", k02] < 3 * 3600 + 60  # never synced: since made
    assert (samples["central_kiosk_last_seq", k01], samples["central_kiosk_last_seq", k02]) == (3, 0)
    assert samples["central_kiosk_events_waiting", k01] == 7 and ("central_kiosk_events_waiting", k02) not in samples
    assert (samples["central_kiosk_rejected_events", k01], samples["central_kiosk_rejected_events", k02]) == (1, 0)
    refused = samples["central_kiosk_push_refused_timestamp_seconds", k01 + (("code", "seq_conflict"),)]
    assert refused == pytest.approx(network["refused_at"], abs=0.01)
    assert (samples["central_kiosk_silent", k01], samples["central_kiosk_silent", k02]) == (0, 1)
    assert samples["central_sale_points_without_device", ()] == 1  # the cluster CL1
    assert samples["central_sync_events", (("status", "applied"),)] == 2
    assert samples["central_sync_events", (("status", "rejected"),)] == 1
    assert samples["central_alerts", (("kind", "oversell"),)] == 2
    assert samples["central_alerts", (("kind", "kiosk_silent"),)] == 1  # K02
    assert samples["central_alerts", (("kind", "transfer_discrepancy"),)] == 0


def test_admins_and_reviewers_and_the_metrics_token_may_read_the_metrics(app, client, admin, world):
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.mimetype == "text/plain" and "central_kiosk" not in anonymous.get_data(as_text=True)
    device_token = admin.post("/devices", json={"location": "K01"}).get_json()["token"]
    for header in (f"Bearer {device_token}", "Bearer wrong", f"Basic {admin.token}", "Bearer "):
        assert client.get("/metrics", headers={"Authorization": header}).status_code == 401, header
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 401  # unset
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"Bearer {admin.token}"}).status_code == 200
    page = app.test_client()
    Browser(page).log_in("reviewer", PASSWORD)
    assert "central_kiosk_sync_lag_seconds" in page.get("/metrics").get_data(as_text=True)
    assert page.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401  # a token wins


def test_the_exposition_escapes_label_values_and_help():
    metric = Metric("x_total", "A \\ help", "counter").add(2, location='K"1\\\n').add(0.5)
    assert exposition([metric]) == ('# HELP x_total A \\\\ help\n# TYPE x_total counter\n'
                                    'x_total{location="K\\"1\\\\\\n"} 2\nx_total 0.5\n')
