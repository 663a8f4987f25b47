"""Stock as a ledger per location: movements, their cached balances, transfers between locations."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from central_sync.models.base import Base, BigId, utcnow

MOVEMENT_REASONS = ("opening", "sale", "refund", "transfer_out", "transfer_in", "adjustment", "count")
ADJUSTMENT_REASONS = ("damaged", "expired", "count", "other")
TRANSFER_STATUSES = ("in_transit", "received")


class StockMovement(Base):
    """One signed change of one product's stock at one location; balances derive from these."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_location_product", "location_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    delta: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(200))  # an adjustment's reason and note
    ref: Mapped[str | None] = mapped_column(String(64), index=True)  # the transfer, sale, event ... concerned
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockBalance(Base):
    """The ledger's sum per location and product, updated in each movement's transaction (qty = qty + delta)."""

    __tablename__ = "stock_balances"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger, default=0)


class Transfer(Base):
    """Goods shipped from one location to another: they leave the source when shipped, and count as
    `in_transit` at the destination until its kiosk reports what arrived."""

    __tablename__ = "transfers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_transit", index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shipped_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TransferLine(Base):
    __tablename__ = "transfer_lines"
    __table_args__ = (UniqueConstraint("transfer_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    qty: Mapped[int] = mapped_column(BigInteger)
    received_qty: Mapped[int | None] = mapped_column(BigInteger)
