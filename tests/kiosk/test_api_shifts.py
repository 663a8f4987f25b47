"""Shifts: open with a float, the current shift, close with counted cash and the Z report."""
from datetime import datetime

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry
from tests.kiosk.apitools import assert_error, outbox, sale_body, sell, snapshot

Z_FIELDS = {"shift_id", "sales_count", "gross_vnd", "refunds_vnd", "net_vnd", "by_method", "opening_cash_vnd",
            "expected_cash_vnd", "counted_cash_vnd", "variance_vnd"}


def cash(amount):
    return {"method": "cash", "amount_vnd": amount}


def transfer(amount):
    return {"method": "transfer", "amount_vnd": amount}


def card(amount):
    return {"method": "card", "amount_vnd": amount}


def test_open_a_shift(app, vendor, demo_data):
    response = vendor.post("/shifts", {"opening_cash_vnd": 750_000})
    assert response.status_code == 201
    shift = response.get_json()
    assert {"id", "opened_at", "opened_by", "opening_cash_vnd"} <= set(shift)
    assert (shift["opened_by"], shift["opening_cash_vnd"]) == ("vendor", 750_000)
    assert datetime.fromisoformat(shift["opened_at"]).utcoffset() is not None
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == shift["id"])).all() \
            == ["shift.open"]


def test_a_shift_may_open_with_an_empty_drawer(vendor, demo_data):
    assert vendor.post("/shifts", {"opening_cash_vnd": 0}).get_json()["opening_cash_vnd"] == 0


def test_only_one_shift_is_open_at_a_time(app, vendor, manager, open_shift):
    before = snapshot(app)
    assert_error(vendor.post("/shifts", {"opening_cash_vnd": 1}), 409, "shift_already_open")
    assert_error(manager.post("/shifts", {"opening_cash_vnd": 1}), 409, "shift_already_open")
    assert snapshot(app) == before


def test_the_current_shift_is_shared_by_the_people_working_it(vendor, manager, open_shift):
    for api in (vendor, manager):
        response = api.get("/shifts/current")
        assert response.status_code == 200
        assert response.get_json() == open_shift


def test_no_current_shift_is_404(app, vendor, demo_data):
    assert_error(vendor.get("/shifts/current"), 404, "no_open_shift")
    before = snapshot(app)
    assert_error(vendor.post("/shifts/current/close", {"counted_cash_vnd": 0}), 404, "no_open_shift")
    assert snapshot(app) == before


def test_closing_an_empty_shift(vendor, open_shift):
    response = vendor.post("/shifts/current/close", {"counted_cash_vnd": 500_000})
    assert response.status_code == 200
    assert {k: v for k, v in response.get_json().items() if k in Z_FIELDS} == {
        "shift_id": open_shift["id"], "sales_count": 0, "gross_vnd": 0, "refunds_vnd": 0, "net_vnd": 0,
        "by_method": {"cash": 0, "transfer": 0, "card": 0}, "opening_cash_vnd": 500_000,
        "expected_cash_vnd": 500_000, "counted_cash_vnd": 500_000, "variance_vnd": 0}


def test_the_z_report_of_a_mixed_shift(app, vendor, manager, open_shift):
    first = sell(vendor, sale_body(("CF-CB-500", 2), payments=[cash(300_000)]))  # 290,000; 10,000 change
    sell(vendor, sale_body(("MO-CP-250", 1), payments=[transfer(98_000)]))  # 98,000
    sell(vendor, sale_body(("CF-BM-CHON", 1), payments=[card(390_000)]))  # 390,000
    split = sell(vendor, sale_body(("CF-CB-500", 1), ("SR-KP-KEM", 1, 5_000),  # 235,000; 100,000 change
                                   payments=[card(100_000), transfer(35_000), cash(200_000)]))
    assert (split["total_vnd"], split["change_vnd"]) == (235_000, 100_000)
    refund = manager.post(f"/sales/{first['id']}/refunds", {"lines": [{"sku": "CF-CB-500", "qty": 1}],
                                                             "reason": "hỏng bao bì"})
    assert refund.status_code == 201 and refund.get_json()["total_vnd"] == 145_000
    # A sale that was refused is not in the report.
    assert vendor.post("/sales", sale_body(("CF-CB-500", 1), payments=[cash(1)])).status_code == 422

    response = vendor.post("/shifts/current/close", {"counted_cash_vnd": 740_000})
    assert response.status_code == 200
    report = response.get_json()
    assert Z_FIELDS <= set(report)
    assert report["shift_id"] == open_shift["id"]
    assert report["sales_count"] == 4
    assert report["gross_vnd"] == 290_000 + 98_000 + 390_000 + 235_000 == 1_013_000
    assert report["refunds_vnd"] == 145_000
    assert report["net_vnd"] == report["gross_vnd"] - report["refunds_vnd"] == 868_000
    # Cash kept is what was received minus the change given.
    assert report["by_method"] == {"cash": 300_000 - 10_000 + 200_000 - 100_000, "transfer": 98_000 + 35_000,
                                   "card": 390_000 + 100_000}
    assert sum(report["by_method"].values()) == report["gross_vnd"]
    assert report["opening_cash_vnd"] == 500_000
    assert report["expected_cash_vnd"] == 500_000 + 390_000 - 145_000 == 745_000
    assert report["counted_cash_vnd"] == 740_000
    assert report["variance_vnd"] == 740_000 - 745_000

    [event] = outbox(app, "shift_closed")
    assert {k: event.payload[k] for k in Z_FIELDS} == {k: report[k] for k in Z_FIELDS}
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "shift.close")).all()
        assert (entry.entity_id, entry.details["variance_vnd"]) == (open_shift["id"], -5_000)

    assert_error(vendor.get("/shifts/current"), 404, "no_open_shift")
    assert_error(vendor.post("/shifts/current/close", {"counted_cash_vnd": 0}), 404, "no_open_shift")
    assert_error(vendor.post("/sales", sale_body(("CF-CB-500", 1))), 409, "no_open_shift")


def test_a_new_shift_reports_only_its_own_sales_and_refunds(vendor, manager, open_shift):
    old = sell(vendor, sale_body(("CF-CB-500", 1), payments=[cash(145_000)]))
    assert vendor.post("/shifts/current/close", {"counted_cash_vnd": 645_000}).get_json()["variance_vnd"] == 0
    second = vendor.post("/shifts", {"opening_cash_vnd": 200_000}).get_json()
    assert second["id"] != open_shift["id"]
    sell(vendor, sale_body(("MO-CP-250", 1), payments=[cash(100_000)]))
    # Paid back in cash from the shift that is open now, whichever shift made the sale.
    assert manager.post(f"/sales/{old['id']}/refunds", {"lines": [{"sku": "CF-CB-500", "qty": 1}],
                                                        "reason": "đổi ý"}).status_code == 201
    report = vendor.post("/shifts/current/close", {"counted_cash_vnd": 150_000}).get_json()
    assert report["shift_id"] == second["id"]
    assert (report["sales_count"], report["gross_vnd"], report["refunds_vnd"], report["net_vnd"]) == \
        (1, 98_000, 145_000, -47_000)
    assert report["by_method"] == {"cash": 98_000, "transfer": 0, "card": 0}
    assert report["expected_cash_vnd"] == 200_000 + 98_000 - 145_000 == 153_000
    assert report["variance_vnd"] == -3_000


def test_a_manager_may_open_and_close_too(manager, demo_data):
    assert manager.post("/shifts", {"opening_cash_vnd": 1_000}).get_json()["opened_by"] == "manager"
    assert manager.post("/shifts/current/close", {"counted_cash_vnd": 2_000}).get_json()["variance_vnd"] == 1_000


def test_shifts_need_a_login(anonymous, open_shift):
    assert_error(anonymous.post("/shifts", {"opening_cash_vnd": 0}), 401, "unauthorized")
    assert_error(anonymous.get("/shifts/current"), 401, "unauthorized")
    assert_error(anonymous.post("/shifts/current/close", {"counted_cash_vnd": 0}), 401, "unauthorized")
