"""The central app itself: health, its database set-up, migrations that match the models."""
import pytest
from flask_migrate import check
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from central_sync import create_app
from central_sync.database import normalise_url
from central_sync.extensions import db


def test_healthz_answers_without_authentication(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_default_database_is_an_sqlite_file_in_instance_in_wal_mode(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/central.sqlite3"
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.engine.dispose()


@pytest.mark.parametrize("url, expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
])
def test_postgresql_urls_mean_psycopg_3(url, expected):
    assert normalise_url(url) == expected


def test_the_migrations_build_exactly_the_models_schema(app):
    with app.app_context():
        check()  # raises when autogenerate would find a difference


@pytest.mark.parametrize("cause, status, code", [("database is locked", 503, "busy"),
                                                  ("disk I/O error", 500, "internal_error")])
def test_a_database_still_locked_after_its_timeout_is_503_busy(app, client, monkeypatch, cause, status, code):
    """SQLite's one writer busy past busy_timeout (a moment's overload) is 503 with Retry-After, which a kiosk
    retries; any other database failure stays a 500."""
    def failing(*_args, **_kwargs):
        raise OperationalError("SELECT ...", {}, Exception(cause))

    monkeypatch.setattr("central_sync.network.services.device_for_token", failing)
    response = client.post("/api/v1/sync/push", json={"protocol": 1, "events": []},
                           headers={"Authorization": "Bearer x"})
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert response.headers.get("Retry-After") == ("5" if status == 503 else None)
