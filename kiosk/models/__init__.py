"""Every kiosk model, importable from one place (Alembic reads the metadata from here)."""
from kiosk.models.base import Base, new_id, utcnow
from kiosk.models.catalog import OCOP_GROUPS, PRODUCER_KINDS, Producer, Product
from kiosk.models.printing import PRINT_STATUSES, PrintJob
from kiosk.models.sales import PAYMENT_METHODS, Payment, Refund, RefundLine, Sale, SaleLine, Shift
from kiosk.models.stock import (ADJUSTMENT_REASONS, MOVEMENT_REASONS, StockBalance, StockMovement,
                                Transfer, TransferLine)
from kiosk.models.system import AuditEntry, Counter, OutboxEvent, ScheduledPrice, Setting
from kiosk.models.users import ROLES, ApiToken, LoginFailure, LoginSession, User

__all__ = [
    "ADJUSTMENT_REASONS", "MOVEMENT_REASONS", "OCOP_GROUPS", "PAYMENT_METHODS", "PRODUCER_KINDS", "ROLES",
    "ApiToken", "AuditEntry", "Base", "Counter", "LoginFailure", "LoginSession", "OutboxEvent", "Payment",
    "PRINT_STATUSES", "PrintJob",
    "Producer", "Product", "Refund", "RefundLine", "Sale", "SaleLine", "ScheduledPrice", "Setting", "Shift",
    "StockBalance", "StockMovement",
    "Transfer", "TransferLine", "User", "new_id", "utcnow",
]
