"""What needs the central office's attention (`GET /api/v1/alerts` and the alerts page). Never commits.

Stored alerts are written where the fact arrives (an oversell, an outdated price, a transfer received short, a
rejected event); the others are computed when read, so they vanish once the cause is gone: low stock at a sale
point, certificates expired or expiring, kiosks silent for more than a day (or never synced)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from central_sync.extensions import db
from central_sync.models import (ALERT_KINDS, SELLING_KINDS, Alert, Device, Location, Product, StockBalance,
                                 utcnow)

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
SILENT_AFTER = timedelta(days=1)  # a sale point's device that has not synced for longer is silent
COMPUTED = ("low_stock", "certificate_expiring", "kiosk_silent")


def silent_since(last_sync_at: datetime | None, created_at: datetime, now: datetime) -> datetime | None:
    """When a device became silent (a day after its last sync, or after it was made), None if it is not."""
    since = (last_sync_at or created_at) + SILENT_AFTER
    return since if last_sync_at is None or since < now else None


def alerts(warning_days: int, low_stock_below: int, *, kind: str | None = None, location: str | None = None,
           limit: int = 500) -> list[dict]:
    """The alerts, newest first: the stored ones (at most ``limit``) and the computed ones, of ``kind`` at
    ``location`` (a location code) when given. Certificates concern no location."""
    now, found = utcnow(), []
    if kind is None or kind not in COMPUTED:
        found += _stored(kind, location, limit)
    if kind in (None, "low_stock"):
        found += _low_stock(low_stock_below, location, now)
    if kind in (None, "kiosk_silent"):
        found += _silent(location, now)
    if kind in (None, "certificate_expiring") and location is None:
        found += _certificates(warning_days, now)
    return sorted(found, key=lambda alert: alert["created_at"], reverse=True)


def _alert(kind: str, location: str | None, sku: str | None, ref, message: str, created_at: datetime) -> dict:
    return {"kind": kind, "location": location, "sku": sku, "ref": None if ref is None else str(ref),
            "message": message, "created_at": created_at.isoformat()}


def _stored(kind: str | None, location: str | None, limit: int) -> list[dict]:
    query = select(Alert, Location.code).outerjoin(Location, Location.id == Alert.location_id)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if location is not None:
        query = query.where(Location.code == location)
    rows = db.session.execute(query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
    return [_alert(a.kind, code, a.sku, a.ref, a.message, a.created_at) for a, code in rows]


def _selling(query, location: str | None):
    query = query.where(Location.kind.in_(SELLING_KINDS))
    return query.where(Location.code == location) if location is not None else query


def _low_stock(below: int, location: str | None, now: datetime) -> list[dict]:
    query = _selling(select(Location.code, Product.sku, Product.name, StockBalance.qty)
                     .join(Location, Location.id == StockBalance.location_id)
                     .join(Product, Product.id == StockBalance.product_id)
                     .where(StockBalance.qty < below, Product.active.is_(True)), location)
    return [_alert("low_stock", code, sku, None, f"{name}: {qty} left at {code} (under {below})", now)
            for code, sku, name, qty in db.session.execute(query.order_by(Location.code, Product.sku))]


def silent_devices(location: str | None = None, now: datetime | None = None):
    """The active devices of sale points with no sync for more than a day, or never: (device, code, since)."""
    now = now or utcnow()
    query = _selling(select(Device, Location.code).join(Location, Location.id == Device.location_id)
                     .where(Device.revoked_at.is_(None))
                     .where((Device.last_sync_at.is_(None)) | (Device.last_sync_at < now - SILENT_AFTER)), location)
    return [(device, code, silent_since(device.last_sync_at, device.created_at, now))
            for device, code in db.session.execute(query.order_by(Location.code))]


def _silent(location: str | None, now: datetime) -> list[dict]:
    return [_alert("kiosk_silent", code, None, device.id,
                   f"{code}: device #{device.id} " + (f"last synced {device.last_sync_at.isoformat()}"
                                                      if device.last_sync_at else "never synced"), min(since, now))
            for device, code, since in silent_devices(location, now)]


def _certificates(warning_days: int, now: datetime) -> list[dict]:
    horizon = now.astimezone(LOCAL).date() + timedelta(days=warning_days)
    products = db.session.scalars(select(Product).where(Product.active.is_(True),
                                                        Product.certificate_expires_on <= horizon)
                                  .order_by(Product.certificate_expires_on, Product.sku))
    return [_alert("certificate_expiring", None, product.sku, product.certificate_no,
                   f"OCOP certificate {product.certificate_no or ''} of {product.name} "
                   f"expires on {product.certificate_expires_on.isoformat()}", now) for product in products]


__all__ = ["ALERT_KINDS", "COMPUTED", "SILENT_AFTER", "alerts", "silent_devices", "silent_since"]
