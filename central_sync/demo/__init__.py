"""The Đắk Lắk demo network (network.json): locations, producers, products and prices, warehouse stock, users;
and the demo kiosk of `make run` (a device for one location, and goods shipped to it once)."""
import json
from pathlib import Path

from sqlalchemy import select, text

from central_sync.auth import services as auth_services
from central_sync.catalog.services import set_price, upsert_producer, upsert_product
from central_sync.extensions import db
from central_sync.models import Device, Location, Price, Producer, StockMovement, Transfer, User
from central_sync.network.services import create_device, location_by_code, revoke_device, rotate_device, upsert_location
from central_sync.protocol import Conflict
from central_sync.stock.services import create_transfer, move_stock

NETWORK = Path(__file__).with_name("network.json")
# What the demo kiosk is shipped: 20 each of the sale points' best sellers (coffee, honey, macadamia, cashews,
# pepper, cocoa, durian, rice wine, ginger, lemongrass, brocade; the kiosk's own demo catalogue's SKUs).
KIOSK_SHIPMENT_QTY = 20
KIOSK_SHIPMENT = ("CF-CB-500", "CF-CB-HAT", "CF-BM-PHIN", "CF-BM-HOATAN", "CF-BM-CHON", "MO-CP-250", "MO-CP-500",
                  "MO-NGHE", "MC-TL-500", "MC-TL-SUA", "MC-PN-250", "DIEU-HY-500", "DIEU-HY-TOI", "TIEU-CS-DEN",
                  "TIEU-CS-DO", "CC-KA-BOT", "CC-KA-SOCOLA", "SR-KP-SAY", "SR-KP-KEM", "RC-YH-BINH", "DL-EH-GUNG",
                  "DL-EH-SA", "TC-AKO-KHAN", "TC-AKO-TUI")


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


def demo_kiosk(location_code: str, *, new_kiosk: bool = False) -> tuple[Device, str, Transfer | None]:
    """The demo kiosk at ``location_code`` (`make run`; again and again): its device with a new token, and a
    transfer from the warehouse the first time only. Returns (device, token, the transfer shipped now or None).

    The location's active device keeps its id and its seq (its token is rotated): the kiosk's events go on
    from where central has them. Only for a kiosk whose database is ``new_kiosk`` (its events start again at
    seq 1) is a device that has taken events replaced by a new one."""
    location = location_by_code(location_code)
    active = db.session.scalar(select(Device).where(Device.location_id == location.id, Device.revoked_at.is_(None)))
    if active is not None and new_kiosk and active.last_seq > 0:
        revoke_device(active.id)
        db.session.flush()
        active = None
    device, token = rotate_device(active.id) if active is not None else create_device(location_code)
    shipped = None
    if db.session.scalar(select(Transfer.id).where(Transfer.to_location_id == location.id).limit(1)) is None:
        warehouse = db.session.scalar(select(Location).where(Location.kind == "warehouse").order_by(Location.code))
        if warehouse is None:
            raise Conflict("No warehouse to ship from: load the demo first (flask --app central_sync seed-demo).",
                           code="no_warehouse")
        shipped = create_transfer(warehouse.code, location.code, dict.fromkeys(KIOSK_SHIPMENT, KIOSK_SHIPMENT_QTY))
    return device, token, shipped


def _after_explicit_ids(model) -> None:
    """Rows given their own ids leave PostgreSQL's sequence behind: move it past them."""
    if db.session.get_bind().dialect.name == "postgresql":
        table = model.__tablename__
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT coalesce(max(id), 1) FROM {table}))"))
