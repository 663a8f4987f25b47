"""Stock pages: transfers from the warehouse to the sale points, and the stock of each location."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from central_sync import ui
from central_sync.catalog.services import find_products, products_by_sku
from central_sync.network.services import get_location, list_locations
from central_sync.protocol import DomainError
from central_sync.stock import services
from central_sync.stock.forms import TransferForm

bp = Blueprint("stock_views", __name__, template_folder="templates")


@bp.get("/transfers")
@ui.page_login_required()
def transfers():
    status = request.args.get("status") if request.args.get("status") in ("in_transit", "received") else None
    found = services.list_transfers(status)
    return render_template("stock/transfers.html", transfers=found, status=status,
                           lines=services.transfer_lines([t.id for t in found]), codes=services.location_codes())


@bp.route("/transfers/new", methods=["GET", "POST"])
@ui.admin_required
def new_transfer():
    form = TransferForm()
    locations = [location for location, _sync in list_locations()]
    choice = lambda l: SelectChoice(l.code, f"{l.code} · {l.name}")  # noqa: E731
    form.from_location.choices = [choice(l) for l in locations if l.kind == "warehouse"]
    form.to_location.choices = [choice(l) for l in locations if l.kind != "warehouse"]
    if request.method == "POST":
        transfer = ui.submit(form, lambda: _ship(form))
        if transfer is not None:
            flash(_("Transfer shipped: the goods are on their way."), "success")
            return redirect(url_for("stock_views.transfer", transfer_id=transfer.id))
    return render_template("stock/transfer_new.html", form=form, products=find_products()), \
        200 if request.method == "GET" else 422


def _ship(form: TransferForm):
    """The transfer of the form's lines; a refused line is named by its SKU (the service numbers it)."""
    wanted = form.quantities()
    try:
        return services.create_transfer(form.from_location.data, form.to_location.data, wanted, g.user)
    except DomainError as error:
        index = (error.field or "").split(".")
        if len(index) == 3 and index[1].isdigit() and int(index[1]) < len(wanted):
            error.extra.setdefault("sku", list(wanted)[int(index[1])])
        raise


@bp.get("/transfers/<transfer_id>")
@ui.page_login_required()
def transfer(transfer_id: str):
    found = ui.or_404(lambda: services.get_transfer(transfer_id))
    lines = services.transfer_lines([found.id])[found.id]
    return render_template("stock/transfer.html", transfer=found, lines=lines, codes=services.location_codes(),
                           products=products_by_sku(sku for sku, _line in lines))


@bp.get("/locations/<code>/stock")
@ui.page_login_required()
def location_stock(code: str):
    location = ui.or_404(lambda: get_location(code))
    return render_template("stock/location_stock.html", location=location, rows=services.location_stock(code))
