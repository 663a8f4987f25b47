"""The stock matrix: every product (rows) at every sale point (columns), filtered, with its exports."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from central_sync import ui
from central_sync.models import LOCATION_KINDS, OCOP_GROUPS
from central_sync.review import stock
from central_sync.review.export import FORMATS, send_table

bp = Blueprint("review_stock", __name__, url_prefix="/review", template_folder="templates",
               static_folder="static", static_url_path="/static")

REVIEWERS = ("admin", "reviewer")
STATES = {"negative": _l("Negative"), "low": _l("Low"), "ok": _l("OK"), "transit": _l("In transit"), "none": ""}


def parse_filters(args) -> stock.StockFilters:
    """The matrix's filters from a query string; a value that is not one of the choices is ignored."""
    def number(name, allowed=None):
        value = args.get(name, type=int)
        return value if value is not None and (allowed is None or value in allowed) else None

    def text(name, allowed=None):
        value = (args.get(name) or "").strip()[:200]
        return value if value and (allowed is None or value in allowed) else None

    return stock.StockFilters(district=text("district"), kind=text("kind", LOCATION_KINDS), market=text("market"),
                              producer_id=number("producer"), group=text("group", OCOP_GROUPS),
                              stars=number("stars", (3, 4, 5)))


def low_stock() -> stock.LowStock:
    config = current_app.config
    return stock.LowStock(qty=config.get("LOW_STOCK_THRESHOLD", stock.LOW_STOCK_QTY),
                          cover_days=config.get("LOW_STOCK_COVER_DAYS", stock.LOW_COVER_DAYS))


@bp.get("/stock")
@ui.page_login_required(*REVIEWERS)
def matrix():
    filters = parse_filters(request.args)
    found = stock.stock_matrix(filters, low_stock())
    return render_template("review/stock_matrix.html", matrix=found, filters=filters, low=low_stock(),
                           choices=stock.filter_choices(), groups=OCOP_GROUPS, kinds=LOCATION_KINDS)


@bp.get("/stock/export.<fmt>")
@ui.page_login_required(*REVIEWERS)
def export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    found = stock.stock_matrix(parse_filters(request.args), low_stock())
    return send_table(fmt, "ton-kho", stock_header(), [row[:-1] + [str(STATES[row[-1]])]
                                                         for row in stock.matrix_rows(found)], sheet=_("Stock"))


def stock_header() -> list[str]:
    return [_("Location"), _("Location name"), _("District"), _("SKU"), _("Product"), _("Producer"), _("OCOP stars"),
            _("On hand"), _("In transit"), _("Sold in %(days)s days", days=stock.COVER_WINDOW_DAYS),
            _("Days of cover"), _("State")]
