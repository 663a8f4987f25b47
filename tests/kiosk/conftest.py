"""Kiosk fixtures: cheap password hashes, the demo data (loaded once, copied per test), API clients and
browsers logged in as each role, and one demo kiosk per module for the checks that write nothing."""
import shutil
from pathlib import Path

import pytest

from kiosk import demo
from kiosk.extensions import db
from tests.kiosk.apitools import Api, cheap_password_hashes, demo_database, demo_kiosk, login
from tests.kiosk.pagetools import Browser


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    with cheap_password_hashes():
        yield


@pytest.fixture(scope="session")
def demo_kiosk_db(tmp_path_factory, migrated_kiosk_db, _cheap_password_hashes) -> Path:
    return demo_database(tmp_path_factory.mktemp("kiosk-demo"), migrated_kiosk_db)


@pytest.fixture
def demo_data(app, demo_kiosk_db) -> dict[str, tuple[str, str]]:
    """The test's kiosk holds the demo data (a copy of the database it was loaded into once); the demo
    logins by role."""
    with app.app_context():
        db.engine.dispose()
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    for leftover in database.parent.glob(database.name + "-*"):  # -wal, -shm of the empty database
        leftover.unlink()
    shutil.copy(demo_kiosk_db, database)
    return {role: (username, password) for username, password, role in demo.LOGINS}


@pytest.fixture
def vendor(client, demo_data):
    return Api(client, login(client, *demo_data["vendor"]))


@pytest.fixture
def manager(client, demo_data):
    return Api(client, login(client, *demo_data["manager"]))


@pytest.fixture
def anonymous(client):
    return Api(client)


@pytest.fixture
def open_shift(vendor):
    response = vendor.post("/shifts", {"opening_cash_vnd": 500_000})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture(scope="module")
def shared_kiosk(tmp_path_factory, demo_kiosk_db):
    """One demo kiosk for a whole module, for the tests that must write nothing (and check it)."""
    kiosk = demo_kiosk(tmp_path_factory.mktemp("shared-kiosk"), demo_kiosk_db)
    yield kiosk
    with kiosk.app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def vendor_browser(browser, demo_data):
    browser.log_in(*demo_data["vendor"])
    return browser


@pytest.fixture
def manager_browser(browser, demo_data):
    browser.log_in(*demo_data["manager"])
    return browser
