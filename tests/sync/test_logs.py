"""Both apps' structured logs: a line per request and per sync batch, the traceback of a 5xx once with its request
id, and no password, token, cookie or CSRF token in anything logged."""
import json
import logging
import re

import pytest
from sqlalchemy import text

from central_sync.extensions import db
from central_sync.protocol.logs import JsonFormatter
from central_sync.review import metrics as central_metrics
from kiosk.auth import services as kiosk_auth
from kiosk.cli import enroll, sync
from kiosk.extensions import db as kiosk_db
from kiosk.sync.outbox import record_event
from tests.central_sync.conftest import PASSWORD, log_in
from tests.kiosk.apitools import Api, login
from tests.kiosk.pagetools import Browser, find_form, form_fields
from tests.sync.harness import serving
from tests.sync.test_sync_cli import device_token, new_kiosk

KIOSK_PASSWORD = "mat-khau-kiosk-bi-mat"


def lines(caplog) -> list[dict]:
    """Every record captured, as the apps write it in production (one JSON object per line)."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


def request_lines(caplog, app_name: str) -> list[dict]:
    return [line for line in lines(caplog) if line["logger"] == f"{app_name}.request"]


def form_login(client, username: str, password: str) -> str:
    """Log in through the login form like a browser; the CSRF token the form carried."""
    csrf = form_fields(find_form(client.get("/login").get_data(as_text=True)))["csrf_token"]
    assert Browser(client).log_in(username, password).status_code == 302
    return csrf


def test_no_password_token_cookie_or_csrf_token_is_logged(app, admin, tmp_path, migrated_kiosk_db, caplog,
                                                          monkeypatch):
    caplog.set_level(logging.DEBUG)
    secrets = {"central password": PASSWORD, "kiosk password": KIOSK_PASSWORD, "admin's API token": admin.token}
    central = app.test_client()
    secrets["central CSRF token"] = form_login(central, "reviewer", PASSWORD)
    secrets["central session cookie"] = central.get_cookie("central_session").value
    secrets["reviewer's API token"] = reviewer_token = log_in(app.test_client(), "reviewer")
    secrets["device token"] = token = device_token(admin)

    with serving(app) as url:
        kiosk = new_kiosk(tmp_path / "k", migrated_kiosk_db, CENTRAL_URL=url)
        enrolled = kiosk.test_cli_runner().invoke(enroll, [url, token])
        assert enrolled.exit_code == 0, enrolled.output
        with kiosk.app_context():
            kiosk_auth.create_user("quanly", KIOSK_PASSWORD, "manager")
            kiosk_db.session.commit()
        till = kiosk.test_client()
        secrets["kiosk CSRF token"] = form_login(till, "quanly", KIOSK_PASSWORD)
        secrets["kiosk session cookie"] = till.get_cookie("kiosk_session").value
        secrets["kiosk API token"] = kiosk_token = login(kiosk.test_client(), "quanly", KIOSK_PASSWORD)
        manager = Api(kiosk.test_client(), kiosk_token)
        assert manager.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
        sale = manager.post("/sales", json={"lines": [{"sku": "CF-500", "qty": 1}],
                                            "payments": [{"method": "cash", "amount_vnd": 145_000}]})
        assert sale.status_code == 201, sale.get_json()
        synced = kiosk.test_cli_runner().invoke(sync, [])
        assert synced.exit_code == 0 and "Pushed 1 events" in synced.output, synced.output

    # Failing requests that carry every kind of secret: in the query, the Authorization header, a cookie.
    assert central.get(f"/api/v1/sync/pull?token={token}", headers={"Authorization": "Bearer wrong"}).status_code == 401
    monkeypatch.setattr(central_metrics, "collect", lambda *args: db.session.execute(  # a statement that fails
        text("SELECT no_such_column FROM devices WHERE token_hash = :token"), {"token": token}))
    broken = central.get(f"/metrics?token={token}&password={PASSWORD}", headers={
        "Authorization": f"Bearer {reviewer_token}", "X-CSRFToken": secrets["central CSRF token"]})
    assert broken.status_code == 500
    refused = till.get(f"/api/v1/sync/status?token={kiosk_token}", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401

    written = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines(caplog)) + caplog.text
    assert "sync push" in written and "no_such_column" in written  # the capture did see the sync and the 5xx
    leaked = [name for name, secret in secrets.items() if secret and secret in written]
    assert leaked == [], f"{leaked} found in the log"
    werkzeug_access = [r for r in caplog.records if r.name == "werkzeug" and r.levelno == logging.INFO]
    assert werkzeug_access == []  # the server's own access lines would repeat each request line, query included


def test_each_request_is_one_line_with_method_path_status_duration_and_caller(app, admin, caplog):
    caplog.set_level(logging.INFO)
    client = app.test_client()
    answer = client.get("/api/v1/locations?location=K01", headers={"Authorization": f"Bearer {admin.token}",
                                                                   "X-Request-Id": "from-the-caller-1"})
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == "from-the-caller-1"
    refused = client.post("/api/v1/login", json={"username": "admin", "password": "wrong"})
    assert refused.status_code == 401
    found = request_lines(caplog, "central_sync")
    assert len(found) == 2
    ok, bad = found
    assert {k: ok[k] for k in ("level", "app", "method", "path", "status", "bytes", "user", "role", "request_id")} == {
        "level": "INFO", "app": "central_sync", "method": "GET", "path": "/api/v1/locations", "status": 200,
        "bytes": len(answer.get_data()), "user": "admin", "role": "admin", "request_id": "from-the-caller-1"}
    assert isinstance(ok["duration_ms"], float) and ok["duration_ms"] >= 0
    assert ok["msg"] == f"GET /api/v1/locations 200 {ok['duration_ms']}ms"
    assert (bad["method"], bad["path"], bad["status"], "user" in bad) == ("POST", "/api/v1/login", 401, False)
    assert re.fullmatch(r"[0-9a-f]{32}", bad["request_id"]) and bad["request_id"] == refused.headers["X-Request-Id"]
    assert client.get("/healthz", headers={"X-Request-Id": "bad id {}"}).headers["X-Request-Id"] != "bad id {}"


def test_a_5xx_logs_its_traceback_once_with_the_request_id(app, reviewer, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(central_metrics, "collect", lambda *args: 1 / 0)
    answer = reviewer.client.get("/metrics", headers={"Authorization": f"Bearer {reviewer.token}"})
    assert answer.status_code == 500
    request_id = answer.headers["X-Request-Id"]
    tracebacks = [line for line in lines(caplog) if "exc" in line]
    assert len(tracebacks) == 1 and "ZeroDivisionError" in tracebacks[0]["exc"]
    assert tracebacks[0]["request_id"] == request_id and tracebacks[0]["level"] == "ERROR"
    (line,) = request_lines(caplog, "central_sync")
    assert (line["status"], line["level"], line["request_id"], "exc" in line) == (500, "ERROR", request_id, False)


def test_a_sync_logs_a_line_per_batch_on_both_sides(app, admin, kiosk, caplog):
    assert kiosk.vendor.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
    assert kiosk.vendor.post("/sales", json={"lines": [{"sku": "CF-250", "qty": 1}], "payments": [
        {"method": "cash", "amount_vnd": 80_000}]}).status_code == 201
    with kiosk.app.app_context():  # an event central cannot apply: rejected, kept for review
        record_event("stock_adjustment", {"id": "adj-1", "sku": "NO-SUCH", "delta": -1, "reason": "damaged"})
        kiosk_db.session.commit()
    caplog.set_level(logging.INFO)
    kiosk.app.config["SYNC_BATCH"] = 1
    kiosk.sync()
    logged = lines(caplog)
    central_pushes = [line for line in logged if line["logger"] == "central_sync.sync.api" and "events" in line]
    kiosk_pushes = [line for line in logged if line["logger"] == "kiosk.sync.runner" and "events" in line]
    assert [(p["events"], p["applied"], p["duplicate"], p["rejected"], p["acked_seq"]) for p in central_pushes] == [
        (1, 1, 0, 0, 1), (1, 0, 0, 1, 2)]
    assert all(p["device"] == kiosk.device_id and p["location"] == "K01" for p in central_pushes)
    assert [(p["events"], p["first_seq"], p["acked_seq"]) for p in kiosk_pushes] == [(1, 1, 1), (1, 2, 2)]
    assert [p["central_request_id"] for p in kiosk_pushes] == [p["request_id"] for p in central_pushes]
    (central_pull,) = [line for line in logged if line["logger"] == "central_sync.sync.api" and "changes" in line]
    (kiosk_pull,) = [line for line in logged if line["logger"] == "kiosk.sync.runner" and "changes" in line]
    assert (central_pull["changes"], kiosk_pull["changes"], central_pull["device"]) == (0, 0, kiosk.device_id)
    assert all(isinstance(line["duration_ms"], float) for line in central_pushes + kiosk_pushes + [kiosk_pull])


@pytest.fixture
def reviewer(client, world):
    return Api(client, log_in(client, "reviewer"))
