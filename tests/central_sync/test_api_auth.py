"""Login, tokens and roles on the central API."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from central_sync.extensions import db
from central_sync.models import ApiToken, LoginFailure, User, utcnow
from tests.central_sync.conftest import PASSWORD
from tests.central_sync.tools import assert_error
from tests.kiosk.apitools import Api

READS = ["/locations", "/stock", "/sales", "/reports/sales", "/alerts", "/transfers"]


def test_login_answers_a_token_and_the_user(client, world):
    response = client.post("/api/v1/login", json={"username": " Admin ", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"username": "admin", "role": "admin"} and len(body["token"]) >= 40
    with client.application.app_context():  # kept only as a hash
        assert db.session.scalar(select(ApiToken.token_hash)) != body["token"]


@pytest.mark.parametrize("username, password", [("admin", "wrong-password"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_401_invalid_credentials(anonymous, world, username, password):
    assert_error(anonymous.post("/login", {"username": username, "password": password}), 401, "invalid_credentials")


@pytest.mark.parametrize("body", [{"username": "admin"}, {"username": 1, "password": "x"}, {"username": "", "password": "x"}])
def test_malformed_logins_are_422(anonymous, world, body):
    assert_error(anonymous.post("/login", body), 422, "validation_error")


def test_a_body_that_is_not_json_is_400(client, world):
    response = client.post("/api/v1/login", data="{not json", content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_five_failures_for_one_username_lock_it_with_429(anonymous, world):
    for _ in range(5):
        assert_error(anonymous.post("/login", {"username": "admin", "password": "nope-nope"}), 401,
                     "invalid_credentials")
    assert_error(anonymous.post("/login", {"username": "admin", "password": PASSWORD}), 429, "too_many_attempts")
    # another username from the same address is not locked yet
    assert anonymous.post("/login", {"username": "reviewer", "password": PASSWORD}).status_code == 200


def test_failures_older_than_the_window_do_not_count(app, anonymous, world):
    for _ in range(5):
        anonymous.post("/login", {"username": "admin", "password": "nope-nope"})
    with app.app_context():
        db.session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=6)))
        db.session.commit()
    assert anonymous.post("/login", {"username": "admin", "password": PASSWORD}).status_code == 200


def test_one_address_is_limited_across_usernames(anonymous, world):
    for number in range(30):
        anonymous.post("/login", {"username": f"guess{number}", "password": "nope-nope"})
    assert_error(anonymous.post("/login", {"username": "admin", "password": PASSWORD}), 429, "too_many_attempts")


@pytest.mark.parametrize("path", READS)
def test_reads_need_a_user_token(anonymous, client, world, path):
    assert_error(anonymous.get(path), 401, "unauthorized")
    assert_error(Api(client, "not-a-token").get(path), 401, "unauthorized")
    assert_error(client.get(f"/api/v1{path}", headers={"Authorization": "Basic abc"}), 401, "unauthorized")


@pytest.mark.parametrize("path", READS)
def test_a_reviewer_reads_everything(reviewer, path):
    assert reviewer.get(path).status_code == 200


@pytest.mark.parametrize("path, body", [
    ("/transfers", {"from_location": "KHO", "to_location": "K01", "lines": [{"sku": "CF-500", "qty": 1}]}),
    ("/devices", {"location": "K01"}), ("/devices/1/rotate", None), ("/devices/1/revoke", None),
    ("/stock/adjustments", {"location": "KHO", "sku": "CF-500", "delta": -1, "reason": "damaged"}),
])
def test_a_reviewer_changes_nothing(reviewer, path, body):
    assert_error(reviewer.post(path, body), 403, "forbidden")
    assert reviewer.get("/transfers").get_json()["transfers"] == []


def test_expired_revoked_and_deactivated_tokens_are_401(app, admin, reviewer):
    assert admin.get("/locations").status_code == 200
    with app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.user_id == db.session.scalar(
            select(User.id).where(User.username == "admin"))).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.execute(update(User).where(User.username == "reviewer").values(active=False))
        db.session.commit()
    assert_error(admin.get("/locations"), 401, "unauthorized")
    assert_error(reviewer.get("/locations"), 401, "unauthorized")


def test_a_device_token_is_not_a_user_token(admin, client):
    token = admin.post("/devices", {"location": "K01"}).get_json()["token"]
    device = Api(client, token)
    assert_error(device.get("/stock"), 401, "unauthorized")
    assert_error(device.post("/devices", {"location": "K02"}), 401, "unauthorized")
