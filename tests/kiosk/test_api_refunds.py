"""POST /api/v1/sales/<id>/refunds: manager only, whole or partial, stock back, never more than sold."""
import uuid

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Product, StockMovement
from tests.kiosk.apitools import assert_books_balance, assert_error, balances, outbox, sale_body, sell, snapshot


@pytest.fixture
def sale(vendor, open_shift):
    """Two honey jars at full price, three coffee bags with 1,000 đồng off the line."""
    return sell(vendor, sale_body(("MO-CP-250", 2), ("CF-CB-500", 3, 1_000)))


@pytest.fixture(scope="module")
def shared_sale(shared_kiosk):
    """The same sale on a kiosk shared by the refunds that must be refused."""
    assert shared_kiosk.manager.post("/shifts", {"opening_cash_vnd": 0}).status_code == 201
    return sell(shared_kiosk.vendor, sale_body(("MO-CP-250", 2), ("CF-CB-500", 3, 1_000)))


def refund(api, sale_id, *lines, reason="khách trả hàng"):
    return api.post(f"/sales/{sale_id}/refunds",
                    {"lines": [{"sku": sku, "qty": qty} for sku, qty in lines], "reason": reason})


def status_of(api, sale_id):
    return api.get(f"/sales/{sale_id}").get_json()["status"]


def test_a_vendor_may_not_refund(shared_kiosk, shared_sale):
    app, vendor = shared_kiosk.app, shared_kiosk.vendor
    before = snapshot(app)
    assert_error(refund(vendor, shared_sale["id"], ("MO-CP-250", 1)), 403, "forbidden")
    assert snapshot(app) == before


def test_a_whole_refund(app, manager, sale):
    stock_before = balances(app)
    response = refund(manager, sale["id"], ("MO-CP-250", 2), ("CF-CB-500", 3))
    assert response.status_code == 201
    body = response.get_json()
    assert body["sale_id"] == sale["id"] and uuid.UUID(body["id"])
    # 3 x 145,000 - 1,000 = 434,000, whose unit is worth 144,666 (rounded down): 434,000 - 2 = 433,998.
    assert body["total_vnd"] == 2 * 98_000 + 3 * 144_666
    assert status_of(manager, sale["id"]) == "refunded"
    assert balances(app) == stock_before | {"MO-CP-250": stock_before["MO-CP-250"] + 2,
                                            "CF-CB-500": stock_before["CF-CB-500"] + 3}
    with app.app_context():
        movements = db.session.execute(
            select(Product.sku, StockMovement.delta, StockMovement.reason).join(Product)
            .where(StockMovement.ref == body["id"]).order_by(Product.sku)).all()
        assert [tuple(m) for m in movements] == [("CF-CB-500", 3, "refund"), ("MO-CP-250", 2, "refund")]
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sale.refund")).all()
        assert (entry.entity_id, entry.details["refund_id"], entry.details["total_vnd"]) == \
            (sale["id"], body["id"], body["total_vnd"])
    [event] = outbox(app, "refund")
    assert event.payload["id"] == body["id"] and event.payload["sale_id"] == sale["id"]
    assert event.payload["reason"] == "khách trả hàng"
    assert sorted((l["sku"], l["qty"], l["amount_vnd"]) for l in event.payload["lines"]) == [
        ("CF-CB-500", 3, 433_998), ("MO-CP-250", 2, 196_000)]
    assert_books_balance(app)


def test_a_refunded_unit_is_worth_its_line_total_over_qty_rounded_down(manager, sale):
    response = refund(manager, sale["id"], ("CF-CB-500", 1))
    assert response.get_json()["total_vnd"] == 434_000 // 3 == 144_666


def test_partial_refunds_until_nothing_is_left(app, manager, sale):
    assert refund(manager, sale["id"], ("MO-CP-250", 1)).get_json()["total_vnd"] == 98_000
    assert status_of(manager, sale["id"]) == "partially_refunded"
    lines = {l["sku"]: l for l in manager.get(f"/sales/{sale['id']}").get_json()["lines"]}
    assert lines["MO-CP-250"]["refunded_qty"] == 1
    assert refund(manager, sale["id"], ("CF-CB-500", 2), ("MO-CP-250", 1)).get_json()["total_vnd"] == \
        2 * 144_666 + 98_000
    assert status_of(manager, sale["id"]) == "partially_refunded"
    assert refund(manager, sale["id"], ("CF-CB-500", 1)).status_code == 201
    assert status_of(manager, sale["id"]) == "refunded"
    assert len(outbox(app, "refund")) == 3
    assert_error(refund(manager, sale["id"], ("CF-CB-500", 1)), 422, "refund_exceeds_sale")


@pytest.mark.parametrize("lines, field", [
    ([("MO-CP-250", 3)], "lines.0.qty"),  # more than sold
    ([("MO-CP-250", 1), ("MO-CP-250", 2)], "lines.0.qty"),  # the same, split over two lines
    ([("CF-CB-500", 1), ("SR-KP-KEM", 1)], "lines.1.qty"),  # not on the sale
    ([("NO-SUCH-SKU", 1)], "lines.0.qty"),
])
def test_refunding_more_than_sold_is_422_and_writes_nothing(shared_kiosk, shared_sale, lines, field):
    app, manager, sale = shared_kiosk.app, shared_kiosk.manager, shared_sale
    before = snapshot(app)
    assert_error(refund(manager, sale["id"], *lines), 422, "refund_exceeds_sale", field)
    assert snapshot(app) == before
    assert status_of(manager, sale["id"]) == "paid"


def test_refunding_more_than_what_is_left_is_422(app, manager, sale):
    assert refund(manager, sale["id"], ("MO-CP-250", 1)).status_code == 201
    before = snapshot(app)
    assert_error(refund(manager, sale["id"], ("MO-CP-250", 2)), 422, "refund_exceeds_sale")
    assert snapshot(app) == before
    assert refund(manager, sale["id"], ("MO-CP-250", 1)).status_code == 201


def test_the_same_sku_on_two_lines_is_refunded_across_them(app, vendor, manager, open_shift):
    sold = vendor.post("/sales", sale_body(("MO-CP-250", 1), ("MO-CP-250", 2, 1_000))).get_json()
    body = refund(manager, sold["id"], ("MO-CP-250", 3)).get_json()
    assert body["total_vnd"] == 98_000 + 2 * (195_000 // 2)
    assert status_of(manager, sold["id"]) == "refunded"
    assert balances(app)["MO-CP-250"] == 45


def test_a_refund_needs_an_open_shift(app, manager, sale):
    assert manager.post("/shifts/current/close", {"counted_cash_vnd": 0}).status_code == 200
    before = snapshot(app)
    assert_error(refund(manager, sale["id"], ("MO-CP-250", 1)), 409, "no_open_shift")
    assert snapshot(app) == before


@pytest.mark.parametrize("sale_id", ["8a1f7c3e-2b4d-4e6f-9a0b-1c2d3e4f5a6b", "x" * 10_000, "%E2%80%AE"])
def test_refunding_an_unknown_sale_is_404(shared_kiosk, shared_sale, sale_id):
    app, manager = shared_kiosk.app, shared_kiosk.manager
    before = snapshot(app)
    assert_error(refund(manager, sale_id, ("MO-CP-250", 1)), 404, "not_found")
    assert snapshot(app) == before


def test_the_refund_of_a_sale_sold_beyond_stock(app, vendor, manager, open_shift):
    sold = vendor.post("/sales", sale_body(("SR-KP-KEM", 5))).get_json()
    assert balances(app)["SR-KP-KEM"] == -2
    assert refund(manager, sold["id"], ("SR-KP-KEM", 5)).status_code == 201
    assert balances(app)["SR-KP-KEM"] == 3
    assert_books_balance(app)
