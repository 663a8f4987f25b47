"""The province's network: locations (warehouse, clusters, kiosks), the devices that sync them, alerts."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central_sync.models.base import Base, BigId, utcnow

LOCATION_KINDS = ("warehouse", "cluster", "kiosk")
SELLING_KINDS = ("cluster", "kiosk")  # the sale points, each synced by one device
ALERT_KINDS = ("oversell", "low_stock", "certificate_expiring", "transfer_discrepancy", "kiosk_silent",
               "rejected_event", "outdated_price")


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(100))
    commune: Mapped[str | None] = mapped_column(String(100))
    market: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Device(Base):
    """The POS box of one sale point. Its token is kept only as a SHA-256; `last_seq` is the sync's
    high-water mark (the last event applied), kept when the token is rotated."""

    __tablename__ = "devices"
    __table_args__ = (
        # One active device per location; revoked ones stay for the record.
        Index("uq_devices_active_location", "location_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sync_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # What the kiosk said of itself on its last push or pull (X-Kiosk-Pending, X-Kiosk-Last-Error headers)
    reported_pending: Mapped[int | None] = mapped_column(BigInteger)
    reported_error: Mapped[str | None] = mapped_column(String(200))
    reported_at: Mapped[datetime | None]
    # The last push central refused (seq_gap, seq_conflict, idempotency_conflict, ...): its code and when
    refused_code: Mapped[str | None] = mapped_column(String(64))
    refused_at: Mapped[datetime | None]

    location: Mapped[Location] = relationship(lazy="joined")


class Alert(Base):
    """Something the central office should look at: an oversell, a transfer that arrived short, ..."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_kind_created_at", "kind", "created_at"),)  # the alerts page, by kind

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    sku: Mapped[str | None] = mapped_column(String(32))
    ref: Mapped[str | None] = mapped_column(String(64))  # the transfer, event or device concerned
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    location: Mapped[Location | None] = relationship(lazy="joined")
