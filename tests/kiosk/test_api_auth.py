"""Logging in to the kiosk API, bearer tokens, the login limits, and `flask users create`."""
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from werkzeug.security import check_password_hash

from kiosk.extensions import db
from kiosk.models import ApiToken, LoginFailure, User, utcnow
from tests.kiosk.apitools import Api, assert_error, login, snapshot


def post_login(client, username, password, address="127.0.0.1"):
    return client.post("/api/v1/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def set_token(app, token, **values):
    with app.app_context():
        db.session.execute(update(ApiToken).where(
            ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()).values(**values))
        db.session.commit()


def test_login_answers_a_token_and_the_user(client, demo_data):
    response = post_login(client, *demo_data["manager"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"username": "manager", "role": "manager"}
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    assert Api(client, body["token"]).get("/stock").status_code == 200


def test_each_login_gets_its_own_working_token(client, demo_data):
    first, second = (login(client, *demo_data["vendor"]) for _ in range(2))
    assert first != second
    assert Api(client, first).get("/stock").status_code == 200
    assert Api(client, second).get("/stock").status_code == 200


@pytest.mark.parametrize("username, password", [("vendor", "wrong-password"), ("nobody", "banhang-demo"),
                                                ("vendor", "BANHANG-DEMO")])
def test_wrong_credentials_are_401_invalid_credentials(client, demo_data, username, password):
    assert_error(post_login(client, username, password), 401, "invalid_credentials")


def test_five_failures_for_a_username_lock_it_even_with_the_right_password(app, client, demo_data):
    for _ in range(5):
        assert_error(post_login(client, "vendor", "wrong-password"), 401, "invalid_credentials")
    assert_error(post_login(client, *demo_data["vendor"]), 429, "too_many_attempts")
    assert_error(post_login(client, "vendor", "wrong-password"), 429, "too_many_attempts")
    # Another username from the same address is not locked by vendor's failures.
    assert post_login(client, *demo_data["manager"]).status_code == 200
    # Five minutes later the failures no longer count.
    with app.app_context():
        db.session.execute(update(LoginFailure).values(at=utcnow() - timedelta(seconds=301)))
        db.session.commit()
    assert post_login(client, *demo_data["vendor"]).status_code == 200


def test_four_failures_do_not_lock_and_a_success_clears_them(client, demo_data):
    for _ in range(4):
        post_login(client, "vendor", "wrong-password")
    assert post_login(client, *demo_data["vendor"]).status_code == 200
    for _ in range(4):
        assert_error(post_login(client, "vendor", "wrong-password"), 401, "invalid_credentials")
    assert post_login(client, *demo_data["vendor"]).status_code == 200


def test_failures_count_per_username_whatever_its_case(client, demo_data):
    for name in ("vendor", "Vendor", "VENDOR", " vendor", "vEnDoR"):
        post_login(client, name, "wrong-password")
    assert_error(post_login(client, *demo_data["vendor"]), 429, "too_many_attempts")


def test_an_address_is_locked_after_its_own_higher_limit(app, client, demo_data):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    assert limit > 5
    for i in range(limit):  # a different username each time: the per-username limit never trips
        assert_error(post_login(client, f"guess{i}", "password", "10.0.0.7"), 401, "invalid_credentials")
    assert_error(post_login(client, *demo_data["vendor"], address="10.0.0.7"), 429, "too_many_attempts")
    assert post_login(client, *demo_data["vendor"], address="10.0.0.8").status_code == 200


def test_an_expired_token_is_401(app, vendor):
    assert vendor.get("/stock").status_code == 200
    set_token(app, vendor.token, expires_at=utcnow() - timedelta(seconds=1))
    assert_error(vendor.get("/stock"), 401, "unauthorized")
    assert_error(vendor.post("/shifts", {"opening_cash_vnd": 0}), 401, "unauthorized")


def test_a_revoked_token_is_401(app, vendor):
    set_token(app, vendor.token, revoked_at=utcnow())
    assert_error(vendor.get("/stock"), 401, "unauthorized")


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Bearer not-a-token", "Bearer " + "x" * 5000, "Basic dmVuZG9yOmJhbmhhbmc=",
    "Bearer\u00a0abc", "bearer", "Token {token}", "{token}", "Bearer {token}x", "Bearer {token} {token}",
])
def test_missing_or_garbage_authorization_is_401(shared_kiosk, header):
    client, before = shared_kiosk.client, snapshot(shared_kiosk.app)
    headers = {} if header is None else {"Authorization": header.format(token=shared_kiosk.vendor.token)}
    assert_error(client.get("/api/v1/stock", headers=headers), 401, "unauthorized")
    assert_error(client.post("/api/v1/shifts", json={"opening_cash_vnd": 0}, headers=headers), 401, "unauthorized")
    assert snapshot(shared_kiosk.app) == before


def test_the_bearer_scheme_is_case_insensitive(client, vendor):
    assert client.get("/api/v1/stock", headers={"Authorization": f"bearer {vendor.token}"}).status_code == 200


def test_an_inactive_user_cannot_log_in_and_loses_its_tokens(app, client, demo_data, vendor):
    with app.app_context():
        db.session.execute(update(User).where(User.username == "vendor").values(active=False))
        db.session.commit()
    assert_error(vendor.get("/stock"), 401, "unauthorized")
    assert_error(post_login(client, *demo_data["vendor"]), 401, "invalid_credentials")


def test_passwords_and_tokens_are_stored_only_as_hashes(app, demo_data, vendor, manager):
    with app.app_context():
        users = {u.username: u.password_hash for u in db.session.scalars(select(User))}
        token_hashes = set(db.session.scalars(select(ApiToken.token_hash)))
        db.engine.dispose()  # close connections so that the WAL is checkpointed into the file
    for role, (username, password) in demo_data.items():
        assert password not in users[username]
        assert check_password_hash(users[username], password)
    for token in (vendor.token, manager.token):
        assert hashlib.sha256(token.encode()).hexdigest() in token_hashes
        assert token not in token_hashes
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for secret in (vendor.token, manager.token, *(password for _, password in demo_data.values())):
        assert secret.encode() not in stored


def test_a_page_session_may_call_the_api_but_must_send_its_csrf_token(client, browser, demo_data):
    """The tablet's pages call the JSON API with their session cookie: a cross-site form cannot."""
    browser.log_in(*demo_data["vendor"])
    assert client.get("/api/v1/stock").status_code == 200  # reading needs no token
    assert_error(client.post("/api/v1/shifts", json={"opening_cash_vnd": 0}), 400, "bad_request")
    assert_error(client.post("/api/v1/shifts", data="opening_cash_vnd=0",
                             content_type="application/x-www-form-urlencoded"), 400, "bad_request")
    assert_error(client.post("/api/v1/shifts", json={"opening_cash_vnd": 0}, headers={"X-CSRFToken": "forged"}),
                 400, "bad_request")
    response = client.post("/api/v1/shifts", json={"opening_cash_vnd": 0},
                           headers={"X-CSRFToken": browser.csrf_token("/sell")})
    assert response.status_code == 201 and response.get_json()["opened_by"] == "vendor"


def test_cli_users_create_makes_a_user_who_can_log_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Thu.Ngan", "--role", "manager", "--password", "mat-khau-9"])
    assert result.exit_code == 0, result.output
    assert "thu.ngan" in result.output.lower()
    response = post_login(client, "thu.ngan", "mat-khau-9")
    assert response.status_code == 200
    assert response.get_json()["user"] == {"username": "thu.ngan", "role": "manager"}
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.username == "thu.ngan"))
    assert "mat-khau-9" not in stored and check_password_hash(stored, "mat-khau-9")


@pytest.mark.parametrize("args, exit_code, says", [
    (["thu.ngan", "--role", "vendor", "--password", "mat-khau-9"], 1, "already exists"),
    (["another", "--role", "admin", "--password", "mat-khau-9"], 2, "admin"),
    (["another", "--role", "vendor", "--password", "short"], 1, "password"),
    (["bad name!", "--role", "vendor", "--password", "mat-khau-9"], 1, "username"),
])
def test_cli_users_create_refuses_bad_input(app, args, exit_code, says):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "thu.ngan", "--role", "vendor", "--password", "mat-khau-9"]) \
        .exit_code == 0
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == exit_code, result.output
    assert says in result.output.lower()
    with app.app_context():
        assert db.session.scalars(select(User.username)).all() == ["thu.ngan"]


def test_cli_set_password_replaces_a_forgotten_one_and_ends_the_users_tokens(app, client, vendor, demo_data):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["users", "set-password", "vendor", "--password", "vendor-123"])  # holds the name
    assert weak.exit_code == 1 and "password" in weak.output.lower()
    assert runner.invoke(args=["users", "set-password", "nobody", "--password", "hoa-sen-trang"]).exit_code == 1
    result = runner.invoke(args=["users", "set-password", "Vendor", "--password", "hoa-sen-trang"])
    assert result.exit_code == 0, result.output
    assert vendor.get("/products").status_code == 401  # the old token is gone
    assert post_login(client, *demo_data["vendor"]).status_code == 401
    assert post_login(client, "vendor", "hoa-sen-trang").status_code == 200


def test_cli_seed_demo_is_refused_in_production(app):
    """The demo users' passwords are published in the README: never loaded on a production kiosk."""
    app.config["APP_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1 and "production" in result.output
    with app.app_context():
        assert db.session.scalars(select(User.username)).all() == []


def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
