from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.models.base import Base, utcnow

PRODUCER_KINDS = ("cooperative", "company", "household")
# The six OCOP product groups (Decision 148/QĐ-TTg).
OCOP_GROUPS = ("food", "beverage", "herbal", "textile", "handicraft", "tourism")


class Producer(Base):
    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    tax_code: Mapped[str | None] = mapped_column(String(20))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_vnd >= 0", name="price_not_negative"),
        CheckConstraint("ocop_stars BETWEEN 3 AND 5", name="ocop_stars_3_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    barcode: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    price_vnd: Mapped[int]
    ocop_stars: Mapped[int]
    ocop_group: Mapped[str] = mapped_column(String(16))
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"))
    origin_commune: Mapped[str | None] = mapped_column(String(100))
    origin_district: Mapped[str | None] = mapped_column(String(100))
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    certificate_issued_on: Mapped[date | None]
    certificate_expires_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Name, SKU and producer, lower-cased without diacritics: what search matches.
    search_text: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    producer: Mapped[Producer] = relationship(lazy="joined")

    @property
    def origin(self) -> str:
        return ", ".join(p for p in (self.origin_commune, self.origin_district) if p)

    def certificate_expired(self, today: date) -> bool:
        return certificate_expired(self.certificate_expires_on, today)


def certificate_expired(expires_on: date | None, today: date) -> bool:
    return expires_on is not None and expires_on < today
