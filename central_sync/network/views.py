"""The network's pages: locations, and the devices that sync them (a token is shown once, on creation or
rotation, and never again)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from central_sync import ui
from central_sync.models import SELLING_KINDS
from central_sync.network import services
from central_sync.network.forms import LocationForm

bp = Blueprint("network_views", __name__, template_folder="templates")


@bp.get("/locations")
@ui.page_login_required()
def locations():
    return render_template("network/locations.html", rows=services.list_locations())


@bp.route("/locations/new", methods=["GET", "POST"])
@ui.admin_required
def new_location():
    form = LocationForm()
    if request.method == "POST":
        location = ui.submit(form, lambda: services.create_location(form.data_for_service() | {"code": form.code.data}))
        if location is not None:
            flash(_("Location saved."), "success")
            return redirect(url_for("network_views.location", code=location.code))
    return render_template("network/location_new.html", form=form)


def _location_page(location, form=None, token=None, device=None, status=200):
    form = form or LocationForm(obj=location)
    response = render_template("network/location.html", location=location, form=form, token=token,
                               token_device=device, devices=services.devices_of(location),
                               sells=location.kind in SELLING_KINDS), status
    return response


@bp.get("/locations/<code>")
@ui.page_login_required()
def location(code: str):
    return _location_page(ui.or_404(lambda: services.get_location(code)))


@bp.post("/locations/<code>")
@ui.admin_required
def edit_location(code: str):
    found = ui.or_404(lambda: services.get_location(code))
    form = LocationForm()
    del form.code  # a code never changes: kiosks and receipts know it
    if ui.submit(form, lambda: services.update_location(found, form.data_for_service())):
        flash(_("Location saved."), "success")
        return redirect(url_for("network_views.location", code=code))
    return _location_page(found, form, status=422)


def _token_page(location, device, token):
    """The page with the new token on it: answered to the POST itself (never put in the session or a URL,
    never cached), so that it is shown this once."""
    body, status = _location_page(location, token=token, device=device)
    return body, status, {"Cache-Control": "no-store"}


@bp.post("/locations/<code>/devices")
@ui.admin_required
def create_device(code: str):
    found = ui.or_404(lambda: services.get_location(code))
    created = ui.commit_or_flash(lambda: services.create_device(found.code))
    if created is None:
        return redirect(url_for("network_views.location", code=code))
    device, token = created
    return _token_page(found, device, token)


@bp.post("/devices/<int:device_id>/rotate")
@ui.admin_required
def rotate_device(device_id: int):
    device = ui.or_404(lambda: services.device(device_id))
    rotated = ui.commit_or_flash(lambda: services.rotate_device(device_id))
    if rotated is None:
        return redirect(url_for("network_views.location", code=device.location.code))
    return _token_page(device.location, *rotated)


@bp.post("/devices/<int:device_id>/revoke")
@ui.admin_required
def revoke_device(device_id: int):
    device = ui.or_404(lambda: services.device(device_id))
    if ui.commit_or_flash(lambda: services.revoke_device(device_id)):
        flash(_("Device revoked: its token no longer works."), "success")
    return redirect(url_for("network_views.location", code=device.location.code))
