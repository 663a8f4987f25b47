from flask import Blueprint, render_template

from kiosk.auth.guards import page_login_required

bp = Blueprint("sales", __name__, template_folder="templates")


@bp.get("/sell")
@page_login_required()
def sell():
    return render_template("sales/sell.html")
