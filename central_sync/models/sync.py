"""Events pushed by the devices: each kept once (its id is the primary key), in each device's seq order."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from central_sync.models.base import Base, utcnow

EVENT_STATUSES = ("applied", "rejected")


class SyncEvent(Base):
    """One event as the kiosk sent it; `fingerprint` (SHA-256 of its type and payload) tells a retry from a
    conflicting reuse of the id. Rejected events stay here for review; a shift's Z report lives here too."""

    __tablename__ = "sync_events"
    __table_args__ = (UniqueConstraint("device_id", "seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # made on the kiosk
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(32), index=True)
    occurred_at: Mapped[datetime]
    payload: Mapped[dict] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    code: Mapped[str | None] = mapped_column(String(64))  # why it was rejected
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncChange(Base):
    """The change log the kiosks pull: the last change of each (entity, key) seen by one scope (a location's
    id, or 0: every location), numbered by `version`. A row is replaced, never added twice, so a log is as
    long as the catalogue, and what is pulled is rendered from the current rows at pull time.

    Versions come from the `changes` clock, whose row stays locked until the writing transaction commits:
    versions become visible in their order, so a cursor (the last version pulled) never skips a late commit."""

    __tablename__ = "sync_changes"

    entity: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(36), primary_key=True)  # the row's id (a product's, a transfer's ...)
    scope: Mapped[int] = mapped_column(primary_key=True)  # a location id, or 0: seen by every location
    version: Mapped[int] = mapped_column(BigInteger, unique=True)


class SyncClock(Base):
    """Named counters of the sync: `changes` (the change log's last version) and `epoch` (this database's
    random number, written into cursors so that a cursor from another database is refused)."""

    __tablename__ = "sync_clock"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
