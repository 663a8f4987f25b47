"""Shifts and the Z report. Never commits."""
from __future__ import annotations

from sqlalchemy import func, select

from kiosk.audit import services as audit
from kiosk.errors import Conflict, NotFound
from kiosk.extensions import db
from kiosk.models import PAYMENT_METHODS, Payment, Refund, Sale, Shift, User, utcnow
from kiosk.printing import services as printing
from kiosk.sync.outbox import record_event


def current_shift() -> Shift | None:
    return db.session.scalar(select(Shift).where(Shift.closed_at.is_(None)))


_OPEN_SHIFT_ID = select(Shift.id).where(Shift.closed_at.is_(None))


def require_open_shift() -> str:
    """The open shift's id, or 409 `no_open_shift`."""
    shift_id = db.session.connection().execute(_OPEN_SHIFT_ID).scalar()
    if shift_id is None:
        raise Conflict("No shift is open; open one first.", code="no_open_shift")
    return shift_id


def open_shift(opening_cash_vnd: int, user: User) -> Shift:
    if current_shift() is not None:
        raise Conflict("A shift is already open.", code="shift_already_open")
    shift = Shift(opened_by_id=user.id, opening_cash_vnd=opening_cash_vnd)
    db.session.add(shift)
    db.session.flush()
    audit.record(user, "shift.open", "shift", shift.id, opening_cash_vnd=opening_cash_vnd)
    return shift


def z_report(shift: Shift, counted_cash_vnd: int | None) -> dict:
    sales_count, gross, change = db.session.execute(
        select(func.count(Sale.id), func.coalesce(func.sum(Sale.total_vnd), 0),
               func.coalesce(func.sum(Sale.change_vnd), 0)).where(Sale.shift_id == shift.id)).one()
    by_method = dict.fromkeys(PAYMENT_METHODS, 0)
    by_method.update(db.session.execute(
        select(Payment.method, func.sum(Payment.amount_vnd)).join(Sale, Sale.id == Payment.sale_id)
        .where(Sale.shift_id == shift.id).group_by(Payment.method)).all())
    by_method["cash"] -= change  # cash kept: received minus change given
    refunds = db.session.scalar(
        select(func.coalesce(func.sum(Refund.total_vnd), 0)).where(Refund.shift_id == shift.id))
    expected = shift.opening_cash_vnd + by_method["cash"] - refunds
    return {
        "shift_id": shift.id,
        "sales_count": sales_count,
        "gross_vnd": gross,
        "refunds_vnd": refunds,
        "net_vnd": gross - refunds,
        "by_method": by_method,
        "opening_cash_vnd": shift.opening_cash_vnd,
        "expected_cash_vnd": expected,
        "counted_cash_vnd": counted_cash_vnd,
        "variance_vnd": None if counted_cash_vnd is None else counted_cash_vnd - expected,
    }


def close_shift(counted_cash_vnd: int, user: User) -> dict:
    shift = current_shift()
    if shift is None:
        raise NotFound("No shift is open.", code="no_open_shift")
    report = z_report(shift, counted_cash_vnd)
    shift.closed_at, shift.closed_by_id = utcnow(), user.id
    shift.counted_cash_vnd, shift.z_report = counted_cash_vnd, report
    record_event("shift_closed", {**report, "opened_at": shift.opened_at.isoformat(),
                                  "closed_at": shift.closed_at.isoformat()})
    audit.record(user, "shift.close", "shift", shift.id, counted_cash_vnd=counted_cash_vnd,
                 variance_vnd=report["variance_vnd"])
    db.session.flush()  # the print job refers to the closed shift
    printing.enqueue("z_report", shift_id=shift.id)
    return report


def shift_json(shift: Shift) -> dict:
    return {"id": shift.id, "opened_at": shift.opened_at.isoformat(), "opened_by": shift.opened_by.username,
            "opening_cash_vnd": shift.opening_cash_vnd}


def closed_shifts(limit: int) -> list[Shift]:
    """The most recently closed shifts, newest first."""
    return list(db.session.scalars(
        select(Shift).where(Shift.closed_at.is_not(None)).order_by(Shift.closed_at.desc()).limit(limit)))
