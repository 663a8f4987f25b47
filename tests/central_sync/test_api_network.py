"""Locations and devices: one active device per sale point, its token shown once, rotated, revoked."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from central_sync.auth.services import hash_token
from central_sync.extensions import db
from central_sync.models import Device, utcnow
from central_sync.network.services import device_for_token
from tests.central_sync.tools import assert_error


def test_locations_list_every_location_with_last_sync_at(app, admin):
    locations = admin.get("/locations").get_json()["locations"]
    assert {l["code"]: l["kind"] for l in locations} == {"KHO": "warehouse", "K01": "kiosk", "K02": "kiosk",
                                                         "CL1": "cluster"}
    assert all(l["last_sync_at"] is None and l["market"] and l["district"] for l in locations)
    admin.post("/devices", {"location": "K01"})
    synced = utcnow() - timedelta(minutes=3)
    with app.app_context():
        db.session.execute(update(Device).values(last_sync_at=synced))
        db.session.commit()
    by_code = {l["code"]: l for l in admin.get("/locations").get_json()["locations"]}
    assert by_code["K01"]["last_sync_at"] == synced.isoformat() and by_code["K02"]["last_sync_at"] is None


def test_a_device_is_created_with_a_token_kept_only_as_a_hash(app, admin):
    response = admin.post("/devices", {"location": "K01"})
    assert response.status_code == 201
    body = response.get_json()
    with app.app_context():
        device = db.session.get(Device, body["device_id"])
        assert device.token_hash == hash_token(body["token"]) != body["token"]
        assert device_for_token(body["token"]).id == device.id and device.location.code == "K01"


def test_a_second_active_device_for_a_location_is_409_device_exists(admin):
    first = admin.post("/devices", {"location": "K01"}).get_json()
    assert_error(admin.post("/devices", {"location": "K01"}), 409, "device_exists", "location")
    assert admin.post("/devices", {"location": "CL1"}).status_code == 201  # a cluster sells too
    assert admin.post(f"/devices/{first['device_id']}/revoke").status_code == 200
    assert admin.post("/devices", {"location": "K01"}).status_code == 201  # after revoking: a new one


@pytest.mark.parametrize("body, status, code, field", [
    ({"location": "NOWHERE"}, 422, "unknown_location", "location"),
    ({"location": "KHO"}, 422, "validation_error", "location"),  # the warehouse does not sync
    ({"location": ""}, 422, "validation_error", "location"),
    ({"location": 7}, 422, "validation_error", "location"),
    ({}, 422, "validation_error", "location"),
])
def test_bad_device_requests(admin, body, status, code, field):
    assert_error(admin.post("/devices", body), status, code, field)


def test_rotating_gives_a_new_token_and_keeps_the_seq(app, admin):
    first = admin.post("/devices", {"location": "K01"}).get_json()
    with app.app_context():
        db.session.execute(update(Device).values(last_seq=41))
        db.session.commit()
    response = admin.post(f"/devices/{first['device_id']}/rotate")
    assert response.status_code == 200
    second = response.get_json()
    assert second["device_id"] == first["device_id"] and second["token"] != first["token"]
    with app.app_context():
        assert device_for_token(first["token"]) is None
        assert device_for_token(second["token"]).last_seq == 41


def test_a_revoked_device_stops_working_and_cannot_be_rotated(app, admin):
    device = admin.post("/devices", {"location": "K02"}).get_json()
    assert admin.post(f"/devices/{device['device_id']}/revoke").status_code == 200
    assert admin.post(f"/devices/{device['device_id']}/revoke").status_code == 200  # again: still revoked
    with app.app_context():
        assert device_for_token(device["token"]) is None
    assert_error(admin.post(f"/devices/{device['device_id']}/rotate"), 409, "device_revoked")


@pytest.mark.parametrize("device_id", ["999", "0", "99999999999999999999"])
@pytest.mark.parametrize("action", ["rotate", "revoke"])
def test_an_unknown_device_is_404(admin, device_id, action):
    assert_error(admin.post(f"/devices/{device_id}/{action}"), 404, "not_found")


def test_the_cli_creates_and_revokes_devices(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["devices", "create", "K01"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        device_id = device_for_token(token).id
    assert "device_exists" not in result.output
    again = runner.invoke(args=["devices", "create", "K01"])
    assert again.exit_code != 0 and "active device" in again.output
    assert runner.invoke(args=["devices", "revoke", str(device_id)]).exit_code == 0
    with app.app_context():
        assert device_for_token(token) is None
        assert db.session.scalar(select(Device.revoked_at)) is not None


def test_a_device_token_never_starts_with_a_dash(monkeypatch):
    """It is typed after `flask --app kiosk enroll URL`, where a leading dash reads as an option."""
    from central_sync.auth import services

    drawn = iter(["-Habc", "-x", "Tok_en"])
    monkeypatch.setattr(services.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert services.new_token() == "Tok_en"
