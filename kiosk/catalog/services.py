"""Reading and loading the catalogue. Never commits."""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, select

from kiosk.catalog.search import fold, like_pattern
from kiosk.extensions import db
from kiosk.models import Producer, Product, StockBalance

MAX_RESULTS = 200


def find_products(q: str | None = None, barcode: str | None = None,
                  limit: int | None = None) -> list[tuple[Product, int]]:
    """Active products with their stock on hand, matching a search text or a barcode, by name; the first
    ``limit`` of them (a search: MAX_RESULTS at most)."""
    stmt = (select(Product, StockBalance.qty)
            .outerjoin(StockBalance, StockBalance.product_id == Product.id)
            .where(Product.active.is_(True)))
    if barcode is not None:
        stmt = stmt.where(Product.barcode == barcode.strip())
    if q and q.strip():
        stmt = stmt.where(Product.search_text.like(like_pattern(q), escape="\\"))
        limit = MAX_RESULTS if limit is None else min(limit, MAX_RESULTS)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = db.session.execute(stmt.order_by(Product.name)).all()
    return [(product, qty or 0) for product, qty in rows]


_FOR_SALE = (
    select(Product.id, Product.sku, Product.name, Product.price_vnd, Product.ocop_stars, Product.active,
           Product.certificate_expires_on, func.coalesce(StockBalance.qty, 0).label("on_hand"))
    .outerjoin(StockBalance, StockBalance.product_id == Product.id)
    .where(Product.sku.in_(bindparam("skus", expanding=True))))


def products_for_sale(skus) -> dict:
    """SKU -> a light row (id, sku, name, price_vnd, ocop_stars, active, certificate_expires_on, on_hand):
    what a sale needs, in one statement and no ORM objects (the till's hot path)."""
    rows = db.session.connection().execute(_FOR_SALE, {"skus": list(set(skus))})
    return {row.sku: row for row in rows}


def products_by_sku(skus) -> dict[str, Product]:
    rows = db.session.scalars(select(Product).where(Product.sku.in_(set(skus)))).all()
    return {p.sku: p for p in rows}


def search_text(name: str, sku: str, producer_name: str) -> str:
    return fold(f"{name} {sku} {producer_name}")


def upsert_producer(data: dict) -> Producer:
    return upsert_producers([data])[0]


def upsert_producers(items: list[dict]) -> list[Producer]:
    """Create or update producers from catalogue data ({id, name, kind, tax_code}), in one query."""
    found = {p.id: p for p in db.session.scalars(select(Producer).where(Producer.id.in_({i["id"] for i in items})))}
    producers = []
    for data in items:
        producer = found.get(data["id"])
        if producer is None:
            producer = found[data["id"]] = Producer(id=data["id"])
            db.session.add(producer)
        producer.name, producer.kind, producer.tax_code = data["name"], data["kind"], data.get("tax_code")
        producers.append(producer)
    return producers


def upsert_product(data: dict) -> Product:
    return upsert_products([data])[0]


def upsert_products(items: list[dict]) -> list[Product]:
    """Create or update products from catalogue data (the demo file, central's pull), in two queries: a
    product's `producer_id` names a producer that exists or is pending in this session."""
    found = {p.sku: p for p in db.session.scalars(select(Product).where(Product.sku.in_({i["sku"] for i in items})))}
    producers = {p.id: p for p in db.session.scalars(
        select(Producer).where(Producer.id.in_({i["producer_id"] for i in items})))}
    products = []
    for data in items:
        product = found.get(data["sku"])
        if product is None:
            product = found[data["sku"]] = Product(sku=data["sku"])
            db.session.add(product)
        for name in ("barcode", "name", "unit", "price_vnd", "ocop_stars", "ocop_group", "origin_commune",
                     "origin_district", "certificate_no"):
            setattr(product, name, data.get(name))
        for name in ("certificate_issued_on", "certificate_expires_on"):
            value = data.get(name)
            setattr(product, name, date.fromisoformat(value) if isinstance(value, str) else value)
        producer = producers[data["producer_id"]]
        product.producer_id = producer.id
        product.active = data.get("active", True)
        product.search_text = search_text(product.name, product.sku, producer.name)
        products.append(product)
    return products


def product_json(product: Product, stock_qty: int, today: date) -> dict:
    return {
        "sku": product.sku,
        "barcode": product.barcode,
        "name": product.name,
        "unit": product.unit,
        "price_vnd": product.price_vnd,
        "ocop_stars": product.ocop_stars,
        "ocop_group": product.ocop_group,
        "producer": product.producer.name,
        "origin": product.origin,
        "stock_qty": stock_qty,
        "certificate_no": product.certificate_no,
        "certificate_expires_on": product.certificate_expires_on.isoformat()
        if product.certificate_expires_on else None,
        "certificate_expired": product.certificate_expired(today),
    }
