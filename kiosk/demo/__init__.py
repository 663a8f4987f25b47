"""Demo data for a kiosk that has no central yet: the catalogue, stock, a transfer on its way, users."""
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from kiosk.auth import services as auth_services
from kiosk.catalog import services as catalog
from kiosk.extensions import db
from kiosk.models import Transfer, TransferLine, User, utcnow
from kiosk.stock.services import move_stock

CATALOGUE = Path(__file__).with_name("catalogue.json")
LOGINS = (("vendor", "banhang-demo", "vendor"), ("manager", "quanly-demo", "manager"))


def load() -> list[tuple[str, str, str]]:
    """Load the demo data once; returns the demo logins. Loading again changes nothing."""
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    if db.session.scalar(select(User.id).limit(1)) is None:
        for username, password, role in LOGINS:
            auth_services.create_user(username, password, role)
    fresh = db.session.scalar(select(Transfer.id).limit(1)) is None
    for producer in data["producers"]:
        catalog.upsert_producer(producer)
    db.session.flush()
    products = [catalog.upsert_product(item) for item in data["products"]]
    db.session.flush()
    if fresh:
        move_stock([(product.id, item["stock"]) for product, item in zip(products, data["products"])],
                   "transfer_in", ref="demo-opening-stock")
        incoming = data["incoming_transfer"]
        db.session.add(Transfer(id=incoming["id"], status="in_transit", shipped_at=utcnow() - timedelta(hours=3)))
        db.session.add_all(TransferLine(transfer_id=incoming["id"], sku=line["sku"], qty=line["qty"])
                           for line in incoming["lines"])
    return list(LOGINS)
