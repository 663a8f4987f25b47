"""The admin pages: login, roles (a reviewer sees lists, every write is 403), forms with a real CSRF token
read from the page, friendly messages for bad input with nothing written, the device token shown once,
Vietnamese by default and English after switching."""
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from central_sync import demo
from central_sync.extensions import db
from central_sync.models import Device, LoginSession, Price, Producer, Product, Transfer
from central_sync.network.services import device_for_token
from tests.central_sync.conftest import PASSWORD
from tests.central_sync.tools import assert_balances_match_ledger
from tests.kiosk.pagetools import Browser, flashes, text

PAGES = ["/products", "/products/CF-500", "/producers", "/locations", "/locations/K01", "/locations/KHO/stock",
         "/transfers", "/transfers?status=in_transit"]
ADMIN_PAGES = ["/products/new", "/producers/new", "/producers/1", "/locations/new", "/transfers/new"]
WRITES = ["/products/new", "/products/CF-500", "/products/CF-500/prices", "/producers/new", "/producers/1",
          "/locations/new", "/locations/K01", "/locations/K01/devices", "/devices/1/rotate", "/devices/1/revoke",
          "/transfers/new"]


def logged_in(client, username: str) -> Browser:
    browser = Browser(client)
    browser.log_in(username, PASSWORD)
    return browser


@pytest.fixture(autouse=True)
def _producer_sequence_past_the_world(app, world):
    """The world's producers have explicit ids: on PostgreSQL move the id sequence past them (seed-demo does)."""
    with app.app_context():
        demo._after_explicit_ids(Producer)
        db.session.commit()


@pytest.fixture
def admin_page(client, world):
    return logged_in(client, "admin")


@pytest.fixture
def reviewer_page(client, world):
    return logged_in(client, "reviewer")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def csrf_token(browser: Browser, page: str = "/products") -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(browser.get(page))).group(1)


@pytest.mark.parametrize("path", PAGES + ADMIN_PAGES)
def test_anonymous_is_sent_to_the_login_page(client, world, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("path", WRITES + ["/logout"])
def test_an_anonymous_post_writes_nothing(app, client, world, path):
    response = client.post(path, data={"name": "x"})
    assert response.status_code in (302, 400) and count(app, Producer) == 2


@pytest.mark.parametrize("path", PAGES + ADMIN_PAGES)
def test_every_page_renders_for_the_admin(admin_page, path):
    response = admin_page.get(path)
    assert response.status_code == 200, path
    assert "<form" in text(response)


@pytest.mark.parametrize("path", PAGES)
def test_every_list_renders_for_a_reviewer_without_its_forms(reviewer_page, path):
    response = reviewer_page.get(path)
    assert response.status_code == 200
    assert re.findall(r'<form method="post" action="([^"]*)"', text(response)) == ["/logout"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_reviewer_cannot_open_a_form(reviewer_page, path):
    assert reviewer_page.get(path).status_code == 403


@pytest.mark.parametrize("path", WRITES)
def test_every_write_is_403_for_a_reviewer(app, reviewer_page, path):
    token = csrf_token(reviewer_page)
    response = reviewer_page.client.post(path, data={"csrf_token": token, "name": "Hacked", "code": "X99",
                                                     "kind": "kiosk", "price_vnd": "1"})
    assert response.status_code == 403
    assert count(app, Producer) == 2 and count(app, Price) == 3 and count(app, Device) == 0


def test_a_form_without_its_csrf_token_writes_nothing(app, admin_page):
    response = admin_page.client.post("/producers/new", data={"name": "HTX Không Token", "kind": "company"})
    assert response.status_code == 302 and count(app, Producer) == 2
    assert "Trang đã hết hạn. Vui lòng thử lại." in flashes(admin_page.get("/producers"))


def test_login_with_a_wrong_password_says_so(client, world):
    response = Browser(client).submit("/login", {"username": "admin", "password": "sai-mat-khau"})
    assert response.status_code == 200 and "Sai tên đăng nhập hoặc mật khẩu." in flashes(response)


def test_pages_are_vietnamese_by_default_and_english_after_switching(admin_page):
    html = text(admin_page.get("/products"))
    assert "Sản phẩm" in html and "Chủ thể sản xuất" in html and 'lang="vi"' in html
    admin_page.get("/lang/en")
    html = text(admin_page.get("/products"))
    assert ">Producers<" in html and "Sản phẩm" not in html and 'lang="en"' in html


def test_logout_ends_the_session_even_for_a_copy_of_its_cookie(app, admin_page):
    copied = admin_page.client.get_cookie("central_session").value
    response = admin_page.submit("/products", {}, action="/logout")
    assert response.status_code == 302
    assert admin_page.get("/products").status_code == 302
    replay = app.test_client()
    replay.set_cookie("central_session", copied)
    assert replay.get("/products").status_code == 302 and count(app, LoginSession) == 0


def test_a_new_password_ends_the_users_sessions(app, client, world):
    browser = logged_in(client, "reviewer")
    assert browser.get("/products").status_code == 200
    assert app.test_cli_runner().invoke(args=["users", "set-password", "reviewer", "--password",
                                              "hoa-sen-trang"]).exit_code == 0
    assert browser.get("/products").status_code == 302 and count(app, LoginSession) == 0


# ---------- producers ----------

def test_the_admin_creates_and_edits_a_producer(app, admin_page):
    response = admin_page.submit("/producers/new", {"name": "HTX Ca cao Krông Ana", "kind": "cooperative",
                                                    "tax_code": "6001999999", "commune": "Ea Na",
                                                    "district": "Krông Ana"}, follow_redirects=True)
    assert "HTX Ca cao Krông Ana" in text(response)
    with app.app_context():
        producer = db.session.scalar(select(Producer).where(Producer.tax_code == "6001999999"))
        assert (producer.kind, producer.district) == ("cooperative", "Krông Ana")
        producer_id = producer.id
    admin_page.submit(f"/producers/{producer_id}", {"name": "HTX Ca cao Krông Ana mới", "kind": "company"})
    with app.app_context():
        producer = db.session.get(Producer, producer_id)
        assert (producer.name, producer.kind, producer.tax_code) == ("HTX Ca cao Krông Ana mới", "company", "6001999999")


@pytest.mark.parametrize("data, message", [
    ({"name": "Trùng MST", "kind": "company", "tax_code": "6001234501"}, "Mã số thuế này đã thuộc về một chủ thể khác."),
    ({"name": "MST sai", "kind": "company", "tax_code": "12ab"}, "Mã số thuế: Mã số thuế gồm 10 chữ số"),
    ({"name": "", "kind": "company"}, "Tên: Cần điền mục này."),
    ({"name": "Loại lạ", "kind": "alien"}, "Loại:"),
    ({"name": "x" * 201, "kind": "company"}, "Tên: Quá dài."),
])
def test_bad_producers_are_refused_with_a_message(app, admin_page, data, message):
    response = admin_page.submit("/producers/new", data)
    assert response.status_code == 200
    assert any(m.startswith(message) for m in flashes(response)), flashes(response)
    assert count(app, Producer) == 2


# ---------- products and prices ----------

PRODUCT = {"sku": "CC-100", "name": "Ca cao nguyên chất 100g", "unit": "hộp", "barcode": "8930000000017",
           "ocop_stars": "4", "ocop_group": "beverage", "producer_id": "1", "origin_commune": "Ea Na",
           "origin_district": "Krông Ana", "certificate_no": "12/QĐ-UBND", "certificate_issued_on": "2024-05-01",
           "certificate_expires_on": "2027-05-01", "price_vnd": "65.000"}


def test_the_admin_creates_a_product_with_its_price(app, admin_page):
    response = admin_page.submit("/products/new", PRODUCT)
    assert response.status_code == 302 and response.location.endswith("/products/CC-100")
    html = text(admin_page.get("/products/CC-100"))
    assert "65.000 ₫" in html
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.sku == "CC-100"))
        assert (product.ocop_stars, product.ocop_group, product.certificate_expires_on.isoformat()) == \
            (4, "beverage", "2027-05-01")


@pytest.mark.parametrize("change, message", [
    ({"sku": "CF-500"}, "Đã có sản phẩm mang mã này."),
    ({"price_vnd": "-5"}, "Giá:"),
    ({"price_vnd": "mười nghìn"}, "Giá: Nhập số tiền bằng đồng"),
    ({"price_vnd": "99999999999"}, "Giá: Giá trị không hợp lệ."),
    ({"sku": "CF 500!"}, "Mã hàng:"),
    ({"ocop_stars": "7"}, "Số sao OCOP:"),
    ({"producer_id": "999"}, "Chủ thể sản xuất:"),
    ({"certificate_expires_on": "2020-01-01"}, "Ngày hết hạn giấy chứng nhận: Ngày hết hạn không thể trước ngày cấp."),
    ({"certificate_issued_on": "hôm qua"}, "Ngày cấp giấy chứng nhận:"),
    ({"barcode": "123"}, "Mã vạch: Mã vạch gồm 8 đến 14 chữ số."),
])
def test_bad_products_are_refused_with_a_message(app, admin_page, change, message):
    response = admin_page.submit("/products/new", {**PRODUCT, **change})
    assert response.status_code == 200
    assert any(m.startswith(message) for m in flashes(response)), flashes(response)
    assert count(app, Product) == 3 and count(app, Price) == 3


def test_a_duplicate_barcode_is_refused(app, admin_page):
    assert admin_page.submit("/products/new", PRODUCT).status_code == 302
    response = admin_page.submit("/products/new", {**PRODUCT, "sku": "CC-200"})
    assert "Mã vạch này đã thuộc về một sản phẩm khác." in flashes(response) and count(app, Product) == 4


def test_the_admin_edits_every_ocop_field(app, admin_page):
    response = admin_page.submit("/products/CF-500", {"name": "Cà phê bột Ea Kiết 500g", "ocop_stars": "5",
                                                      "ocop_group": "beverage", "producer_id": "2",
                                                      "certificate_expires_on": "2031-02-03"},
                                 action="/products/CF-500")
    assert response.status_code == 302
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.sku == "CF-500"))
        assert (product.name, product.ocop_stars, product.ocop_group, product.producer_id,
                product.certificate_expires_on.isoformat()) == ("Cà phê bột Ea Kiết 500g", 5, "beverage", 2,
                                                                "2031-02-03")


def test_an_edit_with_bad_input_changes_nothing(app, admin_page):
    response = admin_page.submit("/products/CF-500", {"name": "", "ocop_stars": "2"}, action="/products/CF-500")
    assert response.status_code == 422 and "Tên: Cần điền mục này." in flashes(response)
    with app.app_context():
        assert db.session.scalar(select(Product.name).where(Product.sku == "CF-500")) == "Cà phê bột 500g"


def test_prices_are_added_to_the_history_never_changed(app, admin_page):
    admin_page.submit("/products/CF-500", {"price_vnd": "150.000"}, action="/products/CF-500/prices")
    admin_page.submit("/products/CF-500", {"price_vnd": "155000", "location": "K01"}, action="/products/CF-500/prices")
    html = text(admin_page.get("/products/CF-500"))
    assert "145.000 ₫" in html and "150.000 ₫" in html and "155.000 ₫" in html
    with app.app_context():
        rows = db.session.execute(select(Price.price_vnd, Price.location_id).join(Product)
                                  .where(Product.sku == "CF-500").order_by(Price.id)).all()
        assert [r.price_vnd for r in rows] == [145_000, 150_000, 155_000]
        assert rows[0].location_id is None and rows[1].location_id is None and rows[2].location_id is not None


@pytest.mark.parametrize("data, message", [
    ({"price_vnd": "-1"}, "Giá mới:"), ({"price_vnd": ""}, "Giá mới: Cần điền mục này."),
    ({"price_vnd": "10", "location": "NOWHERE"}, "Áp dụng tại:"),
])
def test_bad_prices_are_refused(app, admin_page, data, message):
    response = admin_page.submit("/products/CF-500", data, action="/products/CF-500/prices")
    assert response.status_code == 422 and any(m.startswith(message) for m in flashes(response)), flashes(response)
    assert count(app, Price) == 3


def test_the_list_searches_filters_and_flags_certificates(app, admin_page):
    with app.app_context():
        from datetime import timedelta

        from central_sync.models import utcnow
        products = {p.sku: p for p in db.session.scalars(select(Product))}
        products["CF-250"].certificate_expires_on = (utcnow() - timedelta(days=1)).date()
        products["MO-250"].certificate_expires_on = (utcnow() + timedelta(days=30)).date()
        db.session.commit()
    html = text(admin_page.get("/products"))
    assert html.count('class="row-expired"') == 1 and html.count('class="row-expiring"') == 1
    assert "Hết hạn" in html and "Sắp hết hạn" in html
    found = text(admin_page.get("/products?q=Mật ong"))
    assert "MO-250" in found and "CF-500" not in found
    found = text(admin_page.get("/products?stars=5"))
    assert "MO-250" in found and "CF-500" not in found
    found = text(admin_page.get("/products?producer=1"))
    assert "CF-500" in found and "MO-250" not in found
    assert "CF-500" not in text(admin_page.get("/products?group=textile"))
    assert admin_page.get("/products?stars=abc&producer=x&group=zz").status_code == 200  # nonsense filters: ignored
    assert admin_page.get("/products?group=%00").status_code == 400  # a NUL, which PostgreSQL cannot compare


def test_an_unknown_product_or_producer_is_404(admin_page):
    assert admin_page.get("/products/NOPE").status_code == 404
    assert admin_page.get("/producers/999").status_code == 404
    assert admin_page.get("/locations/NOPE").status_code == 404
    assert admin_page.get("/transfers/nope").status_code == 404


# ---------- locations and devices ----------

def test_the_admin_creates_and_edits_a_location(app, admin_page):
    response = admin_page.submit("/locations/new", {"code": "k17", "name": "Ki-ốt chợ Ea Súp", "kind": "kiosk",
                                                    "market": "Chợ Ea Súp", "district": "Ea Súp"})
    assert response.status_code == 302 and response.location.endswith("/locations/K17")
    admin_page.submit("/locations/K17", {"name": "Ki-ốt chợ Ea Súp mới", "market": "Chợ mới"}, action="/locations/K17")
    html = text(admin_page.get("/locations"))
    assert "Ki-ốt chợ Ea Súp mới" in html and "Chợ mới" in html


@pytest.mark.parametrize("data, message", [
    ({"code": "K01"}, "Đã có điểm mang mã này."),
    ({"code": "K 1!"}, "Mã: Từ 2 đến 16 chữ in hoa"),
    ({"code": ""}, "Mã: Cần điền mục này."),
    ({"kind": "spaceport"}, "Loại:"),
])
def test_bad_locations_are_refused(app, admin_page, data, message):
    from central_sync.models import Location
    response = admin_page.submit("/locations/new", {"code": "K18", "name": "Ki-ốt", "kind": "kiosk", **data})
    assert response.status_code == 200 and any(m.startswith(message) for m in flashes(response)), flashes(response)
    assert count(app, Location) == 4


def device_token(html: str) -> str | None:
    found = re.search(r'<code class="token-value">([^<]+)</code>', html)
    return unescape(found.group(1)) if found else None


def test_a_device_token_is_shown_once(app, admin_page):
    response = admin_page.submit("/locations/K01", {}, action="/locations/K01/devices")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = device_token(text(response))
    with app.app_context():
        assert device_for_token(token).location.code == "K01"
    page = text(admin_page.get("/locations/K01"))
    assert device_token(page) is None and token not in page


def test_a_second_device_is_refused_kindly(app, admin_page):
    admin_page.submit("/locations/K01", {}, action="/locations/K01/devices")
    response = admin_page.submit("/locations/K01", {}, action="/locations/K01/devices", follow_redirects=True)
    assert "Điểm này đã có thiết bị đang hoạt động; hãy cấp mã mới hoặc thu hồi thiết bị đó trước." in flashes(response)
    assert count(app, Device) == 1


def test_the_warehouse_gets_no_device(app, admin_page):
    assert 'action="/locations/KHO/devices"' not in text(admin_page.get("/locations/KHO"))
    response = admin_page.client.post("/locations/KHO/devices", data={"csrf_token": csrf_token(admin_page)},
                                      follow_redirects=True)
    assert "Chỉ ki-ốt và cụm ki-ốt mới có thiết bị." in flashes(response) and count(app, Device) == 0


def test_rotate_shows_a_new_token_once_and_revoke_stops_it(app, admin_page):
    first = device_token(text(admin_page.submit("/locations/K02", {}, action="/locations/K02/devices")))
    with app.app_context():
        device_id = device_for_token(first).id
    response = admin_page.submit("/locations/K02", {}, action=f"/devices/{device_id}/rotate")
    second = device_token(text(response))
    assert second and second != first
    with app.app_context():
        assert device_for_token(first) is None and device_for_token(second).id == device_id
    assert device_token(text(admin_page.get("/locations/K02"))) is None
    response = admin_page.submit("/locations/K02", {}, action=f"/devices/{device_id}/revoke", follow_redirects=True)
    assert "Đã thu hồi thiết bị: mã truy cập của nó không còn dùng được." in flashes(response)
    with app.app_context():
        assert device_for_token(second) is None
    token = csrf_token(admin_page)
    response = admin_page.client.post(f"/devices/{device_id}/rotate", data={"csrf_token": token}, follow_redirects=True)
    assert "Thiết bị này đã bị thu hồi; hãy tạo thiết bị mới." in flashes(response)
    assert admin_page.client.post("/devices/999/revoke", data={"csrf_token": token}).status_code == 404


# ---------- transfers and stock ----------

def transfer_form(lines, to="K01") -> dict:
    data = {"from_location": "KHO", "to_location": to}
    for index, (sku, qty) in enumerate(lines):
        data[f"lines-{index}-sku"], data[f"lines-{index}-qty"] = sku, qty
    return data


def test_the_admin_ships_a_transfer_of_several_lines(app, admin_page):
    response = admin_page.submit("/transfers/new", transfer_form([("CF-500", "10"), ("MO-250", "4"), ("CF-500", "2")]))
    assert response.status_code == 302 and "/transfers/" in response.location
    html = text(admin_page.get(response.location))
    assert "Cà phê bột 500g" in html and "Đang chuyển đến" in html
    stock = text(admin_page.get("/locations/KHO/stock"))
    assert re.search(r"CF-500</td><td>[^<]*</td><td class=\"num\">88<", stock)
    assert re.search(r"MO-250</td><td>[^<]*</td><td class=\"num\">0</td><td class=\"num\">4<",
                     text(admin_page.get("/locations/K01/stock")))
    assert "CF-500 × 12" in text(admin_page.get("/transfers"))
    assert_balances_match_ledger(app)


@pytest.mark.parametrize("lines, to, message", [
    ([("CF-500", "101")], "K01", "Điểm gửi không đủ hàng CF-500: chưa xuất hàng nào."),
    ([("CF-250", "1"), ("XX-1", "2")], "K01", "Không có sản phẩm nào có mã XX-1."),
    ([("CF-500", "-3")], "K01", "Số lượng: Từ 1 đến 1.000.000."),
    ([("CF-500", "0")], "K01", "Số lượng: Từ 1 đến 1.000.000."),
    ([("CF-500", "99999999999")], "K01", "Số lượng: Từ 1 đến 1.000.000."),
    ([("CF-500", "năm")], "K01", "Số lượng: Nhập một số nguyên."),
    ([("CF-500", "")], "K01", "Mã hàng: Hãy nhập số lượng của CF-500."),
    ([("", "5")], "K01", "Số lượng: Hãy nhập mã sản phẩm cho số lượng này."),
    ([], "K01", "Các dòng: Hãy thêm ít nhất một dòng: mã sản phẩm và số lượng."),
    ([("CF-500", "1")], "NOWHERE", "Đến:"),
    ([("CF-500", "1")], "KHO", "Đến:"),
])
def test_bad_transfers_are_refused_with_a_message(app, admin_page, lines, to, message):
    response = admin_page.submit("/transfers/new", transfer_form(lines, to))
    assert response.status_code == 422
    assert any(m.startswith(message) for m in flashes(response)), flashes(response)
    assert count(app, Transfer) == 0
    assert "100" in text(admin_page.get("/locations/KHO/stock"))
    assert_balances_match_ledger(app)
