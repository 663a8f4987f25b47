from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from kiosk import ui
from kiosk.auth.guards import page_login_required
from kiosk.catalog.services import products_by_sku
from kiosk.stock import services
from kiosk.stock.forms import AdjustmentForm, CountForm, ReceiveForm

bp = Blueprint("stock", __name__, template_folder="templates")


def _adjustment_form(levels) -> AdjustmentForm:
    form = AdjustmentForm()
    form.sku.choices = [SelectChoice(p.sku, f"{p.name} · {p.sku}") for p, _qty in levels]
    return form


@bp.get("/stock")
@page_login_required()
def stock():
    levels, low = services.stock_levels(), current_app.config["LOW_STOCK_THRESHOLD"]
    rows = [(product, qty, services.stock_state(qty, low)) for product, qty in levels]
    return render_template("stock/stock.html", rows=rows, form=_adjustment_form(levels), low=low)


@bp.post("/stock/adjustments")
@page_login_required("manager")
def adjust():
    form = _adjustment_form(services.stock_levels())
    result = ui.submit(form, lambda: services.adjust(form.sku.data, form.delta, form.reason.data, g.user,
                                                     form.note.data or None))
    if result is not None:
        flash(_("Stock of %(sku)s is now %(qty)d.", sku=result["sku"], qty=result["qty"]), "success")
    return redirect(url_for("stock.stock"))


@bp.route("/stock/count", methods=["GET", "POST"])
@page_login_required("manager")
def count():
    form = CountForm()
    if form.is_submitted():
        changes = ui.submit(form, lambda: services.record_count(form.counted(), g.user))
        if changes is not None:
            flash(_("Count saved: %(n)d products corrected.", n=len(changes)), "success")
            return redirect(url_for("stock.stock"))
    levels = services.stock_levels()
    if not form.lines.entries:
        for product, _qty in levels:
            form.lines.append_entry({"sku": product.sku})
    by_sku = {product.sku: (product, qty) for product, qty in levels}
    return render_template("stock/count.html", form=form, by_sku=by_sku)


@bp.get("/transfers")
@page_login_required()
def transfers():
    rows = services.list_transfers()
    names = {sku: product.name for sku, product in
             products_by_sku({line.sku for _t, lines in rows for line in lines}).items()}
    forms = {}
    for transfer, lines in rows:
        if transfer.status == "in_transit":
            form = ReceiveForm(prefix=f"t{transfer.id}")
            for line in lines:
                form.lines.append_entry({"sku": line.sku, "received_qty": line.qty})
            forms[transfer.id] = form
    return render_template("stock/transfers.html", rows=rows, names=names, forms=forms)


@bp.post("/transfers/<transfer_id>/receive")
@page_login_required()
def receive(transfer_id: str):
    form = ReceiveForm(prefix=f"t{transfer_id}")
    if ui.submit(form, lambda: services.receive_transfer(transfer_id, form.received(), g.user)) is not None:
        flash(_("Transfer received; the stock is updated."), "success")
    return redirect(url_for("stock.transfers"))
