"""The catalogue: producers, products with their OCOP data, prices with history and per-location overrides.
Never commits."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from central_sync.extensions import db
from central_sync.models import OCOP_GROUPS, PRODUCER_KINDS, Location, Price, Producer, Product, User, utcnow
from central_sync.protocol import ValidationFailed

PRODUCT_FIELDS = ("barcode", "name", "unit", "ocop_stars", "ocop_group", "origin_commune", "origin_district",
                  "certificate_no")


def products_by_sku(skus) -> dict[str, Product]:
    skus = set(skus)
    if not skus:
        return {}
    return {p.sku: p for p in db.session.scalars(select(Product).where(Product.sku.in_(skus)))}


def product_by_sku(sku: str, field: str = "sku") -> Product:
    product = products_by_sku([sku]).get(sku)
    if product is None:
        raise ValidationFailed(f"No product has SKU {sku}.", code="unknown_product", field=field)
    return product


def upsert_producer(data: dict) -> Producer:
    if data["kind"] not in PRODUCER_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(PRODUCER_KINDS)}", field="kind")
    producer = db.session.get(Producer, data["id"]) if data.get("id") is not None else None
    if producer is None:
        producer = Producer(id=data.get("id"))
        db.session.add(producer)
    for name in ("name", "kind", "tax_code", "commune", "district"):
        setattr(producer, name, data.get(name))
    return producer


def upsert_product(data: dict) -> Product:
    """The product with ``data["sku"]``, created or brought up to date (its price is set apart: set_price)."""
    if data["ocop_group"] not in OCOP_GROUPS:
        raise ValidationFailed(f"ocop_group must be one of {', '.join(OCOP_GROUPS)}", field="ocop_group")
    if data["ocop_stars"] not in (3, 4, 5):
        raise ValidationFailed("ocop_stars is 3, 4 or 5.", field="ocop_stars")
    if db.session.get(Producer, data["producer_id"]) is None:
        raise ValidationFailed(f"No producer has id {data['producer_id']}.", field="producer_id")
    product = db.session.scalar(select(Product).where(Product.sku == data["sku"]))
    if product is None:
        product = Product(sku=data["sku"])
        db.session.add(product)
    for name in PRODUCT_FIELDS:
        setattr(product, name, data.get(name))
    product.producer_id = data["producer_id"]
    for name in ("certificate_issued_on", "certificate_expires_on"):
        value = data.get(name)
        setattr(product, name, date.fromisoformat(value) if isinstance(value, str) else value)
    return product


def set_price(product: Product, price_vnd: int, *, location: Location | None = None,
              valid_from: datetime | None = None, user: User | None = None) -> Price:
    """A new version of the price (for every location, or for one): prices are added, never changed."""
    if not 0 <= price_vnd <= 10**12:
        raise ValidationFailed("price_vnd is a whole number of đồng, 0 or more.", field="price_vnd")
    price = Price(product_id=product.id, location_id=location.id if location else None, price_vnd=price_vnd,
                  valid_from=valid_from or utcnow(), created_by=user.id if user else None)
    db.session.add(price)
    db.session.flush()
    return price


def price_of(product: Product, location: Location | None = None, at: datetime | None = None) -> int | None:
    """The price in force at ``at`` (now): the location's override if it has one, else the general price."""
    at = at or utcnow()
    for location_id in ((location.id, None) if location else (None,)):
        price = db.session.scalar(
            select(Price.price_vnd).where(Price.product_id == product.id, Price.valid_from <= at,
                                          Price.location_id.is_(None) if location_id is None
                                          else Price.location_id == location_id)
            .order_by(Price.valid_from.desc(), Price.id.desc()).limit(1))
        if price is not None:
            return price
    return None


def price_history(product: Product) -> list[Price]:
    return list(db.session.scalars(select(Price).where(Price.product_id == product.id)
                                   .order_by(Price.valid_from, Price.id)))
