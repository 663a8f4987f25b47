"""The catalogue's pages: producers, products with their OCOP data, prices (a history: only ever added)."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from central_sync import ui
from central_sync.catalog import services
from central_sync.catalog.forms import PriceForm, ProducerForm, ProductForm
from central_sync.models import OCOP_GROUPS
from central_sync.network.services import list_locations, location_by_code

bp = Blueprint("catalog_views", __name__, template_folder="templates")


@bp.get("/producers")
@ui.page_login_required()
def producers():
    return render_template("catalog/producers.html", producers=services.list_producers())


@bp.route("/producers/new", methods=["GET", "POST"])
@ui.admin_required
def new_producer():
    form = ProducerForm()
    if request.method == "POST" and ui.submit(form, lambda: services.save_producer(form.data_for_service())):
        flash(_("Producer saved."), "success")
        return redirect(url_for("catalog_views.producers"))
    return render_template("catalog/producer_form.html", form=form, producer=None)


@bp.route("/producers/<int:producer_id>", methods=["GET", "POST"])
@ui.admin_required
def edit_producer(producer_id: int):
    producer = ui.or_404(lambda: services.get_producer(producer_id))
    form = ProducerForm(obj=producer)
    if request.method == "POST" and ui.submit(
            form, lambda: services.save_producer(form.data_for_service(), producer_id)):
        flash(_("Producer saved."), "success")
        return redirect(url_for("catalog_views.producers"))
    return render_template("catalog/producer_form.html", form=form, producer=producer)


def _int_arg(name: str, allowed) -> int | None:
    value = request.args.get(name, type=int)
    return value if value in allowed else None


@bp.get("/products")
@ui.page_login_required()
def products():
    producers = services.list_producers()
    q = request.args.get("q", "").strip()[:100]
    stars = _int_arg("stars", (3, 4, 5))
    group = request.args.get("group") if request.args.get("group") in OCOP_GROUPS else None
    producer_id = _int_arg("producer", {p.id for p in producers})
    found = services.find_products(q or None, stars, group, producer_id)
    days = current_app.config["CERTIFICATE_WARNING_DAYS"]
    rows = [(p, services.certificate_state(p, days)) for p in found]
    return render_template("catalog/products.html", rows=rows, prices=services.current_prices(),
                           producers=producers, q=q, stars=stars, group=group, producer_id=producer_id,
                           groups=OCOP_GROUPS)


def _producer_choices(form: ProductForm) -> None:
    form.producer_id.choices = [SelectChoice(p.id, p.name) for p in services.list_producers()]


@bp.route("/products/new", methods=["GET", "POST"])
@ui.admin_required
def new_product():
    form = ProductForm()
    _producer_choices(form)
    if request.method == "POST":
        data = lambda: form.data_for_service() | {"sku": form.sku.data}  # noqa: E731
        product = ui.submit(form, lambda: services.create_product(data(), form.price_vnd.data, g.user))
        if product is not None:
            flash(_("Product saved."), "success")
            return redirect(url_for("catalog_views.product", sku=product.sku))
    return render_template("catalog/product_new.html", form=form)


def _price_form() -> PriceForm:
    form = PriceForm()
    form.location.choices = [SelectChoice("", _("Every location"))] + [
        SelectChoice(location.code, f"{location.code} · {location.name}") for location, _sync in list_locations()
        if location.kind != "warehouse"]
    return form


def _product_page(product, form: ProductForm, price_form: PriceForm, status: int = 200):
    codes = {location.id: location.code for location, _sync in list_locations()}
    return render_template("catalog/product.html", product=product, form=form, price_form=price_form,
                           history=services.price_history(product), codes=codes,
                           price=services.price_of(product),
                           certificate=services.certificate_state(product, current_app.config["CERTIFICATE_WARNING_DAYS"])), status


@bp.get("/products/<sku>")
@ui.page_login_required()
def product(sku: str):
    found = ui.or_404(lambda: services.get_product(sku))
    form = ProductForm(obj=found, data={"ocop_stars": str(found.ocop_stars)})
    _producer_choices(form)
    return _product_page(found, form, _price_form())


@bp.post("/products/<sku>")
@ui.admin_required
def edit_product(sku: str):
    found = ui.or_404(lambda: services.get_product(sku))
    form = ProductForm()
    _producer_choices(form)
    del form.sku, form.price_vnd  # neither is edited here
    if ui.submit(form, lambda: services.update_product(found, form.data_for_service())):
        flash(_("Product saved."), "success")
        return redirect(url_for("catalog_views.product", sku=sku))
    return _product_page(found, form, _price_form(), 422)


@bp.post("/products/<sku>/prices")
@ui.admin_required
def add_price(sku: str):
    found = ui.or_404(lambda: services.get_product(sku))
    form = _price_form()

    def add():
        location = location_by_code(form.location.data) if form.location.data else None
        return services.set_price(found, form.price_vnd.data, location=location, user=g.user)

    if ui.submit(form, add):
        flash(_("New price saved."), "success")
        return redirect(url_for("catalog_views.product", sku=sku))
    edit_form = ProductForm(obj=found, data={"ocop_stars": str(found.ocop_stars)})
    _producer_choices(edit_form)
    return _product_page(found, edit_form, form, 422)
