"""What each pushed event does at central, at the pushing device's location. Never commits.

An event that can never be applied raises Rejected (or a DomainError of the services it calls): the caller
keeps it for review. A `location` in a payload is ignored: the device's location is the only one used."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import insert

from central_sync.catalog import products_by_sku
from central_sync.extensions import db
from central_sync.models import Device, Refund, RefundLine, Sale
from central_sync.protocol import DomainError
from central_sync.stock.services import adjust, move_stock, receive_transfer
from central_sync.catalog.services import location_prices



def money(default=...):
    return Field(default, ge=0, le=10**12)


def quantity():
    return Field(ge=1, le=1_000_000)


class Rejected(DomainError):
    code = "rejected"


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SaleLineIn(Payload):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = quantity()
    unit_price_vnd: int = money()
    discount_vnd: int = money(0)


class PaymentIn(Payload):
    method: str = Field(min_length=1, max_length=16)
    amount_vnd: int = money()


class SaleIn(Payload):
    id: str = Field(min_length=1, max_length=36)
    number: str = Field(min_length=1, max_length=40)
    created_at: AwareDatetime
    lines: list[SaleLineIn] = Field(min_length=1, max_length=500)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=20)
    total_vnd: int = money()


class RefundLineIn(Payload):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = quantity()
    amount_vnd: int = money()


class RefundIn(Payload):
    id: str = Field(min_length=1, max_length=36)
    sale_id: str = Field(min_length=1, max_length=36)
    lines: list[RefundLineIn] = Field(min_length=1, max_length=500)
    reason: str | None = Field(default=None, max_length=200)


class AdjustmentIn(Payload):
    id: str = Field(min_length=1, max_length=36)
    sku: str = Field(min_length=1, max_length=32)
    delta: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=32)


class ReceiptLineIn(Payload):
    sku: str = Field(min_length=1, max_length=32)
    received_qty: int = Field(ge=0, le=1_000_000)


class ReceiptIn(Payload):
    transfer_id: str = Field(min_length=1, max_length=36)
    lines: list[ReceiptLineIn] = Field(max_length=500)


def parse(model: type[Payload], payload: dict):
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise Rejected(f"{'.'.join(map(str, first['loc']))}: {first['msg']}", code="invalid_payload") from None


@dataclass
class Lookups:
    """What the events of one push request look up once: products by SKU, and the prices in force at the
    device's location by product id. Products are only read by the effects, so one loaded in the savepoint
    of an event that was then rolled back is still good; an SKU not found is looked up again."""

    products: dict = field(default_factory=dict)
    prices: dict = field(default_factory=dict)


def preload(skus, lookups: Lookups) -> None:
    """Look up the products of these SKUs not looked up yet, in one query."""
    skus = set(skus) - lookups.products.keys()
    if skus:
        lookups.products.update(products_by_sku(skus))


def products_for(skus, lookups: Lookups) -> dict:
    skus = set(skus)
    if not skus <= lookups.products.keys():
        lookups.products.update(products_by_sku(skus - lookups.products.keys()))
    missing = sorted(skus - lookups.products.keys())
    if missing:
        raise Rejected(f"No product has SKU {', '.join(missing)}.", code="unknown_product", sku=missing[0])
    return {sku: lookups.products[sku] for sku in skus}


def prices_for(product_ids, device: Device, lookups: Lookups) -> dict:
    """Product id -> its price in force at the device's location (None: none), for these and those before."""
    unpriced = [product_id for product_id in product_ids if product_id not in lookups.prices]
    if unpriced:  # one query for the request's new products
        in_force = location_prices(unpriced, device.location_id)
        lookups.prices.update({product_id: in_force.get(product_id, (None, []))[0] for product_id in unpriced})
    return lookups.prices


def apply_refund(device: Device, payload: dict, lookups: Lookups) -> None:
    refund = parse(RefundIn, payload)
    sale = db.session.get(Sale, refund.sale_id)
    if sale is None or sale.location_id != device.location_id:
        raise Rejected(f"No sale {refund.sale_id} at this location.", code="unknown_sale")
    if db.session.get(Refund, refund.id) is not None:
        raise Rejected(f"Refund {refund.id} is stored already.", code="refund_exists")
    products = products_for({line.sku for line in refund.lines}, lookups)
    db.session.add(Refund(id=refund.id, sale_id=sale.id, location_id=device.location_id, reason=refund.reason))
    db.session.flush()
    db.session.execute(insert(RefundLine), [{"refund_id": refund.id, "product_id": products[l.sku].id, "qty": l.qty,
                                             "amount_vnd": l.amount_vnd} for l in refund.lines])
    back = Counter()
    for line in refund.lines:
        back[products[line.sku].id] += line.qty
    move_stock(device.location_id, dict(back), "refund", ref=refund.id, device=device)


def apply_adjustment(device: Device, payload: dict, lookups: Lookups) -> None:
    change = parse(AdjustmentIn, payload)
    products_for({change.sku}, lookups)
    adjust(device.location.code, change.sku, change.delta, change.reason, device=device, ref=change.id)


def apply_receipt(device: Device, payload: dict, _lookups: Lookups) -> None:
    receipt = parse(ReceiptIn, payload)
    received = Counter()
    for line in receipt.lines:
        received[line.sku] += line.received_qty
    receive_transfer(receipt.transfer_id, dict(received), device=device)


def apply_nothing(_device: Device, _payload: dict, _lookups: Lookups) -> None:
    """A shift's close: its Z report is kept as the event's payload, for review."""


EFFECTS = {"refund": apply_refund, "stock_adjustment": apply_adjustment, "transfer_receipt": apply_receipt,
           "shift_closed": apply_nothing}  # and `sale`: central_sync.sync.sales
