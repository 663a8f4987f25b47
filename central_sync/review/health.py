"""Kiosk health: every sale point, its device, its last sync, the events it says are waiting, its last error.
Read in a few aggregate queries, whatever the number of events. Never commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import SELLING_KINDS, Device, Location, SyncEvent, utcnow
from central_sync.protocol import NotFound
from central_sync.reports.alerts import silent_since


@dataclass
class KioskHealth:
    location: Location
    device: Device | None
    rejected_count: int
    last_rejected_id: str | None
    last_rejected_code: str | None
    last_rejected_at: datetime | None
    silent_since: datetime | None  # None: synced within the last day (or no device)

    @property
    def silent(self) -> bool:
        return self.silent_since is not None

    @property
    def errors(self) -> list[tuple[str, str, datetime]]:
        """What went wrong last, newest first, as (source, text, when): the error the kiosk reported
        ("kiosk"), and central's newest, a refused push ("refused", its code) or a rejected event ("rejected")."""
        device, found, central = self.device, [], []
        if device is not None and device.reported_error and device.reported_at:
            found.append(("kiosk", device.reported_error, device.reported_at))
        if device is not None and device.refused_code and device.refused_at:
            central.append(("refused", device.refused_code, device.refused_at))
        if self.last_rejected_at is not None:
            central.append(("rejected", self.last_rejected_code or "", self.last_rejected_at))
        if central:
            found.append(max(central, key=lambda error: error[2]))
        return sorted(found, key=lambda error: error[2], reverse=True)

    @property
    def last_error(self) -> tuple[str, str, datetime] | None:
        errors = self.errors
        return errors[0] if errors else None


def _rejected():
    """Per device: how many events it had rejected, and the newest one (id, code, when)."""
    ranked = (select(SyncEvent.device_id, SyncEvent.id, SyncEvent.code, SyncEvent.received_at,
                     func.count().over(partition_by=SyncEvent.device_id).label("n"),
                     func.row_number().over(partition_by=SyncEvent.device_id,
                                            order_by=(SyncEvent.received_at.desc(), SyncEvent.seq.desc()))
                     .label("rank"))
              .where(SyncEvent.status == "rejected").subquery())
    return select(ranked).where(ranked.c.rank == 1).subquery()


def kiosks(now: datetime | None = None) -> list[KioskHealth]:
    """Every sale point with its active device (None: it has none) and what central knows of its sync."""
    now, rejected = now or utcnow(), _rejected()
    rows = db.session.execute(
        select(Location, Device, rejected.c.n, rejected.c.id, rejected.c.code, rejected.c.received_at)
        .outerjoin(Device, (Device.location_id == Location.id) & Device.revoked_at.is_(None))
        .outerjoin(rejected, rejected.c.device_id == Device.id)
        .where(Location.kind.in_(SELLING_KINDS))
        .order_by(Location.code))
    return [KioskHealth(location, device, n or 0, event_id, code, at,
                        silent_since(device.last_sync_at, device.created_at, now) if device else None)
            for location, device, n, event_id, code, at in rows]


def summary(rows: list[KioskHealth]) -> dict:
    return {"kiosks": len(rows), "silent": sum(row.silent for row in rows),
            "without_device": sum(row.device is None for row in rows),
            "pending": sum((row.device.reported_pending or 0) for row in rows if row.device),
            "with_error": sum(row.last_error is not None for row in rows)}


def rejected_event(event_id: str) -> tuple[SyncEvent, Location]:
    """A rejected event, kept for review, with its sale point."""
    row = db.session.execute(select(SyncEvent, Location).join(Location, Location.id == SyncEvent.location_id)
                             .where(SyncEvent.id == event_id, SyncEvent.status == "rejected")).first() \
        if len(event_id) <= 36 else None
    if row is None:
        raise NotFound("No rejected event has this id.")
    return row.SyncEvent, row.Location


def selling_locations() -> list[tuple[str, str]]:
    """(code, name) of every sale point, for the alerts page's filter."""
    return db.session.execute(select(Location.code, Location.name).where(Location.kind.in_(SELLING_KINDS))
                              .order_by(Location.code)).all()
