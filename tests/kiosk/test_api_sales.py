"""POST /api/v1/sales and GET /api/v1/sales/<id>: payments, VietQR, idempotency, stock, outbox, audit."""
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Product, Sale, StockMovement
from kiosk.payments import vietqr
from tests.kiosk.apitools import (PRICES, assert_books_balance, assert_error, balances, demo_kiosk, outbox, sale_body,
                                  sell, set_product, snapshot)

SALE_FIELDS = {"id", "number", "created_at", "cashier", "lines", "total_vnd", "payments", "paid_vnd", "change_vnd",
               "status", "warnings", "vietqr", "print_status"}
LINE_FIELDS = {"sku", "name", "qty", "unit_price_vnd", "discount_vnd", "total_vnd"}
PRINT_STATUSES = {"queued", "printed", "failed", "cancelled", "disabled"}


def test_a_cash_sale_with_change(vendor, open_shift):
    sale = sell(vendor, sale_body(("CF-CB-500", 2), ("MO-CP-250", 1),
                                  payments=[{"method": "cash", "amount_vnd": 400_000}]))
    assert SALE_FIELDS <= set(sale)
    assert [{k: line[k] for k in LINE_FIELDS} for line in sale["lines"]] == [
        {"sku": "CF-CB-500", "name": "Cà phê bột nguyên chất Công Bằng 500g", "qty": 2, "unit_price_vnd": 145_000,
         "discount_vnd": 0, "total_vnd": 290_000},
        {"sku": "MO-CP-250", "name": "Mật ong hoa cà phê Đắk Lắk 250ml", "qty": 1, "unit_price_vnd": 98_000,
         "discount_vnd": 0, "total_vnd": 98_000},
    ]
    assert sale["total_vnd"] == 388_000
    assert sale["payments"] == [{"method": "cash", "amount_vnd": 400_000}]
    assert (sale["paid_vnd"], sale["change_vnd"]) == (400_000, 12_000)
    assert sale["status"] == "paid"
    assert sale["cashier"] == "vendor"
    assert sale["vietqr"] is None
    assert sale["warnings"] == []
    assert sale["print_status"] in PRINT_STATUSES
    assert uuid.UUID(sale["id"])
    created = datetime.fromisoformat(sale["created_at"])
    assert created.utcoffset() is not None and abs(created - datetime.now(created.tzinfo)) < timedelta(hours=1)


def test_a_transfer_carries_a_vietqr_for_the_transfer_amount(app, vendor, open_shift):
    sale = sell(vendor, sale_body(("CF-BM-CHON", 1), ("CF-CB-500", 1), payments=[
        {"method": "cash", "amount_vnd": 100_000}, {"method": "transfer", "amount_vnd": 435_000}]))
    assert sale["total_vnd"] == 535_000 and sale["change_vnd"] == 0
    payload = sale["vietqr"]
    fields = vietqr.parse(payload)
    assert fields["00"] == "01"
    assert fields["01"] == "12"
    assert fields["54"] == "435000"  # the transfer, not the sale's total
    assert fields["53"] == "704" and fields["58"] == "VN"
    assert vietqr.parse(fields["62"])["01"] == sale["number"]
    merchant = vietqr.parse(fields["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert vietqr.parse(merchant["01"]) == {"00": app.config["VIETQR_BANK_BIN"], "01": app.config["VIETQR_ACCOUNT_NO"]}
    assert payload.endswith(f"6304{vietqr.crc16_ccitt_false(payload[:-4].encode()):04X}")
    assert vendor.get(f"/sales/{sale['id']}").get_json()["vietqr"] == payload


def test_a_whole_transfer_sale(vendor, open_shift):
    sale = sell(vendor, sale_body(("MO-CP-250", 2), payments=[{"method": "transfer", "amount_vnd": 196_000}]))
    assert (sale["paid_vnd"], sale["change_vnd"]) == (196_000, 0)
    assert vietqr.parse(sale["vietqr"])["54"] == "196000"


def test_a_card_sale_is_recorded_without_a_vietqr(vendor, open_shift):
    sale = sell(vendor, sale_body(("SR-KP-KEM", 1), payments=[{"method": "card", "amount_vnd": 95_000}]))
    assert sale["payments"] == [{"method": "card", "amount_vnd": 95_000}]
    assert sale["vietqr"] is None and sale["change_vnd"] == 0


def test_split_payments_with_change_from_the_cash(vendor, open_shift):
    sale = sell(vendor, sale_body(("CF-BM-CHON", 2), payments=[
        {"method": "card", "amount_vnd": 300_000}, {"method": "transfer", "amount_vnd": 200_000},
        {"method": "cash", "amount_vnd": 500_000}]))
    assert sale["total_vnd"] == 780_000
    assert [p["method"] for p in sale["payments"]] == ["card", "transfer", "cash"]
    assert (sale["paid_vnd"], sale["change_vnd"]) == (1_000_000, 220_000)
    assert vietqr.parse(sale["vietqr"])["54"] == "200000"


def test_two_transfers_make_one_vietqr_for_their_sum(vendor, open_shift):
    sale = sell(vendor, sale_body(("CF-CB-500", 1), payments=[
        {"method": "transfer", "amount_vnd": 100_000}, {"method": "transfer", "amount_vnd": 45_000}]))
    assert vietqr.parse(sale["vietqr"])["54"] == "145000"


def test_line_discounts(vendor, open_shift):
    sale = sell(vendor, sale_body(("CF-CB-500", 3, 35_000), ("MO-CP-250", 1, 98_000), ("SR-KP-KEM", 1, 0)))
    assert [(l["discount_vnd"], l["total_vnd"]) for l in sale["lines"]] == [
        (35_000, 400_000), (98_000, 0), (0, 95_000)]
    assert sale["total_vnd"] == 495_000 == sale["paid_vnd"]


def test_a_fully_discounted_sale_needs_no_payment(vendor, open_shift):
    sale = sell(vendor, sale_body(("MO-CP-250", 1, 98_000), payments=[]))
    assert (sale["total_vnd"], sale["paid_vnd"], sale["change_vnd"], sale["payments"]) == (0, 0, 0, [])


def test_the_same_sku_on_two_lines_stays_two_lines(app, vendor, open_shift):
    sale = sell(vendor, sale_body(("MO-CP-250", 1), ("MO-CP-250", 2, 6_000)))
    assert [(l["qty"], l["total_vnd"]) for l in sale["lines"]] == [(1, 98_000), (2, 190_000)]
    assert balances(app)["MO-CP-250"] == 45 - 3


def test_the_client_id_is_the_sale_id(vendor, open_shift):
    sale_id = str(uuid.uuid4())
    sale = sell(vendor, sale_body(("CF-CB-500", 1), id=sale_id))
    assert sale["id"] == sale_id
    assert vendor.get(f"/sales/{sale_id}").get_json() == sale


def test_retrying_with_the_same_id_and_body_is_200_and_writes_nothing(app, vendor, open_shift):
    body = sale_body(("CF-CB-500", 2, 10_000), ("MO-CP-500", 1), id=str(uuid.uuid4()),
                     payments=[{"method": "cash", "amount_vnd": 200_000}, {"method": "transfer", "amount_vnd": 280_000}],
                     note="khách quen")
    first = sell(vendor, body)
    before = snapshot(app)
    again = vendor.post("/sales", body)
    assert again.status_code == 200
    assert again.get_json() == first
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
        assert db.session.scalar(select(func.count()).where(StockMovement.ref == first["id"])) == 2
    assert len(outbox(app, "sale")) == 1
    assert balances(app)["CF-CB-500"] == 40 - 2


def test_a_retry_after_the_shift_closed_still_answers_the_sale(vendor, open_shift):
    body = sale_body(("CF-CB-500", 1), id=str(uuid.uuid4()))
    first = sell(vendor, body)
    assert vendor.post("/shifts/current/close", {"counted_cash_vnd": 0}).status_code == 200
    again = vendor.post("/sales", body)
    assert again.status_code == 200 and again.get_json() == first


def test_the_id_is_compared_as_a_uuid(vendor, open_shift):
    sale_id = uuid.uuid4()
    first = sell(vendor, sale_body(("CF-CB-500", 1), id=str(sale_id)))
    again = vendor.post("/sales", sale_body(("CF-CB-500", 1), id=str(sale_id).upper()))
    assert again.status_code == 200 and again.get_json()["id"] == first["id"] == str(sale_id)


@pytest.mark.parametrize("spelling", [str.upper, lambda s: s.replace("-", ""), lambda s: quote("{" + s + "}"),
                                      lambda s: "urn:uuid:" + s])
def test_a_sale_is_found_by_its_client_id_however_the_uuid_is_written(vendor, manager, open_shift, spelling):
    sale_id = str(uuid.uuid4())
    sale = sell(vendor, sale_body(("CF-CB-500", 1), id=sale_id.upper()))
    assert sale["id"] == sale_id
    assert vendor.get(f"/sales/{spelling(sale_id)}").get_json() == sale
    refund = manager.post(f"/sales/{spelling(sale_id)}/refunds", {"lines": [{"sku": "CF-CB-500", "qty": 1}],
                                                                  "reason": "đổi ý"})
    assert refund.status_code == 201 and refund.get_json()["sale_id"] == sale_id


@pytest.mark.parametrize("change", [
    lambda b: b["lines"][0].update(qty=2),
    lambda b: b["lines"][0].update(discount_vnd=1),
    lambda b: b["lines"].append({"sku": "MO-CP-250", "qty": 1}),
    lambda b: b["lines"].reverse(),
    lambda b: b["payments"][0].update(amount_vnd=b["payments"][0]["amount_vnd"] + 1),
    lambda b: b["payments"][0].update(method="card"),
    lambda b: b.update(note="khác"),
])
def test_the_same_id_with_a_different_body_is_409(app, vendor, open_shift, change):
    body = sale_body(("CF-CB-500", 1), ("SR-KP-KEM", 1), id=str(uuid.uuid4()),
                     payments=[{"method": "cash", "amount_vnd": 300_000}])
    first = sell(vendor, body)
    before = snapshot(app)
    change(body)
    assert_error(vendor.post("/sales", body), 409, "idempotency_conflict")
    assert snapshot(app) == before
    assert vendor.get(f"/sales/{first['id']}").get_json() == first


def test_a_sale_needs_an_open_shift(app, vendor, demo_data):
    before = snapshot(app)
    assert_error(vendor.post("/sales", sale_body(("CF-CB-500", 1))), 409, "no_open_shift")
    assert snapshot(app) == before


def test_sale_numbers_are_unique_readable_and_counted(vendor, open_shift):
    numbers = [sell(vendor, sale_body(("MO-CP-250", 1)))["number"] for _ in range(3)]
    assert numbers == ["DEMO01-000001", "DEMO01-000002", "DEMO01-000003"]


def test_rejected_sales_use_no_number(vendor, open_shift):
    sell(vendor, sale_body(("MO-CP-250", 1)))
    assert_error(vendor.post("/sales", sale_body(("MO-CP-250", 1), payments=[])), 422, "insufficient_payment")
    assert sell(vendor, sale_body(("MO-CP-250", 1)))["number"] == "DEMO01-000002"


def test_the_number_starts_with_the_kiosk_code(tmp_path, demo_kiosk_db):
    kiosk = demo_kiosk(tmp_path, demo_kiosk_db, KIOSK_CODE="BMT-CHO02")
    assert kiosk.vendor.post("/shifts", {"opening_cash_vnd": 0}).status_code == 201
    sale = sell(kiosk.vendor, sale_body(("MO-CP-250", 1), payments=[{"method": "transfer", "amount_vnd": 98_000}]))
    assert sale["number"] == "BMT-CHO02-000001"
    assert vietqr.parse(vietqr.parse(sale["vietqr"])["62"])["01"] == "BMT-CHO02-000001"
    with kiosk.app.app_context():
        db.engine.dispose()


def test_a_product_taken_off_the_catalogue_cannot_be_sold(app, vendor, open_shift):
    set_product(app, "SR-KP-KEM", active=False)
    before = snapshot(app)
    assert_error(vendor.post("/sales", sale_body(("MO-CP-250", 1), ("SR-KP-KEM", 1))), 422, "unknown_product",
                 "lines.1.sku")
    assert snapshot(app) == before


def test_stock_goes_down_with_the_sale(app, vendor, open_shift):
    sale = sell(vendor, sale_body(("CF-CB-500", 3), ("MO-CP-250", 5)))
    assert balances(app) | {"CF-CB-500": 37, "MO-CP-250": 40} == balances(app)
    with app.app_context():
        movements = db.session.execute(
            select(Product.sku, StockMovement.delta, StockMovement.reason)
            .join(Product, Product.id == StockMovement.product_id).where(StockMovement.ref == sale["id"])
            .order_by(StockMovement.id)).all()
    assert [tuple(m) for m in movements] == [("CF-CB-500", -3, "sale"), ("MO-CP-250", -5, "sale")]
    stock = {row["sku"]: row["qty"] for row in vendor.get("/stock").get_json()["stock"]}
    assert (stock["CF-CB-500"], stock["MO-CP-250"]) == (37, 40)
    assert_books_balance(app)


def test_selling_more_than_the_stock_is_allowed_with_a_warning(app, vendor, open_shift):
    sale = sell(vendor, sale_body(("SR-KP-KEM", 5), ("MO-CP-250", 1)))
    assert sale["warnings"] == [{"code": "insufficient_stock", "sku": "SR-KP-KEM"}]
    assert balances(app)["SR-KP-KEM"] == 3 - 5
    assert vendor.get(f"/sales/{sale['id']}").get_json()["warnings"] == sale["warnings"]


def test_selling_the_last_units_is_no_warning(app, vendor, open_shift):
    assert sell(vendor, sale_body(("SR-KP-KEM", 3)))["warnings"] == []
    assert balances(app)["SR-KP-KEM"] == 0
    assert sell(vendor, sale_body(("SR-KP-KEM", 1)))["warnings"] == [{"code": "insufficient_stock", "sku": "SR-KP-KEM"}]


def test_an_expired_certificate_is_flagged_at_the_till(app, vendor, open_shift):
    set_product(app, "CF-CB-500", certificate_expires_on=date.today() - timedelta(days=1))
    set_product(app, "MO-CP-250", certificate_expires_on=date.today() + timedelta(days=30))
    sale = sell(vendor, sale_body(("CF-CB-500", 1), ("MO-CP-250", 1)))
    assert sale["warnings"] == [{"code": "certificate_expired", "sku": "CF-CB-500"}]
    flags = {p["sku"]: p["certificate_expired"] for p in vendor.get("/products").get_json()["products"]}
    assert flags["CF-CB-500"] is True and flags["MO-CP-250"] is False


def test_one_warning_per_product_and_kind_when_a_product_is_on_several_lines(app, vendor, open_shift):
    set_product(app, "SR-KP-KEM", certificate_expires_on=date.today() - timedelta(days=1))
    sale = sell(vendor, sale_body(("SR-KP-KEM", 2), ("SR-KP-KEM", 2), ("SR-KP-KEM", 1), ("MO-CP-250", 1)))
    assert sorted(sale["warnings"], key=lambda w: w["code"]) == [
        {"code": "certificate_expired", "sku": "SR-KP-KEM"}, {"code": "insufficient_stock", "sku": "SR-KP-KEM"}]
    assert balances(app)["SR-KP-KEM"] == 3 - 5


def test_every_sale_writes_one_outbox_event_in_order(app, vendor, open_shift):
    sales = [sell(vendor, sale_body(("MO-CP-250", n))) for n in (1, 2, 3)]
    events = outbox(app)
    assert [e.type for e in events] == ["sale"] * 3
    assert [e.seq for e in events] == [1, 2, 3]
    assert len({e.id for e in events}) == 3
    for sale, event in zip(sales, events):
        payload = event.payload
        assert payload["id"] == sale["id"] and payload["number"] == sale["number"]
        assert payload["total_vnd"] == sale["total_vnd"]
        assert datetime.fromisoformat(payload["created_at"]) == datetime.fromisoformat(sale["created_at"])
        assert payload["lines"] == [{k: l[k] for k in ("sku", "qty", "unit_price_vnd", "discount_vnd")}
                                    for l in sale["lines"]]
        assert payload["payments"] == sale["payments"]


def test_every_sale_is_audited(app, vendor, open_shift):
    sale = sell(vendor, sale_body(("MO-CP-250", 1)))
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == sale["id"])).all()
        assert [(e.action, e.entity, e.user_id is not None) for e in entries] == [("sale.create", "sale", True)]
        assert entries[0].details["total_vnd"] == 98_000


def test_get_a_sale(vendor, manager, open_shift):
    sale = sell(vendor, sale_body(("CF-CB-500", 1), ("MO-CP-250", 2, 5_000)))
    assert vendor.get(f"/sales/{sale['id']}").get_json() == sale
    assert manager.get(f"/sales/{sale['id']}").get_json() == sale


@pytest.mark.parametrize("sale_id", ["8a1f7c3e-2b4d-4e6f-9a0b-1c2d3e4f5a6b", "DEMO01-000001", "x" * 10_000, "%F0%9F%92%A9",
                                     "..%2F..%2Fetc", "1%20OR%201=1"])
def test_an_unknown_sale_is_404(shared_kiosk, sale_id):
    assert_error(shared_kiosk.vendor.get(f"/sales/{sale_id}"), 404, "not_found")


def test_a_nul_in_a_sale_id_is_400(shared_kiosk):
    assert_error(shared_kiosk.vendor.get("/sales/%00"), 400, "bad_request")


def test_sales_need_a_login(anonymous, vendor, open_shift):
    sale = sell(vendor, sale_body(("CF-CB-500", 1)))
    assert_error(anonymous.post("/sales", sale_body(("CF-CB-500", 1))), 401, "unauthorized")
    assert_error(anonymous.get(f"/sales/{sale['id']}"), 401, "unauthorized")


def test_prices_are_taken_from_the_catalogue_at_the_time_of_sale(app, vendor, open_shift):
    first = sell(vendor, sale_body(("MO-CP-250", 1)))
    set_product(app, "MO-CP-250", price_vnd=99_000)
    second = sell(vendor, sale_body(("MO-CP-250", 1), payments=[{"method": "cash", "amount_vnd": 99_000}]))
    assert (second["lines"][0]["unit_price_vnd"], second["total_vnd"]) == (99_000, 99_000)
    assert vendor.get(f"/sales/{first['id']}").get_json()["total_vnd"] == PRICES["MO-CP-250"]
