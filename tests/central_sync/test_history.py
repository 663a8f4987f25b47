"""The history generator (`generate-history`): small numbers on SQLite and PostgreSQL; its rows add up as the
app's own would (balances == ledger, a sale's total == its lines' == its payment), all at sale points, the
same seed giving the same rows, and a database with real sales refused."""
import shutil
from datetime import date

import pytest
from sqlalchemy import func, select

from central_sync.demo import history
from central_sync.extensions import db
from central_sync.models import (SELLING_KINDS, Alert, Device, Location, Payment, Refund, RefundLine, Sale, SaleLine,
                                 StockMovement, SyncEvent, Transfer, TransferLine)
from central_sync.protocol import Conflict
from tests.central_sync.conftest import central_app
from tests.central_sync.tools import assert_balances_match_ledger

UNTIL = date(2026, 3, 31)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_history_adds_up(app):
    with app.app_context():
        summary = history.generate(years=1, lines=4_000, seed=7, until=UNTIL)
        db.session.commit()
        assert summary.lines == count(SaleLine) == 4_000
        assert summary.sales == count(Sale) and 4_000 / 5 <= summary.sales < 4_000
        assert (summary.first_day, summary.last_day) == (date(2025, 4, 1), UNTIL)
        sums = select(SaleLine.sale_id, func.sum(SaleLine.total_vnd).label("lines")).group_by(SaleLine.sale_id)\
            .subquery()
        paid = select(Payment.sale_id, func.sum(Payment.amount_vnd).label("paid")).group_by(Payment.sale_id).subquery()
        assert count(Sale, ~Sale.id.in_(select(sums.c.sale_id))) == 0
        assert db.session.scalar(select(func.count()).select_from(Sale).join(sums, sums.c.sale_id == Sale.id)
                                 .join(paid, paid.c.sale_id == Sale.id)
                                 .where((sums.c.lines != Sale.total_vnd) | (paid.c.paid != Sale.total_vnd))) == 0
        assert count(SaleLine, SaleLine.total_vnd != SaleLine.qty * SaleLine.unit_price_vnd - SaleLine.discount_vnd) \
            == 0
        kinds = set(db.session.scalars(select(Location.kind).join(Sale, Sale.location_id == Location.id).distinct()))
        assert kinds <= set(SELLING_KINDS)
        points = count(Location, Location.kind.in_(SELLING_KINDS))
        assert db.session.scalar(select(func.count(func.distinct(Sale.location_id)))) == points == 22
        assert count(Sale, ~Sale.number.startswith(history.NUMBER_PREFIX)) == 0
        first, last = db.session.execute(select(func.min(Sale.created_at), func.max(Sale.created_at))).one()
        assert first.astimezone(history.LOCAL).date() >= summary.first_day
        assert last.astimezone(history.LOCAL).date() <= UNTIL
        # Each sale moved its products' stock once, at its location; each refund put its line back.
        assert count(StockMovement, StockMovement.reason == "sale") == count(SaleLine)
        assert db.session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.reason == "sale")) == \
            -db.session.scalar(select(func.sum(SaleLine.qty)))
        assert summary.refunds == count(Refund) == count(RefundLine) == count(StockMovement,
                                                                              StockMovement.reason == "refund")
        assert count(Refund, Refund.sale_id.notin_(select(Sale.id))) == 0
        assert summary.transfers == count(Transfer) and count(TransferLine) >= count(Transfer)
        assert count(Transfer, Transfer.status == "in_transit") >= 1
        # Two points silent for days, their devices saying so; every point has a device that synced.
        assert count(Alert, Alert.kind == "kiosk_silent") == 2
        assert count(SyncEvent, SyncEvent.status == "rejected") == count(Alert, Alert.kind == "rejected_event")
        synced = db.session.scalars(select(Device.last_sync_at).where(Device.revoked_at.is_(None))).all()
        assert len(synced) == 22 and all(synced)
        assert len({moment.date() for moment in synced}) == 3
    assert_balances_match_ledger(app)


def test_the_same_seed_makes_the_same_sales(sqlite_template, tmp_path):
    made = []
    for n in (1, 2):
        shutil.copy(sqlite_template, tmp_path / f"{n}.sqlite3")
        app = central_app(tmp_path, f"sqlite:///{tmp_path}/{n}.sqlite3")
        with app.app_context():
            history.generate(years=0.5, lines=600, seed=3, until=UNTIL)
            db.session.commit()
            made.append(db.session.execute(select(Sale.id, Sale.number, Sale.created_at, Sale.total_vnd)
                                           .order_by(Sale.id)).all())
            db.engine.dispose()
    assert made[0] == made[1] and len(made[0]) > 100


def test_a_database_with_real_sales_is_refused_unless_forced(app):
    with app.app_context():
        history.generate(years=0.2, lines=200, seed=1, until=UNTIL)
        db.session.commit()
        with pytest.raises(Conflict, match="already"):
            history.generate(years=0.2, lines=200, seed=1, until=UNTIL)
        db.session.rollback()
        sale = db.session.scalars(select(Sale).limit(1)).one()
        sale.number = "K01-real-1"
        db.session.commit()
        with pytest.raises(Conflict, match="real sales"):
            history.generate(years=0.2, lines=200, seed=2, until=UNTIL)
        db.session.rollback()
        history.generate(years=0.2, lines=200, seed=2, until=UNTIL, force=True)
        db.session.commit()
        assert count(SaleLine) == 400
    assert_balances_match_ledger(app)


def test_the_command_generates_and_then_refuses(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["generate-history", "--years", "0.3", "--lines", "300", "--seed", "5",
                                 "--until", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert "300 lines" in result.output and "2026-03-31" in result.output
    again = runner.invoke(args=["generate-history", "--lines", "300"])
    assert again.exit_code == 1 and "already" in again.output
