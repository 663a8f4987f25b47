"""Selling and refunding. A sale, its lines, payments, stock movements, outbox event and audit entry
are added in the caller's transaction; the route commits once. Never commits."""
from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from types import SimpleNamespace
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

from sqlalchemy import bindparam, insert, select

from kiosk import counters
from kiosk.audit import services as audit
from kiosk.catalog.services import products_for_sale
from kiosk.clock import LOCAL_TZ, local_today
from kiosk.errors import Conflict, NotFound, ValidationFailed
from kiosk.extensions import db
from kiosk.models.catalog import certificate_expired
from kiosk.models import Payment, Refund, RefundLine, Sale, SaleLine, User, new_id, utcnow
from kiosk.payments import vietqr
from kiosk.printing import services as printing
from kiosk.sales.schemas import RefundIn, SaleIn
from kiosk.shifts.services import require_open_shift
from kiosk.stock.services import move_stock
from kiosk.sync.outbox import record_event

SALE_COUNTER = "sale_number"
_INSERT_SALE, _INSERT_LINE, _INSERT_PAYMENT = (insert(model.__table__) for model in (Sale, SaleLine, Payment))
_FINGERPRINT = select(Sale.fingerprint).where(Sale.id == bindparam("id"))


@dataclass(frozen=True)
class Till:
    """The kiosk's settings a sale needs."""

    kiosk_code: str
    bank_bin: str
    account_no: str

    @classmethod
    def from_config(cls, config) -> "Till":
        return cls(config["KIOSK_CODE"], config["VIETQR_BANK_BIN"], config["VIETQR_ACCOUNT_NO"])


def get_sale(sale_id: str) -> Sale:
    """The sale with this id, however its UUID is written (a client may send its id in upper case)."""
    try:
        sale = db.session.get(Sale, str(UUID(sale_id)))
    except ValueError:
        sale = None
    if sale is None:
        raise NotFound("No sale has this id.")
    return sale


def create_sale(request: SaleIn, cashier: User, till: Till) -> tuple[Sale | SimpleNamespace, bool]:
    """The sale for this request, and whether it was made now (False: a retry of an earlier one).

    A new sale comes back as a plain record that reads like a `Sale` (its lines and payments too): the
    till's hottest path writes it with one INSERT per table and builds no ORM objects."""
    fingerprint = request.fingerprint()
    if request.id is not None:
        known = db.session.connection().execute(_FINGERPRINT, {"id": str(request.id)}).scalar()
        if known is not None:
            if known != fingerprint:
                raise Conflict("A different sale already has this id.", code="idempotency_conflict", field="id")
            return db.session.get(Sale, str(request.id)), False
    shift_id = require_open_shift()

    products = products_for_sale(line.sku for line in request.lines)
    sale_id = str(request.id) if request.id else new_id()
    lines = []
    for i, line in enumerate(request.lines):
        product = products.get(line.sku)
        if product is None or not product.active:
            raise ValidationFailed(f"No product has SKU {line.sku}.", code="unknown_product",
                                   field=f"lines.{i}.sku")
        discount = line.discount_vnd or 0
        if discount > line.qty * product.price_vnd:
            raise ValidationFailed("A discount cannot exceed the line's price.", field=f"lines.{i}.discount_vnd")
        lines.append(SimpleNamespace(
            sale_id=sale_id, line_no=i + 1, product_id=product.id, sku=product.sku, name=product.name,
            ocop_stars=product.ocop_stars, qty=line.qty, unit_price_vnd=product.price_vnd, discount_vnd=discount,
            total_vnd=line.qty * product.price_vnd - discount, refunded_qty=0))
    total = sum(line.total_vnd for line in lines)

    paid = sum(p.amount_vnd for p in request.payments)
    non_cash = sum(p.amount_vnd for p in request.payments if p.method != "cash")
    if non_cash > total:
        raise ValidationFailed("Transfer and card payments cannot exceed what is due.", field="payments")
    if paid < total:
        raise ValidationFailed(f"Payments of {paid} do not cover the total of {total}.",
                               code="insufficient_payment", field="payments")

    sold: dict[str, int] = {}
    for line in lines:
        sold[line.sku] = sold.get(line.sku, 0) + line.qty
    today = local_today()
    warnings = [{"code": "insufficient_stock", "sku": sku} for sku, qty in sold.items()
                if products[sku].on_hand - qty < 0]
    warnings += [{"code": "certificate_expired", "sku": sku} for sku in sold
                 if certificate_expired(products[sku].certificate_expires_on, today)]

    number = receipt_number(till.kiosk_code, counters.next_value(SALE_COUNTER))
    transfer = sum(p.amount_vnd for p in request.payments if p.method == "transfer")
    sale = SimpleNamespace(
        id=sale_id, number=number, shift_id=shift_id, cashier_id=cashier.id, created_at=utcnow(),
        total_vnd=total, paid_vnd=paid, change_vnd=paid - total, status="paid", note=request.note,
        fingerprint=fingerprint, warnings=warnings,
        vietqr=vietqr.payload(till.bank_bin, till.account_no, transfer, number) if transfer else None)
    payments = [SimpleNamespace(sale_id=sale_id, method=p.method, amount_vnd=p.amount_vnd) for p in request.payments]
    _insert(sale, lines, payments)
    sale.cashier, sale.lines, sale.payments = cashier, lines, payments
    move_stock([(line.product_id, -line.qty) for line in lines], "sale", ref=sale.id, user=cashier)
    record_event("sale", sale_event(sale), occurred_at=sale.created_at)
    audit.record(cashier, "sale.create", "sale", sale.id, number=number, total_vnd=total)
    sale.print_status = printing.enqueue("sale", sale_id=sale.id)
    return sale, True


def receipt_number(kiosk_code: str, value: int) -> str:
    """A sale's number, for people: the kiosk's code and its counter (unique across kiosks)."""
    return f"{kiosk_code}-{value:06d}"


def _insert(sale: SimpleNamespace, lines: list[SimpleNamespace], payments: list[SimpleNamespace]) -> None:
    """Write a new sale with one INSERT per table instead of the unit of work (the till's hottest path)."""
    connection = db.session.connection()
    connection.execute(_INSERT_SALE, [vars(sale)])
    connection.execute(_INSERT_LINE, [vars(line) for line in lines])
    if payments:
        connection.execute(_INSERT_PAYMENT, [vars(payment) for payment in payments])


def refund_sale(sale_id: str, request: RefundIn, user: User) -> Refund:
    sale = get_sale(sale_id)
    shift_id = require_open_shift()
    wanted = Tally()
    for line in request.lines:
        wanted[line.sku] += line.qty
    for i, line in enumerate(request.lines):
        left = sum(l.qty - l.refunded_qty for l in sale.lines if l.sku == line.sku)
        if wanted[line.sku] > left:
            raise ValidationFailed(f"Only {left} of {line.sku} can still be refunded on this sale.",
                                   code="refund_exceeds_sale", field=f"lines.{i}.qty")

    refund = Refund(sale_id=sale.id, shift_id=shift_id, created_by_id=user.id, reason=request.reason,
                    created_at=utcnow(), total_vnd=0)
    db.session.add(refund)
    db.session.flush()
    moves = []
    for sale_line in sale.lines:
        take = min(wanted[sale_line.sku], sale_line.qty - sale_line.refunded_qty)
        if take <= 0:
            continue
        wanted[sale_line.sku] -= take
        amount = take * (sale_line.total_vnd // sale_line.qty)
        sale_line.refunded_qty += take
        refund.lines.append(RefundLine(sale_line_id=sale_line.id, sku=sale_line.sku, qty=take, amount_vnd=amount))
        refund.total_vnd += amount
        moves.append((sale_line.product_id, take))
    move_stock(moves, "refund", ref=refund.id, user=user)
    sale.status = "refunded" if all(l.refunded_qty == l.qty for l in sale.lines) else "partially_refunded"

    record_event("refund", {"id": refund.id, "sale_id": sale.id, "reason": refund.reason,
                            "created_at": refund.created_at.isoformat(),
                            "lines": [{"sku": l.sku, "qty": l.qty, "amount_vnd": l.amount_vnd}
                                      for l in refund.lines]})
    audit.record(user, "sale.refund", "sale", sale.id, refund_id=refund.id, total_vnd=refund.total_vnd,
                 reason=refund.reason)
    return refund


def sale_event(sale: Sale) -> dict:
    """The outbox payload of a sale: what central relies on (CONTRACT.md, event `sale`)."""
    return {
        "id": sale.id, "number": sale.number, "created_at": sale.created_at.isoformat(),
        "shift_id": sale.shift_id, "cashier": sale.cashier.username, "total_vnd": sale.total_vnd,
        "lines": [{"sku": l.sku, "qty": l.qty, "unit_price_vnd": l.unit_price_vnd,
                   "discount_vnd": l.discount_vnd} for l in sale.lines],
        "payments": [{"method": p.method, "amount_vnd": p.amount_vnd} for p in sale.payments],
    }


def sale_json(sale: Sale) -> dict:
    return {
        "id": sale.id,
        "number": sale.number,
        "created_at": sale.created_at.isoformat(),
        "cashier": sale.cashier.username,
        "lines": [{"sku": l.sku, "name": l.name, "qty": l.qty, "unit_price_vnd": l.unit_price_vnd,
                   "discount_vnd": l.discount_vnd, "total_vnd": l.total_vnd, "refunded_qty": l.refunded_qty}
                  for l in sale.lines],
        "total_vnd": sale.total_vnd,
        "payments": [{"method": p.method, "amount_vnd": p.amount_vnd} for p in sale.payments],
        "paid_vnd": sale.paid_vnd,
        "change_vnd": sale.change_vnd,
        "status": sale.status,
        "note": sale.note,
        "warnings": sale.warnings,
        "vietqr": sale.vietqr,
        # A sale made in this request knows its status; one read back asks the print queue.
        "print_status": getattr(sale, "print_status", None) or printing.print_status(sale.id),
    }


def sales_on(day: date, page: int, page_size: int) -> tuple[list[Sale], bool]:
    """The sales of one local day, newest first, a page at a time; and whether an older page follows."""
    start = datetime.combine(day, time.min, LOCAL_TZ).astimezone(timezone.utc)
    rows = db.session.scalars(
        select(Sale).where(Sale.created_at >= start, Sale.created_at < start + timedelta(days=1))
        .order_by(Sale.created_at.desc(), Sale.number.desc())
        .limit(page_size + 1).offset((page - 1) * page_size)).all()
    return list(rows[:page_size]), len(rows) > page_size
