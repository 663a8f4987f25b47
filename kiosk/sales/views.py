from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import ValidationError

from kiosk import ui
from kiosk.auth.guards import page_login_required
from kiosk.catalog.services import find_products, product_json
from kiosk.clock import local_today
from kiosk.errors import NotFound
from kiosk.i18n import vnd
from kiosk.payments.vietqr import svg as vietqr_svg
from kiosk.printing import services as printing
from kiosk.printing import worker
from kiosk.sales import services
from kiosk.sales.forms import RefundForm
from kiosk.sales.schemas import RefundIn, RefundLineIn
from kiosk.shifts.services import current_shift

bp = Blueprint("sales", __name__, template_folder="templates")
GRID_SIZE = 120  # products shown before a search; the search reaches the whole catalogue
PAGE_SIZE = 30


def _sale_or_404(sale_id: str):
    try:
        return services.get_sale(sale_id)
    except NotFound:
        abort(404)


@bp.get("/sell")
@page_login_required()
def sell():
    today = local_today()
    products = [product_json(p, qty, today) for p, qty in find_products(limit=GRID_SIZE)]
    return render_template("sales/sell.html", shift=current_shift(), products=products)


@bp.get("/sales")
@page_login_required()
def index():
    today = local_today()
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = today
    page = ui.page_number()
    sales, has_next = services.sales_on(day, page, PAGE_SIZE)
    return render_template("sales/index.html", sales=sales, day=day, today=today, page=page, has_next=has_next,
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


@bp.get("/sales/<sale_id>")
@page_login_required()
def detail(sale_id: str):
    sale = _sale_or_404(sale_id)
    form = RefundForm()
    if not form.lines.entries:
        for _line in sale.lines:
            form.lines.append_entry()
    return render_template("sales/detail.html", sale=sale, form=form, print_status=printing.print_status(sale.id))


@bp.post("/sales/<sale_id>/reprint")
@page_login_required()
def reprint(sale_id: str):
    sale = _sale_or_404(sale_id)
    if ui.commit_or_flash(lambda: printing.reprint(sale)):
        worker.notify(current_app)
        flash(_("The receipt is printing again."), "success")
    return redirect(url_for("sales.detail", sale_id=sale.id))


def _refund_request(form: RefundForm, sale) -> RefundIn | None:
    """The API's refund body for the quantities typed on the sale's lines; None, with a flash saying why,
    when there is nothing to refund or a quantity is beyond any sale."""
    wanted = form.quantities(sale.lines)
    if not wanted:
        flash(_("Type the quantity to refund on at least one line."), "error")
        return None
    try:
        return RefundIn(lines=[RefundLineIn(sku=sku, qty=qty) for sku, qty in wanted.items()],
                        reason=form.reason.data.strip())
    except ValidationError:
        flash(str(ui.ERROR_MESSAGES["refund_exceeds_sale"]), "error")
        return None


@bp.post("/sales/<sale_id>/refund")
@page_login_required("manager")
def refund(sale_id: str):
    sale = _sale_or_404(sale_id)
    form = RefundForm()
    body = _refund_request(form, sale) if ui.validate_or_flash(form) else None
    if body is not None:
        made = ui.commit_or_flash(lambda: services.refund_sale(sale.id, body, g.user))
        if made is not None:
            flash(_("Refunded %(amount)s. Give it back in cash.", amount=vnd(made.total_vnd)), "success")
    return redirect(url_for("sales.detail", sale_id=sale.id))


@bp.get("/sales/<sale_id>/vietqr.svg")
@page_login_required()
def vietqr(sale_id: str):
    sale = _sale_or_404(sale_id)
    if not sale.vietqr:
        abort(404)
    return vietqr_svg(sale.vietqr), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "private, max-age=86400"}
