"""A producer's page: its products, their stock at each sale point, its sales by month (net of refunds)."""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from central_sync import ui
from central_sync.catalog.services import get_producer
from central_sync.review import producers, stock
from central_sync.review.export import FORMATS, send_table
from central_sync.review.views_stock import REVIEWERS, STATES, low_stock, stock_header

bp = Blueprint("review_producer", __name__, url_prefix="/review", template_folder="templates")

TABLES = ("products", "stock", "sales")


def _months() -> int:
    months = request.args.get("months", type=int)
    return months if months in producers.MONTH_CHOICES else producers.MONTH_CHOICES[0]


def _page(producer_id: int) -> dict:
    """Everything the page shows: the producer, its stock matrix, its sales per month and per product."""
    producer = ui.or_404(lambda: get_producer(producer_id))
    months = _months()
    matrix = stock.stock_matrix(stock.StockFilters(producer_id=producer.id), low_stock())
    sales = producers.producer_sales(producer.id, producers.first_month(months))
    return {"producer": producer, "months": months, "matrix": matrix, "monthly": producers.by_month(sales),
            "per_product": producers.by_product(sales)}


@bp.get("/producers/<int:producer_id>")
@ui.page_login_required(*REVIEWERS)
def producer(producer_id: int):
    page = _page(producer_id)
    best = max([row["net_vnd"] for row in page["monthly"]] + [1])
    return render_template("review/producer.html", **page, best=best, low=low_stock(), products=product_rows(page),
                           month_choices=producers.MONTH_CHOICES)


@bp.get("/producers/<int:producer_id>/<table>.<fmt>")
@ui.page_login_required(*REVIEWERS)
def export(producer_id: int, table: str, fmt: str):
    if fmt not in FORMATS or table not in TABLES:
        abort(404)
    page = _page(producer_id)
    name = f"nha-san-xuat-{producer_id}-{table}"
    if table == "stock":
        rows = [row[:-1] + [str(STATES[row[-1]])] for row in stock.matrix_rows(page["matrix"])]
        return send_table(fmt, name, stock_header(), rows, sheet=_("Stock"))
    money = [_("Sold"), _("Sales (VND)"), _("Refunded"), _("Refunds (VND)"), _("Net quantity"), _("Net revenue (VND)")]
    if table == "sales":
        return send_table(fmt, name, [_("Month")] + money, [[row["month"]] + _figures(row) for row in page["monthly"]],
                          sheet=_("Sales by month"))
    return send_table(fmt, name, [_("SKU"), _("Product"), _("OCOP stars"), _("On hand"), _("In transit")] + money,
                      product_rows(page), sheet=_("Products"))


def _figures(row: dict) -> list[int]:
    return [row.get(k, 0) for k in ("sold_qty", "sold_vnd", "refunded_qty", "refunded_vnd", "net_qty", "net_vnd")]


def product_rows(page: dict) -> list[list]:
    """One row per product of the producer: stock at the sale points and sales over the page's months."""
    rows = []
    for product in page["matrix"].products:
        total = page["matrix"].totals.get(product.id) or stock.Cell(on_hand=0)
        rows.append([product.sku, product.name, product.ocop_stars, total.on_hand or 0, total.in_transit]
                    + _figures(page["per_product"].get(product.id, {})))
    return rows
