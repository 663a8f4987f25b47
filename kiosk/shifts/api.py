from flask import Blueprint, current_app, g
from pydantic import Field

from kiosk.auth.guards import api_login_required
from kiosk.errors import NotFound
from kiosk.extensions import db
from kiosk.printing import worker
from kiosk.sales.schemas import MAX_VND
from kiosk.shifts import services
from kiosk.validation import Body, parse_body

bp = Blueprint("shifts_api", __name__)


class OpenShiftIn(Body):
    opening_cash_vnd: int = Field(ge=0, le=MAX_VND)


class CloseShiftIn(Body):
    counted_cash_vnd: int = Field(ge=0, le=MAX_VND)


@bp.post("/shifts")
@api_login_required()
def open_shift():
    body = parse_body(OpenShiftIn)
    shift = services.open_shift(body.opening_cash_vnd, g.user)
    db.session.commit()
    return services.shift_json(shift), 201


@bp.get("/shifts/current")
@api_login_required()
def current():
    shift = services.current_shift()
    if shift is None:
        raise NotFound("No shift is open.", code="no_open_shift")
    return services.shift_json(shift)


@bp.post("/shifts/current/close")
@api_login_required()
def close():
    body = parse_body(CloseShiftIn)
    report = services.close_shift(body.counted_cash_vnd, g.user)
    db.session.commit()
    worker.notify(current_app)
    return report
