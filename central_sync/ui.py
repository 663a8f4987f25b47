"""What the admin pages share: the login guard, CSRF on every form, labels for the domain's codes and
friendly error messages in the reader's language (codes stay English in the database and the API)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from central_sync import protocol
from central_sync.extensions import csrf, db, login_manager
from central_sync.protocol import (DomainError, NotFound, json_error, same_site_referrer, validate_or_flash,
                                   wants_json)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

LABELS = {
    "ocop_group": {
        "food": _l("Food"), "beverage": _l("Beverages"), "herbal": _l("Herbal products"),
        "textile": _l("Textiles and garments"), "handicraft": _l("Handicrafts and decor"),
        "tourism": _l("Rural tourism"),
    },
    "producer_kind": {"cooperative": _l("Cooperative"), "company": _l("Company"), "household": _l("Household")},
    "location_kind": {"warehouse": _l("Warehouse"), "cluster": _l("Kiosk cluster"), "kiosk": _l("Kiosk")},
    "transfer_status": {"in_transit": _l("On its way"), "received": _l("Received")},
    "certificate": {"expired": _l("Expired"), "expiring": _l("Expires soon")},
    "role": {"admin": _l("Administrator"), "reviewer": _l("Reviewer")},
}

# The contract's error codes (and validation errors by field), as an office worker should read them;
# %(sku)s and the like come from the error's details.
ERROR_MESSAGES = {
    "invalid_credentials": _l("Wrong username or password."),
    "too_many_attempts": _l("Too many failed logins; wait a few minutes and try again."),
    "unknown_location": _l("No location has this code."),
    "unknown_product": _l("No product has the SKU %(sku)s."),
    "insufficient_stock": _l("Not enough stock of %(sku)s at the sending location: nothing was shipped."),
    "device_exists": _l("This location has an active device already; rotate its token or revoke it first."),
    "device_revoked": _l("This device is revoked; create a new one."),
    "duplicate_tax_code": _l("Another producer has this tax code."),
    "product_exists": _l("A product with this SKU exists already."),
    "duplicate_barcode": _l("Another product has this barcode."),
    "location_exists": _l("A location with this code exists already."),
    "not_found": _l("Not found."),
    "validation_error:to_location": _l("A transfer goes to another location."),
    "validation_error:location": _l("Devices are for kiosks and kiosk clusters only."),
}


def label(code: str | None, kind: str) -> str:
    """The translated label of ``code`` (an OCOP group, a location kind...), or the code itself."""
    if code is None:
        return ""
    return str(LABELS[kind].get(code, code))


class _Details(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def error_message(error: DomainError) -> str:
    known = ERROR_MESSAGES.get(f"{error.code}:{error.field}", ERROR_MESSAGES.get(error.code))
    return str(known) % _Details(error.extra) if known is not None else error.message


def flash_error(error: DomainError) -> None:
    flash(error_message(error), "error")


def commit_or_flash(call):
    """Run a service call and commit once; a refusal is rolled back and flashed in the reader's language."""
    return protocol.commit_or_flash(db.session, call, error_message)


def submit(form, call):
    """A posted form: if it is valid, ``commit_or_flash(call)``; if not, flash its errors and return None."""
    return commit_or_flash(call) if validate_or_flash(form) else None


def or_404(find):
    """A page's subject, or the 404 page (its service raises NotFound)."""
    try:
        return find()
    except NotFound:
        abort(404)


def stars(count: int) -> str:
    return "★" * count


page_login_required = protocol.page_login_required(login_manager)  # for pages: (*roles), none: any user
admin_required = page_login_required("admin")


def protect_forms() -> None:
    """CSRF on every page's POST. The JSON API authenticates with bearer tokens, never the session cookie,
    so a forged cross-site request carries nothing it would accept: it needs no CSRF token."""
    if request.method not in SAFE_METHODS and not wants_json():
        csrf.protect()


def csrf_failed(error: CSRFError):
    flash(_("The page had expired. Please try again."), "error")
    return redirect(same_site_referrer() or url_for("catalog_views.products"))


def forbidden(error):
    if wants_json():
        return json_error(403, "forbidden", error.description)
    return render_template("forbidden.html"), 403


def page_globals() -> dict:
    return {"lang": str(get_locale() or "vi")}


def register(app) -> None:
    """Template filters, the forms' CSRF check and the pages' error answers."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # protect_forms decides, for pages only
    app.before_request(protect_forms)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(403, forbidden)
    app.context_processor(page_globals)
    for template_filter in (label, stars):
        app.add_template_filter(template_filter)
