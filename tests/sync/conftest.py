"""Sync fixtures: here `app`, `client`, `world` and `admin` are central's (tests/central_sync/conftest.py:
SQLite, and PostgreSQL when TEST_DATABASE_URL is set), and `kiosk` is a kiosk enrolled at K01 that syncs with
it in-process. `make_kiosk` makes more (other locations, other transports)."""
import pytest

from tests.central_sync.conftest import (_cheap_password_hashes, admin, app, client, postgresql_url,  # noqa: F401
                                         sqlite_template, world)
from tests.kiosk.apitools import cheap_password_hashes
from tests.sync.harness import make_kiosk as _make_kiosk


@pytest.fixture(scope="session", autouse=True)
def _cheap_kiosk_password_hashes():
    with cheap_password_hashes():
        yield


@pytest.fixture
def make_kiosk(app, admin, tmp_path, migrated_kiosk_db):
    made = []

    def make(location="K01", transport=None, **config):
        kiosk = _make_kiosk(tmp_path / f"kiosk-{location}-{len(made)}", migrated_kiosk_db, app, admin, location,
                            transport, **config)
        made.append(kiosk)
        return kiosk

    yield make
    from kiosk.extensions import db
    for kiosk in made:
        with kiosk.app.app_context():
            db.engine.dispose()


@pytest.fixture
def kiosk(make_kiosk):
    return make_kiosk("K01")
