"""What a device pulls (CONTRACT.md "Sync"): the change log from its cursor on, scoped to its location and to
what every location sees, each change rendered from the rows as they are now. Never commits.

A cursor is `<epoch>.<version>` in base64url: the last version the device holds of this database's log. A
cursor this database cannot have written (another epoch, a version beyond the clock, garbage) answers 409
`reset_required`: the device pulls everything again."""
from __future__ import annotations

import base64
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import aliased

from central_sync.catalog.services import IN_CHUNK, location_prices
from central_sync.extensions import db
from central_sync.models import Device, Location, Producer, Product, SyncChange, Transfer, utcnow
from central_sync.protocol import Conflict
from central_sync.stock.services import location_codes, transfer_lines
from central_sync.sync import changes


def encode_cursor(epoch: int, version: int) -> str:
    return base64.urlsafe_b64encode(f"{epoch}.{version}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, epoch: int) -> int:
    """The version a cursor stands for; 409 reset_required for one this database never gave."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        cursor_epoch, version = (int(part) for part in text.split("."))
    except (ValueError, UnicodeDecodeError):
        cursor_epoch = version = -1
    if len(cursor) > 64 or cursor_epoch != epoch or not 0 <= version <= (
            changes.read_clock(db.session, changes.CHANGES) or 0):
        raise Conflict("This cursor is unknown here; pull everything again (no cursor).", code="reset_required",
                       field="cursor")
    return version


def pull(device: Device, cursor: str | None, limit: int) -> dict:
    epoch = changes.epoch(db.session)
    since = 0 if cursor is None else decode_cursor(cursor, epoch)
    scopes, later = (0, device.location_id), aliased(SyncChange)
    rows = db.session.execute(  # a key also noted later in another of these scopes is sent then, once
        select(SyncChange.entity, SyncChange.key, SyncChange.version)
        .where(SyncChange.version > since, SyncChange.scope.in_(scopes),
               ~select(later.version).where(later.entity == SyncChange.entity, later.key == SyncChange.key,
                                            later.scope.in_(scopes), later.version > SyncChange.version).exists())
        .order_by(SyncChange.version).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    keys: dict[str, list[str]] = defaultdict(list)
    for entity, key, _version in rows:
        keys[entity].append(key)
    rendered = {entity: RENDER[entity](device, sorted(set(found))) for entity, found in keys.items()}
    device.last_sync_at = utcnow()
    sent, out = set(), []
    for entity, key, _version in rows:
        if (entity, key) not in sent:  # a price seen by all and overridden here: one change
            sent.add((entity, key))
            change = rendered[entity].get(key)
            if change is None and entity in ("producer", "transfer"):  # gone: its key is all there is to send
                change = {"entity": entity, "op": "delete", "key": key, "data": None}
            if change is not None:
                out.append(change)
    return {"changes": out, "cursor": encode_cursor(epoch, rows[-1].version if rows else since),
            "has_more": has_more}


def _load(model, ids: list[str]) -> list:
    found = []
    for start in range(0, len(ids), IN_CHUNK):
        chunk = [int(i) if model is not Transfer else i for i in ids[start:start + IN_CHUNK]]
        found += db.session.scalars(select(model).where(model.id.in_(chunk)))
    return found


def _upsert(entity: str, key: str, data: dict) -> dict:
    return {"entity": entity, "op": "upsert", "key": key, "data": data}


def iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def producer_data(producer: Producer) -> dict:
    return {"id": producer.id, "name": producer.name, "kind": producer.kind, "tax_code": producer.tax_code,
            "commune": producer.commune, "district": producer.district}


def _products(device: Device, ids: list[str]) -> dict:
    products = _load(Product, ids)
    prices = location_prices([p.id for p in products], device.location_id)
    out = {}
    for product in products:
        current, upcoming = prices.get(product.id, (None, []))
        if not product.active or current is None:  # not for sale (yet): the kiosk must not sell it
            continue
        out[str(product.id)] = _upsert("product", product.sku, {
            "sku": product.sku, "barcode": product.barcode, "name": product.name, "unit": product.unit,
            "price_vnd": current, "ocop_stars": product.ocop_stars, "ocop_group": product.ocop_group,
            "producer": producer_data(product.producer), "origin_commune": product.origin_commune,
            "origin_district": product.origin_district, "certificate_no": product.certificate_no,
            "certificate_issued_on": iso(product.certificate_issued_on),
            "certificate_expires_on": iso(product.certificate_expires_on)})
    return out


def _deleted_products(ids: list[str]) -> dict:
    """A product's delete carries its SKU: the kiosk knows products by SKU."""
    return {str(product.id): {"entity": "product", "op": "delete", "key": product.sku, "data": None}
            for product in _load(Product, ids)}


def _producers(_device: Device, ids: list[str]) -> dict:
    return {str(p.id): _upsert("producer", str(p.id), producer_data(p)) for p in _load(Producer, ids)}


def _prices(device: Device, ids: list[str]) -> dict:
    products = {p.id: p for p in _load(Product, ids)}
    out = {}
    prices = location_prices(list(products), device.location_id)
    for product_id, product in products.items():
        current, upcoming = prices.get(product_id, (None, []))
        out[str(product_id)] = _upsert("price", product.sku, {
            "sku": product.sku, "price_vnd": current,
            "upcoming": [{"price_vnd": price, "valid_from": iso(moment)} for moment, price in upcoming]})
    return out


def _locations(device: Device, ids: list[str]) -> dict:
    return {str(l.id): _upsert("location", l.code, {
        "code": l.code, "name": l.name, "kind": l.kind, "district": l.district, "commune": l.commune,
        "market": l.market}) for l in _load(Location, ids) if l.id == device.location_id}


def _transfers(device: Device, ids: list[str]) -> dict:
    transfers = [t for t in _load(Transfer, ids) if t.to_location_id == device.location_id]
    lines = transfer_lines([t.id for t in transfers])
    codes = location_codes()
    return {t.id: _upsert("transfer", t.id, {
        "id": t.id, "status": t.status, "from_location": codes[t.from_location_id], "shipped_at": iso(t.shipped_at),
        "received_at": iso(t.received_at),
        "lines": [{"sku": sku, "qty": line.qty, "received_qty": line.received_qty} for sku, line in lines[t.id]]})
        for t in transfers}


def _products_or_deleted(device: Device, ids: list[str]) -> dict:
    return {**_deleted_products(ids), **_products(device, ids)}


RENDER = {"product": _products_or_deleted, "producer": _producers, "price": _prices, "location": _locations,
          "transfer": _transfers}
