"""What the pages show people: labels for the domain's codes and friendly error messages.

Codes stay in English in the database and the API; these turn them into the reader's language.
"""
from __future__ import annotations

from flask import flash, request
from flask_babel import lazy_gettext as _l

from central_sync import protocol
from central_sync.protocol import validate_or_flash
from kiosk.errors import DomainError
from kiosk.extensions import db

LABELS = {
    "ocop_group": {
        "food": _l("Food"), "beverage": _l("Beverages"), "herbal": _l("Herbal products"),
        "textile": _l("Textiles and garments"), "handicraft": _l("Handicrafts and decor"),
        "tourism": _l("Rural tourism"),
    },
    "producer_kind": {"cooperative": _l("Cooperative"), "company": _l("Company"), "household": _l("Household")},
    "payment_method": {"cash": _l("Cash"), "transfer": _l("Bank transfer"), "card": _l("Card")},
    "adjustment_reason": {"damaged": _l("Damaged"), "expired": _l("Expired"), "count": _l("Stock count"),
                          "other": _l("Other")},
    "sale_status": {"paid": _l("Paid"), "partially_refunded": _l("Partly refunded"), "refunded": _l("Refunded")},
    "transfer_status": {"in_transit": _l("On its way"), "received": _l("Received")},
    "stock_state": {"negative": _l("below zero"), "low": _l("low")},
    "role": {"vendor": _l("Vendor"), "manager": _l("Manager")},
    "print_status": {"queued": _l("Waiting for the printer"), "printing": _l("Printing"), "printed": _l("Printed"),
                     "failed": _l("Not printed yet, retrying"), "cancelled": _l("Cancelled"),
                     "disabled": _l("No printer")},
    "printer_kind": {"none": _l("none"), "preview": _l("preview (pictures in instance/receipts)"),
                     "network": _l("network"), "usb": "USB", "serial": _l("serial"), "file": _l("device file")},
    "warning": {"insufficient_stock": _l("More than the stock on hand"),
                "certificate_expired": _l("OCOP certificate expired")},
    "audit_action": {
        "sale.create": _l("Sale"), "sale.refund": _l("Refund"), "shift.open": _l("Shift opened"),
        "shift.close": _l("Shift closed"), "stock.adjust": _l("Stock adjustment"),
        "transfer.receive": _l("Transfer received"), "user.create": _l("User created"),
        "user.password_reset": _l("Password reset"), "user.activate": _l("User reactivated"),
        "user.deactivate": _l("User deactivated"),
        "sale.renumber": _l("Receipt renumbered after a restore"),
        "stock.resync": _l("Stock set to central's figures after a restore"),
    },
}

# Error codes of the contract, as a vendor should read them.
ERROR_MESSAGES = {
    "invalid_credentials": _l("Wrong username or password."),
    "too_many_attempts": _l("Too many failed logins; wait a few minutes and try again."),
    "no_open_shift": _l("No shift is open. Open a shift first."),
    "shift_already_open": _l("A shift is already open."),
    "unknown_product": _l("This product is not in the catalogue."),
    "insufficient_payment": _l("The payments do not cover the total."),
    "refund_exceeds_sale": _l("That is more than can still be refunded on this sale."),
    "transfer_already_received": _l("This transfer was received already."),
    "user_exists": _l("A user with this name already exists."),
    "cannot_deactivate_self": _l("You cannot deactivate yourself."),
    "already_printed": _l("This receipt was printed already; use Print again on its sale."),
    "printer_disabled": _l("No printer is set up on this kiosk: nothing can be printed."),
    "not_found": _l("Not found."),
    # validation errors, by field
    "validation_error:username": _l("A username is 1 to 64 letters, digits, dots or underscores."),
    "validation_error:password": _l("A password has 8 to 256 characters and is neither the username nor a "
                                    "common password."),
    "validation_error:lines": _l("Give the received quantity of every line of the shipment."),
}

MAX_PAGE = 100_000

# Bank names of common Vietnamese bank BINs, to show next to the account for a transfer.
BANK_NAMES = {
    "970436": "Vietcombank", "970415": "VietinBank", "970418": "BIDV", "970405": "Agribank",
    "970422": "MB Bank", "970407": "Techcombank", "970416": "ACB", "970432": "VPBank",
    "970423": "TPBank", "970403": "Sacombank", "970448": "OCB", "970441": "VIB",
}


def label(code: str | None, kind: str) -> str:
    """The translated label of ``code`` (a payment method, an OCOP group...), or the code itself."""
    if code is None:
        return ""
    return str(LABELS[kind].get(code, code))


def error_message(error: DomainError) -> str:
    known = ERROR_MESSAGES.get(f"{error.code}:{error.field}", ERROR_MESSAGES.get(error.code))
    return str(known) if known is not None else error.message


def flash_error(error: DomainError) -> None:
    flash(error_message(error), "error")


def commit_or_flash(call):
    """Run ``call`` (a service call), commit (the route's one commit) and return its result; when the
    service refuses (a DomainError), roll back, flash why in the reader's language and return None."""
    return protocol.commit_or_flash(db.session, call, error_message)


def submit(form, call):
    """A posted form: if it is valid, ``commit_or_flash(call)``; if not, flash its errors and return None."""
    return commit_or_flash(call) if validate_or_flash(form) else None


def page_number() -> int:
    """The ``page`` query argument, from 1 to a bound that keeps OFFSET a small integer."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def stars(count: int) -> str:
    return "★" * count


def bank_name(bank_bin: str) -> str:
    """The bank's name for a BIN we know, else the BIN itself."""
    return BANK_NAMES.get(bank_bin, bank_bin)


def register(app) -> None:
    for template_filter in (label, stars, bank_name):
        app.add_template_filter(template_filter)
