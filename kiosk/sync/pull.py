"""Applying what central sends down (CONTRACT.md "Sync"): products, producers, prices, the transfers shipped
here and this kiosk's location. Each change is applied as it is now at central, so applying one twice does
nothing more. Never commits."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, insert, select, update

from kiosk.catalog import services as catalog
from kiosk.extensions import db
from kiosk.models import Product, ScheduledPrice, Transfer, TransferLine, utcnow
from kiosk.stock.services import move_stock
from kiosk.sync import state


def apply(changes: list[dict]) -> int:
    """Apply a pulled page of changes; returns how many were understood (others are left for a newer kiosk).
    A page is applied entity by entity (producers, products, prices, transfers, the location), each in a few
    statements: every change carries its row as it is now, so the order within a page does not matter."""
    known = [change for change in changes if (change.get("entity"), change.get("op")) in HANDLERS]
    for handler in dict.fromkeys(HANDLERS.values()):  # in the order HANDLERS lists them, each once
        mine = [change for change in known if HANDLERS[change["entity"], change["op"]] is handler]
        if mine:
            handler(mine)
    return len(known)


def _producers(changes: list[dict]) -> None:
    catalog.upsert_producers([change["data"] for change in changes])
    db.session.flush()


def _products(changes: list[dict]) -> None:
    producers = {change["data"]["producer"]["id"]: change["data"]["producer"] for change in changes}
    catalog.upsert_producers(list(producers.values()))
    db.session.flush()
    catalog.upsert_products([{**change["data"], "producer_id": change["data"]["producer"]["id"], "active": True}
                             for change in changes])


def _products_gone(changes: list[dict]) -> None:
    """Kept for the sales that name them, no longer sold."""
    db.session.execute(update(Product).where(Product.sku.in_({change["key"] for change in changes}))
                       .values(active=False))


def _prices(changes: list[dict]) -> None:
    skus = {change["key"] for change in changes}
    products = catalog.products_by_sku(skus)
    for change in changes:
        if change["key"] in products and change["data"].get("price_vnd") is not None:
            products[change["key"]].price_vnd = change["data"]["price_vnd"]
    db.session.execute(delete(ScheduledPrice).where(ScheduledPrice.sku.in_(skus)))
    upcoming = [{"sku": change["key"], "valid_from": datetime.fromisoformat(item["valid_from"]),
                 "price_vnd": item["price_vnd"]} for change in changes for item in change["data"].get("upcoming", [])]
    if upcoming:
        db.session.execute(insert(ScheduledPrice), upcoming)


def prices_due(now: datetime | None = None) -> bool:
    return db.session.scalar(select(ScheduledPrice.sku).where(ScheduledPrice.valid_from <= (now or utcnow()))
                             .limit(1)) is not None


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


def _transfers(changes: list[dict]) -> None:
    for change in changes:
        _transfer(change["key"], change["data"])


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


def _transfers_gone(changes: list[dict]) -> None:
    for change in changes:
        transfer = db.session.get(Transfer, change["key"])
        if transfer is not None and transfer.status == "in_transit":
            db.session.delete(transfer)


def _location(changes: list[dict]) -> None:
    state.put(state.LOCATION, changes[-1]["data"])
    use_location(current_app.config, changes[-1]["data"])


def use_location(config, location: dict | None) -> None:
    """The kiosk is the location central says: its code numbers the receipts, its name and market head them."""
    if location:
        config["KIOSK_CODE"] = location["code"]
        config["KIOSK_NAME"] = location["name"]
        config["KIOSK_ADDRESS"] = ", ".join(p for p in (location.get("market"), location.get("commune"),
                                                        location.get("district")) if p) or config["KIOSK_ADDRESS"]


HANDLERS = {  # (entity, op) -> what applies a page's changes of it, in this order
    ("producer", "upsert"): _producers,
    ("product", "upsert"): _products,
    ("product", "delete"): _products_gone,
    ("price", "upsert"): _prices,
    ("transfer", "upsert"): _transfers,
    ("transfer", "delete"): _transfers_gone,
    ("location", "upsert"): _location,
}
