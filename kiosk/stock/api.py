from typing import Literal

from flask import Blueprint, g
from pydantic import Field, field_validator

from kiosk.auth.guards import api_login_required
from kiosk.extensions import db
from kiosk.sales.schemas import MAX_QTY
from kiosk.stock import services
from kiosk.validation import Body, parse_body

bp = Blueprint("stock_api", __name__)


class AdjustmentIn(Body):
    sku: str = Field(min_length=1, max_length=32)
    delta: int = Field(ge=-100 * MAX_QTY, le=100 * MAX_QTY)
    reason: Literal["damaged", "expired", "count", "other"]
    note: str | None = Field(default=None, max_length=200)

    @field_validator("delta")
    @classmethod
    def not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("delta must not be zero")
        return value


class ReceivedLineIn(Body):
    sku: str = Field(min_length=1, max_length=32)
    received_qty: int = Field(ge=0, le=100 * MAX_QTY)


class ReceiveIn(Body):
    lines: list[ReceivedLineIn] = Field(max_length=500)


@bp.get("/stock")
@api_login_required()
def stock():
    return {"stock": [{"sku": product.sku, "qty": qty} for product, qty in services.stock_levels()]}


@bp.post("/stock/adjustments")
@api_login_required("manager")
def adjust():
    body = parse_body(AdjustmentIn)
    result = services.adjust(body.sku, body.delta, body.reason, g.user, body.note)
    db.session.commit()
    return result, 201


@bp.get("/transfers")
@api_login_required()
def transfers():
    return {"transfers": [
        {"id": t.id, "status": t.status, "shipped_at": t.shipped_at.isoformat() if t.shipped_at else None,
         "lines": [{"sku": l.sku, "qty": l.qty, "received_qty": l.received_qty} for l in lines]}
        for t, lines in services.list_transfers()]}


@bp.post("/transfers/<transfer_id>/receive")
@api_login_required()
def receive(transfer_id: str):
    body = parse_body(ReceiveIn)
    received = {}
    for line in body.lines:
        received[line.sku] = received.get(line.sku, 0) + line.received_qty
    transfer = services.receive_transfer(transfer_id, received, g.user)
    db.session.commit()
    return {"id": transfer.id, "status": transfer.status}
