"""The catalogue: producers, products with their OCOP data, prices with history and per-location overrides.
Never commits."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from central_sync.extensions import db
from central_sync.models import OCOP_GROUPS, PRODUCER_KINDS, Location, Price, Producer, Product, User, utcnow
from central_sync.protocol import Conflict, NotFound, ValidationFailed

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
IN_CHUNK = 900  # ids in one IN (...): under SQLite's and PostgreSQL's limits
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


# For the admin pages.
def list_producers() -> list[Producer]:
    return list(db.session.scalars(select(Producer).order_by(Producer.name, Producer.id)))


def get_producer(producer_id: int) -> Producer:
    producer = db.session.get(Producer, producer_id) if 0 < producer_id < 2**31 else None
    if producer is None:
        raise NotFound("No producer has this id.")
    return producer


def save_producer(data: dict, producer_id: int | None = None) -> Producer:
    """A new producer (``producer_id`` None) or an edited one; a tax code belongs to one producer only."""
    tax_code = data.get("tax_code") or None
    if tax_code is not None:
        taken = select(Producer.id).where(Producer.tax_code == tax_code)
        if producer_id is not None:
            taken = taken.where(Producer.id != producer_id)
        if db.session.scalar(taken.limit(1)) is not None:
            raise Conflict(f"Another producer has tax code {tax_code}.", code="duplicate_tax_code", field="tax_code")
    if producer_id is not None:
        get_producer(producer_id)
    producer = upsert_producer({**data, "tax_code": tax_code, "id": producer_id})
    db.session.flush()
    return producer


def certificate_state(product: Product, warning_days: int, today: date | None = None) -> str | None:
    """`expired`, `expiring` (within ``warning_days`` of ``today``, by default today in Đắk Lắk) or None
    (valid, or no expiry known)."""
    expires = product.certificate_expires_on
    if expires is None:
        return None
    today = today or utcnow().astimezone(LOCAL_TZ).date()
    if expires < today:
        return "expired"
    return "expiring" if (expires - today).days <= warning_days else None


def find_products(q: str | None = None, stars: int | None = None, group: str | None = None,
                  producer_id: int | None = None) -> list[Product]:
    query = select(Product).order_by(Product.sku)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(Product.name.ilike(pattern) | Product.sku.ilike(pattern) | Product.barcode.ilike(pattern))
    if stars is not None:
        query = query.where(Product.ocop_stars == stars)
    if group is not None:
        query = query.where(Product.ocop_group == group)
    if producer_id is not None:
        query = query.where(Product.producer_id == producer_id)
    return list(db.session.scalars(query))


def current_prices() -> dict[int, int]:
    """The general price in force now of every product that has one (one query: the last version wins)."""
    prices: dict[int, int] = {}
    for product_id, price in db.session.execute(
            select(Price.product_id, Price.price_vnd).where(Price.location_id.is_(None), Price.valid_from <= utcnow())
            .order_by(Price.product_id, Price.valid_from, Price.id)):
        prices[product_id] = price
    return prices


def _refuse_duplicate_barcode(barcode: str | None, sku: str) -> None:
    if barcode and db.session.scalar(select(Product.id).where(Product.barcode == barcode, Product.sku != sku)
                                     .limit(1)) is not None:
        raise Conflict(f"Another product has barcode {barcode}.", code="duplicate_barcode", field="barcode")


def create_product(data: dict, price_vnd: int, user: User | None = None) -> Product:
    """A new product (its SKU unused) with its first price."""
    if db.session.scalar(select(Product.id).where(Product.sku == data["sku"])) is not None:
        raise Conflict(f"A product has SKU {data['sku']} already.", code="product_exists", field="sku")
    _refuse_duplicate_barcode(data.get("barcode"), data["sku"])
    product = upsert_product(data)
    db.session.flush()
    set_price(product, price_vnd, user=user)
    return product


def update_product(product: Product, data: dict) -> Product:
    """Every OCOP field of an existing product (its SKU stays; its price is set apart: set_price)."""
    _refuse_duplicate_barcode(data.get("barcode"), product.sku)
    return upsert_product({**data, "sku": product.sku})


def get_product(sku: str) -> Product:
    product = products_by_sku([sku]).get(sku) if len(sku) <= 32 else None
    if product is None:
        raise NotFound("No product has this SKU.")
    return product


def location_prices(product_ids: list[int], location_id: int, now: datetime | None = None
                    ) -> dict[int, tuple[int | None, list[tuple[datetime, int]]]]:
    """Per product: its price in force now at the location (its override, else the general price; None when
    it has none yet) and the changes already scheduled, as (from when, price)."""
    now = now or utcnow()
    versions: dict[int, dict[bool, list]] = defaultdict(lambda: {True: [], False: []})
    for start in range(0, len(product_ids), IN_CHUNK):
        for product_id, where, price, valid_from in db.session.execute(
                select(Price.product_id, Price.location_id, Price.price_vnd, Price.valid_from)
                .where(Price.product_id.in_(product_ids[start:start + IN_CHUNK]),
                       Price.location_id.is_(None) | (Price.location_id == location_id))
                .order_by(Price.valid_from, Price.id)):
            versions[product_id][where is not None].append((valid_from, price))
    out = {}
    for product_id, by_kind in versions.items():
        def at(moment, by_kind=by_kind):
            for override in (True, False):
                in_force = [price for valid_from, price in by_kind[override] if valid_from <= moment]
                if in_force:
                    return in_force[-1]
            return None
        current, upcoming = at(now), []
        for moment in sorted({valid_from for kind in by_kind.values() for valid_from, _ in kind if valid_from > now}):
            price = at(moment)
            if price != (upcoming[-1][1] if upcoming else current):
                upcoming.append((moment, price))
        out[product_id] = (current, upcoming)
    return out
