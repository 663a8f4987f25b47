"""The managers' and stock forms, submitted like a browser with the CSRF token of the page:
refunds, adjustments, counts, transfer receipts, users; and what the stock and catalogue pages show."""
import re

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from kiosk.extensions import db
from kiosk.models import AuditEntry, Refund, Sale, Transfer, TransferLine, User
from tests.kiosk.apitools import DEMO, balances
from tests.kiosk.pagetools import flashes, text

TRANSFER_ID = DEMO["incoming_transfer"]["id"]


def audit_actions(app):
    with app.app_context():
        return [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def sold(manager_browser):
    """An open shift and one sale: 2 x CF-CB-500 (145.000) and 1 x MO-CP-250 (98.000) less 8.000."""
    manager_browser.open_shift()
    return manager_browser.sell([{"sku": "CF-CB-500", "qty": 2}, {"sku": "MO-CP-250", "qty": 1, "discount_vnd": 8000}],
                                [{"method": "cash", "amount_vnd": 400_000}])


def test_a_manager_refunds_part_of_a_sale_through_the_form(app, manager_browser, sold):
    page = f"/sales/{sold['id']}"
    assert 'action="/sales/%s/refund"' % sold["id"] in text(manager_browser.get(page))
    before = balances(app)["MO-CP-250"]
    response = manager_browser.submit(page, {"lines-0-qty": "", "lines-1-qty": "1", "reason": "Hũ bị nứt"},
                                      action=f"/sales/{sold['id']}/refund", follow_redirects=True)
    assert "Đã hoàn 90.000 ₫. Trả lại khách bằng tiền mặt." in flashes(response)
    assert "Hoàn một phần" in text(response)
    assert balances(app)["MO-CP-250"] == before + 1
    with app.app_context():
        refund = db.session.scalar(select(Refund))
        assert (refund.total_vnd, refund.reason, [(l.sku, l.qty) for l in refund.lines]) == \
            (90_000, "Hũ bị nứt", [("MO-CP-250", 1)])
        assert db.session.get(Sale, sold["id"]).status == "partially_refunded"
    assert "sale.refund" in audit_actions(app)


def test_a_refund_beyond_the_sale_is_refused_in_vietnamese_and_changes_nothing(app, manager_browser, sold):
    page = f"/sales/{sold['id']}"
    response = manager_browser.submit(page, {"lines-0-qty": "3", "reason": "khách trả"},
                                      action=f"/sales/{sold['id']}/refund", follow_redirects=True)
    assert "Số lượng này vượt quá số còn có thể hoàn trên đơn." in flashes(response)
    response = manager_browser.submit(page, {"lines-0-qty": "50000", "reason": "khách trả"},
                                      action=f"/sales/{sold['id']}/refund", follow_redirects=True)
    assert "Số lượng này vượt quá số còn có thể hoàn trên đơn." in flashes(response)
    response = manager_browser.submit(page, {"reason": "khách trả"}, action=f"/sales/{sold['id']}/refund",
                                      follow_redirects=True)
    assert "Nhập số lượng hoàn cho ít nhất một dòng." in flashes(response)
    response = manager_browser.submit(page, {"lines-0-qty": "1", "reason": " "}, action=f"/sales/{sold['id']}/refund",
                                      follow_redirects=True)
    assert "Lý do: Cần điền mục này." in flashes(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Refund.id))) == 0
        assert db.session.get(Sale, sold["id"]).status == "paid"


def test_a_vendor_cannot_refund(app, vendor_browser):
    vendor_browser.open_shift()
    sale = vendor_browser.sell([{"sku": "CF-CB-500", "qty": 1}], [{"method": "card", "amount_vnd": 145_000}])
    response = vendor_browser.client.post(f"/sales/{sale['id']}/refund",
                                          data={"csrf_token": vendor_browser.csrf_token(), "lines-0-qty": "1",
                                                "reason": "x"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Refund.id))) == 0


def test_a_manager_adjusts_the_stock_through_the_form(app, manager_browser):
    before = balances(app)["TC-AKO-KHAN"]
    response = manager_browser.submit("/stock", {"sku": "TC-AKO-KHAN", "direction": "remove", "qty": "3",
                                                 "reason": "damaged", "note": "mốc"},
                                      action="/stock/adjustments", follow_redirects=True)
    assert f"Tồn kho của TC-AKO-KHAN bây giờ là {before - 3}." in flashes(response)
    assert balances(app)["TC-AKO-KHAN"] == before - 3
    manager_browser.submit("/stock", {"sku": "TC-AKO-KHAN", "direction": "add", "qty": "1", "reason": "other"},
                           action="/stock/adjustments")
    assert balances(app)["TC-AKO-KHAN"] == before - 2
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "stock.adjust")).all()
        assert [(e.details["delta"], e.details["reason"], e.details["note"]) for e in entries] == \
            [(-3, "damaged", "mốc"), (1, "other", None)]


@pytest.mark.parametrize("data, message", [
    ({"qty": "0"}, "Điều chỉnh phải thay đổi kho ít nhất 1."),
    ({"qty": "ba"}, "Nhập một số nguyên."),
    ({"sku": "NO-SUCH-SKU"}, "Sản phẩm:"),
    ({"reason": "stolen"}, "Lý do:"),
])
def test_a_bad_adjustment_is_refused_with_a_message(app, manager_browser, data, message):
    before = balances(app)["TC-AKO-KHAN"]
    form = {"sku": "TC-AKO-KHAN", "direction": "remove", "qty": "2", "reason": "damaged", **data}
    response = manager_browser.submit("/stock", form, action="/stock/adjustments", follow_redirects=True)
    [flash] = flashes(response)  # one message, the one that says what is wrong
    assert message in flash, flash
    assert balances(app)["TC-AKO-KHAN"] == before


def test_a_vendor_may_not_adjust(vendor_browser):
    page = text(vendor_browser.get("/stock"))
    assert 'action="/stock/adjustments"' not in page
    response = vendor_browser.client.post("/stock/adjustments", data={
        "csrf_token": vendor_browser.csrf_token(), "sku": "TC-AKO-KHAN", "direction": "remove", "qty": "2",
        "reason": "damaged"})
    assert response.status_code == 403


def test_a_stock_count_corrects_only_the_products_counted(app, manager_browser):
    page = text(manager_browser.get("/stock/count"))
    skus = re.findall(r'name="(lines-\d+)-sku"[^>]*value="([^"]+)"', page) or \
        [(n, v) for v, n in re.findall(r'value="([^"]+)"[^>]*name="(lines-\d+)-sku"', page)]
    assert len(skus) == 24
    by_sku = {sku: name for name, sku in skus}
    counted = {f"{by_sku['MO-CP-250']}-counted": "40", f"{by_sku['CF-CB-500']}-counted": "40",
               f"{by_sku['SR-KP-KEM']}-counted": "1"}
    before = balances(app)
    assert before["CF-CB-500"] == 40  # counted as recorded: no correction
    response = manager_browser.submit("/stock/count", counted, action=None, follow_redirects=True)
    assert "Đã lưu kiểm kê: điều chỉnh 2 sản phẩm." in flashes(response)
    after = balances(app)
    assert after["MO-CP-250"] == 40 and after["SR-KP-KEM"] == 1
    assert after["CF-CB-500"] == 40 and after["DL-EH-SA"] == before["DL-EH-SA"]


def test_a_bad_count_is_shown_again_with_the_error(manager_browser):
    response = manager_browser.submit("/stock/count", {"lines-0-counted": "-4"}, action=None)
    assert response.status_code == 200 and "Giá trị không hợp lệ." in text(response)
    assert "Đã lưu kiểm kê" not in text(response)


def test_a_vendor_receives_a_transfer_with_a_shortfall(app, vendor_browser):
    page = text(vendor_browser.get("/transfers"))
    prefix = f"t{TRANSFER_ID}"
    assert f'action="/transfers/{TRANSFER_ID}/receive"' in page
    assert re.search(rf'name="{prefix}-lines-0-received_qty"[^>]*value="20"', page) or \
        re.search(rf'value="20"[^>]*name="{prefix}-lines-0-received_qty"', page)  # prefilled with what was shipped
    before = balances(app)
    response = vendor_browser.submit("/transfers", {f"{prefix}-lines-1-received_qty": "11"},
                                     action=f"/transfers/{TRANSFER_ID}/receive", follow_redirects=True)
    assert "Đã nhận hàng; tồn kho đã được cập nhật." in flashes(response)
    after = balances(app)
    assert {sku: after[sku] - before[sku] for sku in ("CF-CB-500", "MO-CP-500", "SR-KP-KEM")} == \
        {"CF-CB-500": 20, "MO-CP-500": 11, "SR-KP-KEM": 10}
    with app.app_context():
        assert db.session.get(Transfer, TRANSFER_ID).status == "received"
        lines = db.session.scalars(select(TransferLine).order_by(TransferLine.id)).all()
        assert [(l.sku, l.qty, l.received_qty) for l in lines] == \
            [("CF-CB-500", 20, 20), ("MO-CP-500", 12, 11), ("SR-KP-KEM", 10, 10)]
    assert f'action="/transfers/{TRANSFER_ID}/receive"' not in text(response)  # received once only


def test_a_manager_creates_a_user_and_resets_a_password(app, manager_browser):
    response = manager_browser.submit("/users", {"username": "Thu.Ngan", "password": "matkhau-dai", "role": "vendor"},
                                      action=None, follow_redirects=True)
    assert "Đã tạo người dùng." in flashes(response) and "thu.ngan" in text(response)
    response = manager_browser.submit("/users", {"username": "thu.ngan", "password": "matkhau-dai", "role": "vendor"},
                                      action=None, follow_redirects=True)
    assert "Đã có người dùng với tên này." in flashes(response)
    response = manager_browser.submit("/users", {"username": "ngan2", "password": "ngan", "role": "vendor"},
                                      action=None)
    assert "Mật khẩu phải có ít nhất 8 ký tự." in text(response)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "thu.ngan"))
    response = manager_browser.client.post(f"/users/{user.id}/password", data={
        "csrf_token": manager_browser.csrf_token("/users"), "password": "mat-khau-moi"}, follow_redirects=True)
    assert "Đã đổi mật khẩu cho thu.ngan." in flashes(response)
    response = manager_browser.client.post(f"/users/{user.id}/password", data={
        "csrf_token": manager_browser.csrf_token("/users"), "password": "ngan"}, follow_redirects=True)
    assert "Mật khẩu phải có ít nhất 8 ký tự." in flashes(response)
    for guessable in ("12345678", "thu.ngan-2024"):  # a common password; one holding the username
        response = manager_browser.client.post(f"/users/{user.id}/password", data={
            "csrf_token": manager_browser.csrf_token("/users"), "password": guessable}, follow_redirects=True)
        assert ("Mật khẩu gồm 8 đến 256 ký tự, không chứa tên đăng nhập và không phải một mật khẩu phổ biến."
                in flashes(response))
    with app.app_context():
        assert check_password_hash(db.session.get(User, user.id).password_hash, "mat-khau-moi")  # unchanged
        manager_id = db.session.scalar(select(User.id).where(User.username == "manager"))
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "user",
                                                              AuditEntry.user_id.is_not(None))).all()
    assert [(e.action, e.user_id, e.entity_id, e.details) for e in entries] == [
        ("user.create", manager_id, str(user.id), {"username": "thu.ngan", "role": "vendor"}),
        ("user.password_reset", manager_id, str(user.id), {"username": "thu.ngan"})]  # once: the refused ones left none
    page = text(manager_browser.get("/audit"))
    assert "Tạo người dùng" in page and "Đặt lại mật khẩu" in page
    assert "matkhau-dai" not in page and "mat-khau-moi" not in page


def test_the_audit_trail_never_holds_a_password(app, manager_browser):
    manager_browser.submit("/users", {"username": "ngan3", "password": "bi-mat-lan-1", "role": "manager"}, action=None)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "ngan3"))
    manager_browser.client.post(f"/users/{user_id}/password", data={
        "csrf_token": manager_browser.csrf_token("/users"), "password": "bi-mat-lan-2"})
    with app.app_context():
        details = db.session.scalars(select(AuditEntry.details).where(AuditEntry.entity_id == str(user_id))).all()
    assert len(details) == 2 and not any("bi-mat" in str(d) for d in details)


def test_the_stock_page_marks_low_and_negative_stock(vendor_browser):
    vendor_browser.open_shift()
    vendor_browser.sell([{"sku": "SR-KP-KEM", "qty": 5}, {"sku": "TC-AKO-TUI", "qty": 2}],
                        [{"method": "cash", "amount_vnd": 1_115_000}])
    page = text(vendor_browser.get("/stock"))

    def row_class(sku):
        return re.search(rf'<tr class="([^"]*)">\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>{sku}</td>', page).group(1)

    assert row_class("SR-KP-KEM") == "row-negative"  # 3 in stock, 5 sold
    assert row_class("TC-AKO-TUI") == "row-low"  # 6 in stock, 2 sold: at or under LOW_STOCK_THRESHOLD (5)
    assert row_class("CF-CB-500") == ""
    badges = re.findall(r'<span class="status status-(\w+)">([^<]*)</span>', page.split("<tbody>", 1)[1])
    assert sorted(set(badges)) == [("low", "sắp hết"), ("negative", "âm kho")]


def test_the_catalogue_page_searches_without_diacritics_and_flags_expired_certificates(vendor_browser):
    page = text(vendor_browser.get("/products?q=ca phe"))
    assert "Cà phê Chồn Ban Mê 250g" in page and "Hạt điều" not in page
    assert "Hết hạn chứng nhận" in page  # CF-BM-PHIN's certificate expired in January 2026
    page = text(vendor_browser.get("/products?q=mat ong"))
    assert "Mật ong hoa cà phê Đắk Lắk 500ml" in page and "4 sao" in page and "Cà phê Chồn" not in page


def test_the_audit_log_shows_who_did_what(manager_browser, sold):
    page = text(manager_browser.get("/audit"))
    assert "Đơn bán" in page and sold["number"] in page and "Mở ca" in page and "manager" in page


def test_a_manager_deactivates_and_reactivates_a_vendor_but_not_himself(app, manager_browser):
    with app.app_context():
        ids = dict(db.session.execute(select(User.username, User.id)).all())
    toggle = f"/users/{ids['vendor']}/active"
    page = text(manager_browser.submit("/users", {}, action=toggle, follow_redirects=True))
    assert ">Mở khóa</button>" in page and "Đã khóa" in page
    assert f'action="/users/{ids["manager"]}/active"' not in page  # no button to lock oneself out
    with app.app_context():
        assert db.session.get(User, ids["vendor"]).active is False
    assert manager_browser.submit("/users", {}, action=toggle).status_code == 302
    with app.app_context():
        assert db.session.get(User, ids["vendor"]).active is True
    response = manager_browser.client.post(f"/users/{ids['manager']}/active", follow_redirects=True,
                                           data={"csrf_token": manager_browser.csrf_token("/users")})
    assert "Bạn không thể tự khóa tài khoản của mình." in flashes(response)
    with app.app_context():
        assert db.session.get(User, ids["manager"]).active is True
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.user_id, AuditEntry.entity_id)
                                     .where(AuditEntry.entity == "user", AuditEntry.user_id.is_not(None))
                                     .order_by(AuditEntry.id)).all()
    assert [tuple(e) for e in entries] == [("user.deactivate", ids["manager"], str(ids["vendor"])),
                                           ("user.activate", ids["manager"], str(ids["vendor"]))]
    page = text(manager_browser.get("/audit"))
    assert "Khóa người dùng" in page and "Mở khóa người dùng" in page
