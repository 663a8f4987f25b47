from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.models.base import Base, new_id, utcnow
from kiosk.models.users import User

PAYMENT_METHODS = ("cash", "transfer", "card")


class Shift(Base):
    __tablename__ = "shifts"
    # At most one open shift: the expression is 1 for every open shift, and unique.
    __table_args__ = (
        Index("ux_shifts_one_open", text("(closed_at IS NULL)"), unique=True,
              sqlite_where=text("closed_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opening_cash_vnd: Mapped[int]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_cash_vnd: Mapped[int | None]
    z_report: Mapped[dict | None] = mapped_column(JSON)

    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id], lazy="joined")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (CheckConstraint("total_vnd >= 0", name="total_not_negative"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    shift_id: Mapped[str] = mapped_column(ForeignKey("shifts.id"), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    total_vnd: Mapped[int]
    paid_vnd: Mapped[int]
    change_vnd: Mapped[int]
    status: Mapped[str] = mapped_column(String(24), default="paid")
    note: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    vietqr: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the request body, to tell a retry from a different sale with the same id.
    fingerprint: Mapped[str] = mapped_column(String(64))

    cashier: Mapped[User] = relationship(lazy="joined")
    lines: Mapped[list["SaleLine"]] = relationship(
        order_by="SaleLine.line_no", cascade="all, delete-orphan", lazy="selectin")
    payments: Mapped[list["Payment"]] = relationship(
        order_by="Payment.id", cascade="all, delete-orphan", lazy="selectin")


class SaleLine(Base):
    __tablename__ = "sale_lines"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("discount_vnd >= 0 AND discount_vnd <= qty * unit_price_vnd", name="discount_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    ocop_stars: Mapped[int]
    qty: Mapped[int]
    unit_price_vnd: Mapped[int]
    discount_vnd: Mapped[int] = mapped_column(default=0)
    total_vnd: Mapped[int]
    refunded_qty: Mapped[int] = mapped_column(default=0)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_vnd: Mapped[int]


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.id"), index=True)
    shift_id: Mapped[str] = mapped_column(ForeignKey("shifts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(200))
    total_vnd: Mapped[int]

    lines: Mapped[list["RefundLine"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RefundLine(Base):
    __tablename__ = "refund_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[str] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_lines.id"))
    sku: Mapped[str] = mapped_column(String(32))
    qty: Mapped[int]
    amount_vnd: Mapped[int]
