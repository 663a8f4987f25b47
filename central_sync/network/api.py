from flask import Blueprint
from pydantic import Field

from central_sync.auth.guards import api_login_required
from central_sync.extensions import db
from central_sync.network import services
from central_sync.protocol import Body, parse_body

bp = Blueprint("network_api", __name__)


class DeviceIn(Body):
    location: str = Field(min_length=1, max_length=16)


def iso(moment):
    return moment.isoformat() if moment is not None else None


@bp.get("/locations")
@api_login_required()
def locations():
    return {"locations": [
        {"code": l.code, "name": l.name, "kind": l.kind, "district": l.district, "commune": l.commune,
         "market": l.market, "last_sync_at": iso(last_sync_at)}
        for l, last_sync_at in services.list_locations()]}


@bp.post("/devices")
@api_login_required("admin")
def create_device():
    device, token = services.create_device(parse_body(DeviceIn).location)
    db.session.commit()
    return {"device_id": device.id, "token": token, "location": device.location.code}, 201


@bp.post("/devices/<int:device_id>/rotate")
@api_login_required("admin")
def rotate_device(device_id: int):
    device, token = services.rotate_device(device_id)
    db.session.commit()
    return {"device_id": device.id, "token": token, "location": device.location.code}


@bp.post("/devices/<int:device_id>/revoke")
@api_login_required("admin")
def revoke_device(device_id: int):
    device = services.revoke_device(device_id)
    db.session.commit()
    return {"device_id": device.id, "revoked_at": iso(device.revoked_at)}
