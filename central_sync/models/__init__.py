"""Every central model, importable from one place (Alembic reads the metadata from here)."""
from central_sync.models.base import Base, new_id, utcnow
from central_sync.models.catalog import OCOP_GROUPS, PRODUCER_KINDS, Price, Producer, Product
from central_sync.models.network import ALERT_KINDS, LOCATION_KINDS, SELLING_KINDS, Alert, Device, Location
from central_sync.models.sales import Payment, Refund, RefundLine, Sale, SaleLine
from central_sync.models.stock import (ADJUSTMENT_REASONS, MOVEMENT_REASONS, TRANSFER_STATUSES, StockBalance,
                                       StockMovement, Transfer, TransferLine)
from central_sync.models.summary import SalesDaily, SalesDayCount, SalesMonthly
from central_sync.models.sync import EVENT_STATUSES, SyncChange, SyncClock, SyncEvent
from central_sync.models.users import ROLES, ApiToken, LoginFailure, LoginSession, User

__all__ = [
    "ADJUSTMENT_REASONS", "ALERT_KINDS", "EVENT_STATUSES", "LOCATION_KINDS", "MOVEMENT_REASONS", "OCOP_GROUPS",
    "PRODUCER_KINDS", "ROLES", "SELLING_KINDS", "TRANSFER_STATUSES",
    "Alert", "ApiToken", "Base", "Device", "Location", "LoginFailure", "LoginSession", "Payment", "Price", "Producer",
    "Product",
    "Refund", "RefundLine", "Sale", "SaleLine", "SalesDaily", "SalesDayCount", "SalesMonthly", "StockBalance",
    "StockMovement", "SyncChange", "SyncClock", "SyncEvent", "Transfer",
    "TransferLine", "User", "new_id", "utcnow",
]
