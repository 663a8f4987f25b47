from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.models.base import Base, utcnow

MOVEMENT_REASONS = ("sale", "refund", "transfer_in", "adjustment", "count", "resync")  # resync: central's figures
ADJUSTMENT_REASONS = ("damaged", "expired", "count", "other")


class StockMovement(Base):
    """One signed change of stock; the ledger that balances derive from."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    delta: Mapped[int]
    reason: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(16))  # an adjustment's reason
    ref: Mapped[str | None] = mapped_column(String(36), index=True)  # sale, refund, transfer or adjustment id
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockBalance(Base):
    """Cache of the ledger's sum per product, updated in the movement's transaction."""

    __tablename__ = "stock_balances"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    qty: Mapped[int] = mapped_column(default=0)


class Transfer(Base):
    """Goods central shipped to this kiosk, received here line by line."""

    __tablename__ = "transfers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    from_location: Mapped[str | None] = mapped_column(String(16))  # the code of where it was shipped from
    status: Mapped[str] = mapped_column(String(16), default="in_transit")
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    received_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TransferLine(Base):
    __tablename__ = "transfer_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(32))
    qty: Mapped[int]
    received_qty: Mapped[int | None]
