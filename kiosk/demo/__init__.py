"""Demo data. A kiosk with no central: the catalogue, stock, a transfer on its way, users (`load`). A kiosk
enrolled with central (`make run`), whose catalogue and transfers come from central: the users, and the
transfers central shipped here received in full (`load_enrolled`)."""
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from kiosk.auth import services as auth_services
from kiosk.catalog import services as catalog
from kiosk.extensions import db
from kiosk.models import Transfer, TransferLine, User, utcnow
from kiosk.stock.services import move_stock, receive_transfer

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


def load_enrolled() -> tuple[list[tuple[str, str, str]], list[Transfer]]:
    """The demo users (each one missing is made), then every transfer central shipped here and still on its
    way, received in full by the demo manager (stock goes up; the receipts go to central at the next sync).
    Returns the demo logins and the transfers received. Again: nothing more happens."""
    existing = set(db.session.scalars(select(User.username)))
    for username, password, role in LOGINS:
        if username not in existing:
            auth_services.create_user(username, password, role)
    manager = db.session.scalar(select(User).where(User.username == "manager"))
    received = []
    for transfer in db.session.scalars(select(Transfer).where(Transfer.status == "in_transit",
                                                               Transfer.from_location.is_not(None))  # from central
                                       .order_by(Transfer.shipped_at, Transfer.id)).all():
        shipped: dict[str, int] = {}
        for line in db.session.scalars(select(TransferLine).where(TransferLine.transfer_id == transfer.id)):
            shipped[line.sku] = shipped.get(line.sku, 0) + line.qty
        received.append(receive_transfer(transfer.id, shipped, manager))
    return list(LOGINS), received
