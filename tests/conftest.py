"""Fixtures shared by every test: a fresh kiosk app per test, on its own SQLite file."""
import shutil

import alembic.config  # noqa: F401  before any CliRunner: Alembic binds sys.stdout as it is at import
import pytest

from kiosk import create_app
from kiosk.cli import ensure_database
from kiosk.extensions import db


def kiosk_app(instance_path, **overrides):
    config = {"INSTANCE_PATH": str(instance_path),
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path}/kiosk.sqlite3", "PRINTER_URL": "none"}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def migrated_kiosk_db(tmp_path_factory):
    """The kiosk schema built once by the real migrations; each test copies the file."""
    folder = tmp_path_factory.mktemp("kiosk-template")
    app = kiosk_app(folder)
    with app.app_context():
        ensure_database()
        db.engine.dispose()
    return folder / "kiosk.sqlite3"


@pytest.fixture
def app(tmp_path, migrated_kiosk_db):
    shutil.copy(migrated_kiosk_db, tmp_path / "kiosk.sqlite3")
    app = kiosk_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()
