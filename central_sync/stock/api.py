from typing import Literal

from flask import Blueprint, g, request
from pydantic import Field

from central_sync.auth.guards import api_login_required
from central_sync.extensions import db
from central_sync.protocol import Body, ValidationFailed, parse_body
from central_sync.stock import services

bp = Blueprint("stock_api", __name__)

MAX_QTY = 1_000_000  # a line of more is a typing mistake, not a shipment
MAX_LINES = 500


class TransferLineIn(Body):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(ge=1, le=MAX_QTY)


class TransferIn(Body):
    from_location: str = Field(min_length=1, max_length=16)
    to_location: str = Field(min_length=1, max_length=16)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=MAX_LINES)


class AdjustmentIn(Body):
    location: str = Field(min_length=1, max_length=16)
    sku: str = Field(min_length=1, max_length=32)
    delta: int = Field(ge=-MAX_QTY, le=MAX_QTY)
    reason: Literal["damaged", "expired", "count", "other"]
    note: str | None = Field(default=None, max_length=200)


def query_arg(name: str, max_length: int = 32) -> str | None:
    value = request.args.get(name) or None
    if value is not None and len(value) > max_length:
        raise ValidationFailed(f"{name} is at most {max_length} characters.", field=name)
    return value


def transfer_json(transfer, lines, codes: dict[int, str]) -> dict:
    return {"id": transfer.id, "status": transfer.status, "from_location": codes[transfer.from_location_id],
            "to_location": codes[transfer.to_location_id], "shipped_at": transfer.shipped_at.isoformat(),
            "received_at": transfer.received_at.isoformat() if transfer.received_at else None,
            "lines": [{"sku": sku, "qty": line.qty, "received_qty": line.received_qty} for sku, line in lines]}


@bp.get("/stock")
@api_login_required()
def stock():
    return {"stock": services.stock_levels(query_arg("location", 16), query_arg("sku"))}


@bp.post("/stock/adjustments")
@api_login_required("admin")
def adjust():
    body = parse_body(AdjustmentIn)
    result = services.adjust(body.location, body.sku, body.delta, body.reason, note=body.note, user=g.user)
    db.session.commit()
    return result, 201


@bp.post("/transfers")
@api_login_required("admin")
def create_transfer():
    body = parse_body(TransferIn)
    lines: dict[str, int] = {}
    for line in body.lines:  # the same SKU on two lines ships their sum
        lines[line.sku] = lines.get(line.sku, 0) + line.qty
    transfer = services.create_transfer(body.from_location, body.to_location, lines, g.user)
    db.session.commit()
    return transfer_json(transfer, services.transfer_lines([transfer.id])[transfer.id], services.location_codes()), 201


@bp.get("/transfers")
@api_login_required()
def transfers():
    status = query_arg("status")
    if status not in (None, "in_transit", "received"):
        raise ValidationFailed("status is in_transit or received.", field="status")
    found = services.list_transfers(status, query_arg("location", 16))
    lines, codes = services.transfer_lines([t.id for t in found]), services.location_codes()
    return {"transfers": [transfer_json(t, lines[t.id], codes) for t in found]}


@bp.get("/transfers/<transfer_id>")
@api_login_required()
def transfer(transfer_id: str):
    found = services.get_transfer(transfer_id)
    return transfer_json(found, services.transfer_lines([found.id])[found.id], services.location_codes())
