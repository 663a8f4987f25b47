"""Kiosk fixtures: the demo catalogue and users, and API clients logged in as each role."""
import pytest

from kiosk import demo
from kiosk.extensions import db


class Api:
    """A JSON client for the kiosk API that sends a bearer token."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, path, headers=None, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self._headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(headers), **kwargs)


def login(client, username, password):
    response = client.post("/api/v1/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


@pytest.fixture
def demo_data(app):
    with app.app_context():
        logins = demo.load()
        db.session.commit()
    return {role: (username, password) for username, password, role in logins}


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
