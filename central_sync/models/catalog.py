"""The province's catalogue: producers, OCOP products, and prices with their history."""
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central_sync.models.base import Base, BigId, utcnow
from central_sync.protocol import OCOP_GROUPS, PRODUCER_KINDS

__all__ = ["OCOP_GROUPS", "PRODUCER_KINDS", "Price", "Producer", "Product"]


class Producer(Base):
    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    tax_code: Mapped[str | None] = mapped_column(String(20))
    commune: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("ocop_stars BETWEEN 3 AND 5", name="ocop_stars_3_to_5"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    barcode: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    ocop_stars: Mapped[int]
    ocop_group: Mapped[str] = mapped_column(String(16))
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    origin_commune: Mapped[str | None] = mapped_column(String(100))
    origin_district: Mapped[str | None] = mapped_column(String(100))
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    certificate_issued_on: Mapped[date | None]
    certificate_expires_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    producer: Mapped[Producer] = relationship(lazy="joined")


class Price(Base):
    """One version of a product's price, from `valid_from` on: for every location (`location_id` null) or
    an override for one. Rows are only ever added; the history is the table."""

    __tablename__ = "prices"
    __table_args__ = (CheckConstraint("price_vnd >= 0", name="price_not_negative"),
                      Index("ix_prices_product_location_valid_from", "product_id", "location_id", "valid_from"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
