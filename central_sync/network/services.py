"""Locations and the devices that sync them. Never commits."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from central_sync.auth.services import hash_token, new_token
from central_sync.extensions import db
from central_sync.models import LOCATION_KINDS, SELLING_KINDS, Device, Location, utcnow
from central_sync.protocol import Conflict, NotFound, ValidationFailed


def location_by_code(code: str, field: str = "location") -> Location:
    location = db.session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise ValidationFailed(f"No location has code {code}.", code="unknown_location", field=field)
    return location


def upsert_location(data: dict) -> Location:
    """The location with ``data["code"]``, created or brought up to date."""
    if data["kind"] not in LOCATION_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(LOCATION_KINDS)}", field="kind")
    location = db.session.scalar(select(Location).where(Location.code == data["code"]))
    if location is None:
        location = Location(code=data["code"])
        db.session.add(location)
    for name in ("name", "kind", "district", "commune", "market"):
        setattr(location, name, data.get(name))
    return location


def list_locations() -> list[tuple[Location, object]]:
    """Every location with the last time one of its devices synced (None before any sync)."""
    last_sync = (select(Device.location_id, func.max(Device.last_sync_at).label("at"))
                 .group_by(Device.location_id).subquery())
    return db.session.execute(select(Location, last_sync.c.at)
                              .outerjoin(last_sync, last_sync.c.location_id == Location.id)
                              .order_by(Location.kind.desc(), Location.code)).all()


def create_device(location_code: str) -> tuple[Device, str]:
    """A device for a sale point and its token (shown this once; only its hash is kept)."""
    location = location_by_code(location_code)
    if location.kind not in SELLING_KINDS:
        raise ValidationFailed(f"{location.code} is a {location.kind}; devices are for kiosks and clusters.",
                               field="location")
    active = select(Device.id).where(Device.location_id == location.id, Device.revoked_at.is_(None))
    if db.session.scalar(active) is not None:
        raise _device_exists(location)
    token = new_token()
    device = Device(location=location, token_hash=hash_token(token), last_seq=0)
    try:
        with db.session.begin_nested():  # two admins at once: the unique index decides, not a 500
            db.session.add(device)
    except IntegrityError:
        raise _device_exists(location) from None
    return device, token


def _device_exists(location: Location) -> Conflict:
    return Conflict(f"{location.code} has an active device already; revoke it or rotate its token.",
                    code="device_exists", field="location")


def device(device_id: int) -> Device:
    found = db.session.get(Device, device_id) if 0 < device_id < 2**31 else None
    if found is None:
        raise NotFound(f"No device has id {device_id}.")
    return found


def rotate_device(device_id: int) -> tuple[Device, str]:
    """A new token for the same device (its seq goes on); the old token stops working."""
    found = device(device_id)
    if found.revoked_at is not None:
        raise Conflict("This device is revoked; create a new one.", code="device_revoked")
    token = new_token()
    found.token_hash, found.rotated_at = hash_token(token), utcnow()
    return found, token


def revoke_device(device_id: int) -> Device:
    found = device(device_id)
    if found.revoked_at is None:
        found.revoked_at = utcnow()
    return found


def device_for_token(token: str) -> Device | None:
    return db.session.scalar(select(Device).where(Device.token_hash == hash_token(token),
                                                  Device.revoked_at.is_(None)))


# For the admin pages.
def create_location(data: dict) -> Location:
    """A new location; its code is its name in the API and on receipts, so it is used once only."""
    if db.session.scalar(select(Location.id).where(Location.code == data["code"])) is not None:
        raise Conflict(f"A location has code {data['code']} already.", code="location_exists", field="code")
    location = upsert_location(data)
    db.session.flush()
    return location


def update_location(location: Location, data: dict) -> Location:
    """Everything of a location but its code."""
    return upsert_location({**data, "code": location.code})


def get_location(code: str) -> Location:
    location = db.session.scalar(select(Location).where(Location.code == code)) if len(code) <= 16 else None
    if location is None:
        raise NotFound("No location has this code.")
    return location


def devices_of(location: Location) -> list[Device]:
    """The location's devices, the active one first, then the revoked ones, newest first."""
    return list(db.session.scalars(select(Device).where(Device.location_id == location.id)
                                   .order_by(Device.revoked_at.is_not(None), Device.created_at.desc(), Device.id.desc())))
