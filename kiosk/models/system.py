from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.models.base import Base, utcnow


class Counter(Base):
    """Gapless counters: sale numbers, outbox seq."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class OutboxEvent(Base):
    """A fact for central, written in the same transaction as the fact itself."""

    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[datetime | None] = mapped_column(index=True)


class AuditEntry(Base):
    """Who changed money or stock, when, and what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class Setting(Base):
    """What the kiosk keeps about its sync: central's URL and this device's token (the kiosk must present it),
    the pull cursor, the last push, pull and error, the location central says this kiosk is."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict | list | str | int | None] = mapped_column(JSON)


class ScheduledPrice(Base):
    """A price central has set to start later (pulled ahead, so it takes effect offline too)."""

    __tablename__ = "scheduled_prices"

    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(primary_key=True)
    price_vnd: Mapped[int]
