"""Applying what central sends down (CONTRACT.md "Sync"): products, producers, prices, the transfers shipped
here and this kiosk's location. Each change is applied as it is now at central, so applying one twice does
nothing more. Never commits."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, insert, select

from kiosk.catalog import services as catalog
from kiosk.extensions import db
from kiosk.models import Product, ScheduledPrice, Transfer, TransferLine, utcnow
from kiosk.stock.services import move_stock
from kiosk.sync import state


def apply(changes: list[dict]) -> int:
    """Apply a pulled page of changes; returns how many were understood (others are left for a newer kiosk)."""
    applied = 0
    for change in changes:
        handler = HANDLERS.get((change.get("entity"), change.get("op")))
        if handler is not None:
            handler(change["key"], change.get("data"))
            applied += 1
    return applied


def _producer(_key: str, data: dict) -> None:
    catalog.upsert_producer(data)
    db.session.flush()


def _product(_key: str, data: dict) -> None:
    _producer(None, data["producer"])
    catalog.upsert_product({**data, "producer_id": data["producer"]["id"], "active": True})


def _product_gone(sku: str, _data) -> None:
    product = db.session.scalar(select(Product).where(Product.sku == sku))
    if product is not None:  # kept for the sales that name it, no longer sold
        product.active = False


def _price(sku: str, data: dict) -> None:
    product = db.session.scalar(select(Product).where(Product.sku == sku))
    if product is not None and data.get("price_vnd") is not None:
        product.price_vnd = data["price_vnd"]
    db.session.execute(delete(ScheduledPrice).where(ScheduledPrice.sku == sku))
    upcoming = [{"sku": sku, "valid_from": datetime.fromisoformat(item["valid_from"]), "price_vnd": item["price_vnd"]}
                for item in data.get("upcoming", [])]
    if upcoming:
        db.session.execute(insert(ScheduledPrice), upcoming)


def apply_due_prices(now: datetime | None = None) -> int:
    """Prices whose time has come take effect (offline too); returns how many did."""
    due = db.session.scalars(select(ScheduledPrice).where(ScheduledPrice.valid_from <= (now or utcnow()))
                             .order_by(ScheduledPrice.valid_from)).all()
    products = catalog.products_by_sku({price.sku for price in due})
    for price in due:
        if price.sku in products:
            products[price.sku].price_vnd = price.price_vnd
        db.session.delete(price)
    return len(due)


def _transfer(transfer_id: str, data: dict) -> None:
    """A transfer shipped here. The kiosk is where it is received; one central says was received without
    this kiosk (at central's office) is mirrored here with its stock, and no event goes back."""
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        transfer = Transfer(id=transfer_id, from_location=data.get("from_location"), status="in_transit",
                            shipped_at=datetime.fromisoformat(data["shipped_at"]) if data.get("shipped_at") else None)
        db.session.add(transfer)
        db.session.flush()
        db.session.execute(insert(TransferLine), [{"transfer_id": transfer_id, "sku": line["sku"], "qty": line["qty"]}
                                                  for line in data["lines"]])
    if transfer.status == "in_transit" and data.get("status") == "received":
        lines = db.session.scalars(select(TransferLine).where(TransferLine.transfer_id == transfer_id)).all()
        received = {line["sku"]: line.get("received_qty") or 0 for line in data["lines"]}
        for line in lines:
            line.received_qty = received.get(line.sku, 0)
        products = catalog.products_by_sku(received)
        move_stock([(products[sku].id, qty) for sku, qty in received.items() if qty and sku in products],
                   "transfer_in", ref=transfer_id)
        transfer.status = "received"
        transfer.received_at = datetime.fromisoformat(data["received_at"]) if data.get("received_at") else utcnow()


def _transfer_gone(transfer_id: str, _data) -> None:
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is not None and transfer.status == "in_transit":
        db.session.delete(transfer)


def _location(_code: str, data: dict) -> None:
    state.put(state.LOCATION, data)
    use_location(current_app.config, data)


def use_location(config, location: dict | None) -> None:
    """The kiosk is the location central says: its code numbers the receipts, its name and market head them."""
    if location:
        config["KIOSK_CODE"] = location["code"]
        config["KIOSK_NAME"] = location["name"]
        config["KIOSK_ADDRESS"] = ", ".join(p for p in (location.get("market"), location.get("commune"),
                                                        location.get("district")) if p) or config["KIOSK_ADDRESS"]


HANDLERS = {
    ("producer", "upsert"): _producer,
    ("product", "upsert"): _product,
    ("product", "delete"): _product_gone,
    ("price", "upsert"): _price,
    ("transfer", "upsert"): _transfer,
    ("transfer", "delete"): _transfer_gone,
    ("location", "upsert"): _location,
}
