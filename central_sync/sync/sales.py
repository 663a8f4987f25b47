"""Sales pushed by a device, applied a run of them at a time: each is checked on its own (a bad one is
rejected, the others go on), then all are written with one statement per table. A kiosk catching up after a
week offline sends thousands; one statement per sale and table would cost a round trip each. Never commits.

Alerts are those of one sale after another: an `outdated_price` line when the kiosk sold at a price other
than central's in force at its location, an `oversell` when a sale leaves a product's balance there below 0
(the balances read once, then counted down in memory: only this device sells at its location)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select

from central_sync.database import insert_rows
from central_sync.extensions import db
from central_sync.models import Alert, Device, Payment, Sale, SaleLine, StockBalance, utcnow
from central_sync.protocol import DomainError
from central_sync.stock.services import record_movements
from central_sync.sync.effects import Lookups, Rejected, SaleIn, parse, preload, prices_for, products_for


@dataclass
class Batch:
    """The rows of a run of sales, ready to write, and the sales refused (key -> why)."""

    applied: list = field(default_factory=list)
    rejected: dict = field(default_factory=dict)
    sales: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    movements: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    now: datetime = field(default_factory=utcnow)


def prepare(device: Device, payloads: list[tuple[str, dict]], lookups: Lookups) -> Batch:
    """Check each (key, payload) of a run of sales, in order, and make the rows of those that can be applied."""
    batch, parsed, checked = Batch(), [], []
    for key, payload in payloads:
        try:
            parsed.append((key, parse(SaleIn, payload)))
        except DomainError as error:
            batch.rejected[key] = error
    preload({line.sku for _, sale in parsed for line in sale.lines}, lookups)
    for key, sale in parsed:
        try:
            checked.append((key, sale, products_for({line.sku for line in sale.lines}, lookups)))
        except DomainError as error:
            batch.rejected[key] = error
    stored = _stored_sales({sale.id for _, sale, _ in checked}, {sale.number for _, sale, _ in checked})
    product_ids = {product.id for _, _, products in checked for product in products.values()}
    prices = prices_for(product_ids, device, lookups)
    balances = _balances(device.location_id, product_ids)
    for key, sale, products in checked:
        if sale.id in stored or sale.number in stored:
            batch.rejected[key] = Rejected(f"A sale with id {sale.id} or number {sale.number} is stored already.",
                                           code="sale_exists")
            continue
        stored |= {sale.id, sale.number}
        batch.applied.append(key)
        _rows(batch, device, sale, products, prices, balances)
    return batch


def _rows(batch: Batch, device: Device, sale: SaleIn, products: dict, prices: dict, balances: Counter) -> None:
    location = device.location_id
    batch.sales.append({"id": sale.id, "number": sale.number, "location_id": location, "device_id": device.id,
                        "created_at": sale.created_at, "total_vnd": sale.total_vnd, "received_at": batch.now})
    sold = Counter()
    for line in sale.lines:
        product = products[line.sku]
        batch.lines.append({"sale_id": sale.id, "product_id": product.id, "qty": line.qty,
                            "unit_price_vnd": line.unit_price_vnd, "discount_vnd": line.discount_vnd,
                            "total_vnd": line.qty * line.unit_price_vnd - line.discount_vnd})
        sold[product.id] += line.qty
        price = prices.get(product.id)
        if price is not None and price != line.unit_price_vnd:
            batch.alerts.append(_alert("outdated_price", location, line.sku, sale.id,
                                       f"{line.sku} sold at {line.unit_price_vnd}, central price {price}"))
    batch.payments += [{"sale_id": sale.id, "method": p.method, "amount_vnd": p.amount_vnd} for p in sale.payments]
    for sku, product in sorted(products.items()):
        batch.movements.append({"product_id": product.id, "delta": -sold[product.id], "reason": "sale",
                                "ref": sale.id})
        balances[product.id] -= sold[product.id]
        if balances[product.id] < 0:
            batch.alerts.append(_alert("oversell", location, sku, sale.id,
                                       f"{sku}: sold beyond stock, balance {balances[product.id]}"))


def write(device: Device, batch: Batch) -> None:
    """Write a prepared run of sales: one statement per table."""
    for model, rows in ((Sale, batch.sales), (SaleLine, batch.lines), (Payment, batch.payments),
                        (Alert, batch.alerts)):
        insert_rows(db.session, model, rows)
    record_movements(device.location_id, batch.movements, device=device)


def apply_sale(device: Device, payload: dict, lookups: Lookups) -> None:
    """One sale on its own (the effect of a `sale` event outside a run): rejected, or written."""
    batch = prepare(device, [("sale", payload)], lookups)
    if batch.rejected:
        raise batch.rejected["sale"]
    write(device, batch)


def _stored_sales(ids: set[str], numbers: set[str]) -> set[str]:
    """The ids and numbers among these that central holds already."""
    if not ids:
        return set()
    found = set()
    for sale_id, number in db.session.execute(select(Sale.id, Sale.number).where(
            or_(Sale.id.in_(ids), Sale.number.in_(numbers)))):
        found |= {sale_id, number}
    return found


def _balances(location_id: int, product_ids: set[int]) -> Counter:
    if not product_ids:
        return Counter()
    return Counter(dict(db.session.execute(select(StockBalance.product_id, StockBalance.qty).where(
        StockBalance.location_id == location_id, StockBalance.product_id.in_(product_ids))).all()))


def _alert(kind: str, location_id: int, sku: str, ref: str, message: str) -> dict:
    return {"kind": kind, "location_id": location_id, "sku": sku, "ref": ref, "message": message[:500],
            "created_at": utcnow()}
