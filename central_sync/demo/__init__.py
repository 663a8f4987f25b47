"""The Đắk Lắk demo network (network.json): locations, producers, products and prices, warehouse stock, users."""
import json
from pathlib import Path

from sqlalchemy import select, text

from central_sync.auth import services as auth_services
from central_sync.catalog.services import set_price, upsert_producer, upsert_product
from central_sync.extensions import db
from central_sync.models import Price, Producer, StockMovement, User
from central_sync.network.services import upsert_location
from central_sync.stock.services import move_stock

NETWORK = Path(__file__).with_name("network.json")


def load() -> list[tuple[str, str, str]]:
    """Load the demo network; loading it again changes nothing. Returns the demo logins."""
    data = json.loads(NETWORK.read_text(encoding="utf-8"))
    locations = {item["code"]: upsert_location(item) for item in data["locations"]}
    for item in data["producers"]:
        upsert_producer(item)
    db.session.flush()
    _after_explicit_ids(Producer)
    products = [upsert_product(item) for item in data["products"]]
    db.session.flush()
    priced = set(db.session.scalars(select(Price.product_id).where(Price.location_id.is_(None))))
    for product, item in zip(products, data["products"]):
        if product.id not in priced:
            set_price(product, item["price_vnd"])
    warehouse = next(location for location in locations.values() if location.kind == "warehouse")
    stocked = set(db.session.scalars(select(StockMovement.product_id).where(StockMovement.location_id == warehouse.id)))
    move_stock(warehouse.id, {p.id: data["warehouse_stock"]["default_qty"] for p in products if p.id not in stocked},
               "opening", ref="demo-opening-stock")
    logins = [(user["username"], user["password"], user["role"]) for user in data["users"]]
    existing = set(db.session.scalars(select(User.username)))
    for username, password, role in logins:
        if username not in existing:
            auth_services.create_user(username, password, role)
    return logins


def _after_explicit_ids(model) -> None:
    """Rows given their own ids leave PostgreSQL's sequence behind: move it past them."""
    if db.session.get_bind().dialect.name == "postgresql":
        table = model.__tablename__
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT coalesce(max(id), 1) FROM {table}))"))
