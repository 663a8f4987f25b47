"""The page sessions of a production kiosk: cookie flags, a fresh session at login, Flask-Login's strong
protection against a cookie used from another browser, and the ways a session ends (logout, a new password,
a deactivated user, its lifetime), for a copy of its cookie too."""
import re
import shutil
import time
from datetime import datetime, timedelta, timezone

import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from kiosk import demo
from kiosk.auth import services
from kiosk.extensions import db
from kiosk.models import LoginSession, Shift, User
from tests.conftest import kiosk_app

HTTPS = "https://kiosk.test"
TABLET = "Mozilla/5.0 (Linux; Android 13; SM-X200) Chrome/120 Safari/537.36"
VENDOR = next((username, password) for username, password, role in demo.LOGINS if role == "vendor")


@pytest.fixture
def production_kiosk(tmp_path, demo_kiosk_db):
    shutil.copy(demo_kiosk_db, tmp_path / "kiosk.sqlite3")
    app = kiosk_app(tmp_path, APP_ENV="production", SECRET_KEY="k" * 64)
    yield app
    with app.app_context():
        db.engine.dispose()


def tablet(app):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=TABLET)
    return client


def log_in(client, username=VENDOR[0], password=VENDOR[1]):
    html = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", base_url=HTTPS, headers={"Referer": f"{HTTPS}/login"},  # CSRF checks it on HTTPS
                           data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def logged_in(client) -> bool:
    response = client.get("/sell", base_url=HTTPS)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def session_cookie(client) -> str:
    return client.get_cookie("kiosk_session", domain="kiosk.test").value


def replay(app, cookie: str, user_agent: str = TABLET):
    thief = app.test_client()
    thief.environ_base.update(HTTP_USER_AGENT=user_agent)
    thief.set_cookie("kiosk_session", cookie, domain="kiosk.test")
    return thief


def test_the_session_cookie_is_secure_httponly_and_lax(production_kiosk):
    cookie = log_in(tablet(production_kiosk)).headers["Set-Cookie"]
    assert cookie.startswith("kiosk_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_starts_a_fresh_session(production_kiosk):
    client = tablet(production_kiosk)
    with client.session_transaction(base_url=HTTPS) as session:
        session["planted"] = "by someone before the login"
    log_in(client)
    with client.session_transaction(base_url=HTTPS) as session:
        assert "planted" not in session and session["_user_id"]


def test_a_cookie_used_from_another_browser_is_not_logged_in(production_kiosk):
    client = tablet(production_kiosk)
    log_in(client)
    assert logged_in(client) and logged_in(replay(production_kiosk, session_cookie(client)))
    assert not logged_in(replay(production_kiosk, session_cookie(client), user_agent="curl/8.5"))


def test_logout_ends_the_session_even_for_a_copy_of_its_cookie(production_kiosk):
    client = tablet(production_kiosk)
    log_in(client)
    copied = session_cookie(client)
    html = client.get("/sell", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    assert client.post("/logout", base_url=HTTPS, headers={"Referer": f"{HTTPS}/sell"},
                       data={"csrf_token": token}).status_code == 302
    assert not logged_in(client) and not logged_in(replay(production_kiosk, copied))
    with production_kiosk.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_a_new_password_or_a_deactivation_ends_every_session_of_the_user(production_kiosk):
    client = tablet(production_kiosk)
    log_in(client)
    copied = session_cookie(client)
    with production_kiosk.app_context():
        user = db.session.scalar(select(User).where(User.username == VENDOR[0]))
        services.set_password(user, "hoa-sen-trang")
        db.session.commit()
    assert not logged_in(client) and not logged_in(replay(production_kiosk, copied))
    log_in(client, password="hoa-sen-trang")
    assert logged_in(client)
    with production_kiosk.app_context():
        db.session.scalar(select(User).where(User.username == VENDOR[0])).active = False
        db.session.commit()
    assert not logged_in(client)


def test_a_session_ends_a_day_after_its_login(production_kiosk):
    client = tablet(production_kiosk)
    log_in(client)
    lifetime = production_kiosk.config["SESSION_LIFETIME_SECONDS"]
    assert lifetime >= 16 * 3600  # a market day's shift
    with production_kiosk.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        assert abs((row.expires_at - row.created_at).total_seconds() - lifetime) < 5
        assert logged_in(client)
        row.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.session.commit()
    assert not logged_in(client)
    log_in(client)  # the expired row goes at the next login
    with production_kiosk.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_the_database_keeps_only_a_hash_of_the_session_id(production_kiosk):
    client = tablet(production_kiosk)
    log_in(client)
    with client.session_transaction(base_url=HTTPS) as session:
        session_id = session["sid"]
    with production_kiosk.app_context():
        stored = db.session.scalars(select(LoginSession.token_hash)).one()
    assert stored != session_id and session_id not in stored
    api = production_kiosk.test_client()  # the session id is no bearer token
    assert api.get("/api/v1/products", headers={"Authorization": f"Bearer {session_id}"}).status_code == 401


def test_a_forged_session_without_the_key_is_not_logged_in(production_kiosk):
    client = tablet(production_kiosk)
    log_in(client)
    with client.session_transaction(base_url=HTTPS) as session:
        content = dict(session)
    forged = URLSafeTimedSerializer("not-the-key", salt="cookie-session").dumps(content)
    assert not logged_in(replay(production_kiosk, forged))


def test_a_form_opened_in_the_morning_still_posts_in_the_evening(production_kiosk, monkeypatch):
    """The CSRF token lives as long as the session: a till's page loaded at opening time still works 12 hours
    later (Flask-WTF's default would refuse it after one)."""
    client = tablet(production_kiosk)
    log_in(client)
    html = client.get("/shift", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    later = time.time() + 12 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    response = client.post("/shift/open", base_url=HTTPS, headers={"Referer": f"{HTTPS}/shift"},
                           data={"csrf_token": token, "opening_cash_vnd": "500.000"})
    assert response.status_code == 302 and response.location.endswith("/sell")
    with production_kiosk.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 1
