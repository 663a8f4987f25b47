"""The HTML pages: who may see them, the language, the layout's rules, the sale screen and the shift forms."""
import re
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select

from kiosk import demo
from kiosk.extensions import db
from kiosk.models import Sale, Shift
from kiosk.payments import vietqr
from tests.kiosk.pagetools import Browser, flashes, text

VENDOR_PAGES = ["/sell", "/shift", "/sales", "/stock", "/transfers", "/products"]
MANAGER_PAGES = ["/users", "/audit", "/stock/count"]


def _reader(kiosk, role: str) -> Browser:
    browser = Browser(kiosk.app.test_client())
    browser.log_in(*next((username, password) for username, password, r in demo.LOGINS if r == role))
    return browser


@pytest.fixture(scope="module")
def vendor_reader(shared_kiosk):
    """A vendor's browser on the module's shared kiosk, for the tests that only read pages."""
    return _reader(shared_kiosk, "vendor")


@pytest.fixture(scope="module")
def manager_reader(shared_kiosk):
    return _reader(shared_kiosk, "manager")


@pytest.mark.parametrize("path", VENDOR_PAGES + MANAGER_PAGES + ["/shifts/x/report", "/sales/x"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("path", VENDOR_PAGES)
def test_a_vendor_sees_the_selling_pages(vendor_reader, path):
    response = vendor_reader.get(path)
    assert response.status_code == 200
    assert 'href="/sell"' in text(response)  # the sale screen is one tap away everywhere
    assert 'href="/users"' not in text(response)  # and managers' pages are not offered


@pytest.mark.parametrize("path", MANAGER_PAGES)
def test_managers_pages_are_forbidden_to_a_vendor(vendor_reader, path):
    assert vendor_reader.get(path).status_code == 403


@pytest.mark.parametrize("path", VENDOR_PAGES + MANAGER_PAGES)
def test_a_manager_sees_every_page(manager_reader, path):
    response = manager_reader.get(path)
    assert response.status_code == 200
    assert 'href="/users"' in text(response) and 'href="/audit"' in text(response)


def test_the_pages_speak_vietnamese_first_and_english_on_request(client, browser, demo_data):
    page = text(client.get("/login"))
    assert '<html lang="vi">' in page and "Đăng nhập" in page and "Tên đăng nhập" in page
    browser.log_in(*demo_data["vendor"])
    page = text(client.get("/sell"))
    assert "Bán hàng" in page and "Giỏ hàng" in page and "Thu tiền" in page

    response = client.get("/lang/en", headers={"Referer": "http://localhost/sell"})
    assert response.status_code == 302 and response.location == "http://localhost/sell"
    page = text(client.get("/sell"))
    assert '<html lang="en">' in page and "Cart" in page and "Giỏ hàng" not in page
    assert '"charge": "Charge {amount}"' in page  # the sale screen's script gets its texts in English too
    client.get("/lang/vi")
    assert "Giỏ hàng" in text(client.get("/sell"))


def test_an_unknown_language_changes_nothing(client):
    client.get("/lang/fr")
    assert '<html lang="vi">' in text(client.get("/login"))


def test_logging_in_needs_the_forms_csrf_token(client, browser, demo_data):
    username, password = demo_data["vendor"]
    response = client.post("/login", data={"username": username, "password": password}, follow_redirects=True)
    assert response.request.path == "/login"  # back to the form, not logged in
    assert "Trang đã hết hạn. Vui lòng thử lại." in flashes(response)
    assert client.get("/sell").status_code == 302
    browser.log_in(username, password)
    assert client.get("/sell").status_code == 200


def test_logging_out_ends_the_session_but_keeps_the_language(client, browser, demo_data):
    client.get("/lang/en")
    browser.log_in(*demo_data["vendor"])
    assert '<html lang="en">' in text(client.get("/sell"))  # the language chosen before logging in is kept
    response = browser.submit("/sell", {}, action="/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/sell").status_code == 302
    assert '<html lang="en">' in text(client.get("/login"))


def test_too_many_failed_logins_lock_the_form_in_vietnamese(client, browser, demo_data):
    for _ in range(5):
        assert "Sai tên đăng nhập hoặc mật khẩu." in flashes(
            browser.submit("/login", {"username": "vendor", "password": "wrong-password"}, follow_redirects=True))
    response = browser.submit("/login", {"username": "vendor", "password": "banhang-demo"}, follow_redirects=True)
    assert "Đăng nhập sai quá nhiều lần; đợi vài phút rồi thử lại." in flashes(response)
    assert client.get("/sell").status_code == 302


def test_a_wrong_password_is_explained_in_vietnamese(browser, demo_data):
    response = browser.submit("/login", {"username": "vendor", "password": "wrong-password"}, follow_redirects=True)
    assert "Sai tên đăng nhập hoặc mật khẩu." in flashes(response)


@pytest.mark.parametrize("target, expected", [("/stock", "/stock"), ("//evil.example/x", "/sell"),
                                              ("https://evil.example/", "/sell"), ("/\\evil.example", "/sell")])
def test_login_goes_back_only_to_a_page_of_this_kiosk(browser, demo_data, target, expected):
    response = browser.submit(f"/login?next={target}", {"username": "vendor", "password": "banhang-demo"})
    assert response.status_code == 302 and response.location == expected


def test_pages_load_scripts_from_files_only(vendor_reader):
    """A later strict CSP forbids inline scripts: every <script> has a src or is a JSON data block."""
    for path in VENDOR_PAGES:
        page = text(vendor_reader.get(path))
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert 'type="application/json"' in tag or ("src=" in tag and "defer" in tag), (path, tag)
        assert " onclick=" not in page and "javascript:" not in page
        assert "http://" not in page.replace("http://localhost", "") and "https://" not in page  # nothing from outside


def test_the_sale_screen_without_a_shift_says_so(vendor_reader):
    page = text(vendor_reader.get("/sell"))
    assert "Chưa có ca nào đang mở" in page and 'href="/shift"' in page
    assert 'data-shift-open="0"' in page


def test_the_sale_screen_carries_the_catalogue_and_the_csrf_token(vendor_browser):
    vendor_browser.open_shift()
    page = text(vendor_browser.get("/sell"))
    assert "Chưa có ca nào đang mở" not in page and 'data-shift-open="1"' in page
    catalogue = re.search(r'<script type="application/json" id="catalogue">(.*?)</script>', page, re.S).group(1)
    assert catalogue.count('"sku":') == 24
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', page)
    assert 'href="/static/css/app.css"' in page and vendor_browser.get("/static/css/app.css").status_code == 200
    for script in ("till", "shelf", "sell"):
        assert f'<script src="/static/js/{script}.js" defer>' in page
        assert vendor_browser.get(f"/static/js/{script}.js").status_code == 200


def test_the_api_takes_the_sale_screens_session_only_with_its_csrf_token(vendor_browser):
    vendor_browser.open_shift()
    body = {"lines": [{"sku": "CF-CB-500", "qty": 1}], "payments": [{"method": "cash", "amount_vnd": 200_000}]}
    refused = vendor_browser.client.post("/api/v1/sales", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "bad_request"
    sale = vendor_browser.sell(body["lines"], body["payments"])
    assert sale["change_vnd"] == 55_000


def test_opening_and_closing_a_shift_through_the_forms(app, vendor_browser):
    vendor_browser.open_shift("500.000")
    assert "Đã mở ca. Chúc bán đắt hàng!" in flashes(vendor_browser.get("/sell"))
    vendor_browser.sell([{"sku": "CF-CB-500", "qty": 2}], [{"method": "cash", "amount_vnd": 300_000}])
    vendor_browser.sell([{"sku": "MO-CP-250", "qty": 1}], [{"method": "transfer", "amount_vnd": 98_000}])
    page = text(vendor_browser.get("/shift"))
    assert 'data-figure="expected_cash_vnd">790.000 ₫<' in page  # the running figures before closing

    response = vendor_browser.submit("/shift", {"counted_cash_vnd": "785000"}, action="/shift/close")
    assert response.status_code == 302 and response.location.endswith("/report")
    report = text(vendor_browser.get(response.location))
    for figure, value in {"sales_count": "2", "gross_vnd": "388.000 ₫", "by_method.cash": "290.000 ₫",
                          "by_method.transfer": "98.000 ₫", "expected_cash_vnd": "790.000 ₫",
                          "counted_cash_vnd": "785.000 ₫", "variance_vnd": "-5.000 ₫"}.items():
        assert f'data-figure="{figure}">{value}<' in report, figure
    with app.app_context():
        shift = db.session.scalar(select(Shift))
        assert shift.closed_at is not None and shift.z_report["variance_vnd"] == -5_000
    shift_page = text(vendor_browser.get("/shift"))
    assert "Các ca đã đóng" in shift_page and f"/shifts/{shift.id}/report" in shift_page
    assert 'action="/shift/open"' in shift_page  # and the next shift can be opened


@pytest.mark.parametrize("typed, message", [
    ("abc", "Nhập số tiền bằng đồng, ví dụ 500.000."), ("-5", "Nhập số tiền bằng đồng, ví dụ 500.000."),
    ("1.5.0.0", "Nhập số tiền bằng đồng, ví dụ 500.000."), ("", "Cần điền mục này."),
])
def test_a_bad_opening_cash_is_refused_with_a_message(app, vendor_browser, typed, message):
    response = vendor_browser.submit("/shift", {"opening_cash_vnd": typed}, action="/shift/open")
    assert response.status_code == 302 and response.location.endswith("/shift")
    assert flashes(vendor_browser.get("/shift")) == [f"Tiền mặt đầu ca trong két: {message}"]
    with app.app_context():
        assert db.session.scalar(select(Shift)) is None


def test_closing_with_no_shift_open_is_refused_and_an_open_shift_has_no_report_yet(app, vendor_browser):
    response = vendor_browser.client.post("/shift/close", data={"csrf_token": vendor_browser.csrf_token(),
                                                                "counted_cash_vnd": "0"}, follow_redirects=True)
    assert "Chưa có ca nào đang mở. Hãy mở ca trước." in flashes(response)
    vendor_browser.open_shift()
    with app.app_context():
        shift_id = db.session.scalar(select(Shift.id))
    response = vendor_browser.get(f"/shifts/{shift_id}/report")
    assert response.status_code == 302 and response.location == "/shift"
    assert vendor_browser.get("/shifts/no-such-shift/report").status_code == 404


def test_opening_a_second_shift_is_refused_in_vietnamese(vendor_browser):
    vendor_browser.open_shift()
    page = vendor_browser.client.get("/shift")
    assert 'action="/shift/open"' not in text(page)
    response = vendor_browser.client.post("/shift/open", data={"csrf_token": vendor_browser.csrf_token(),
                                                               "opening_cash_vnd": "0"}, follow_redirects=True)
    assert "Đã có một ca đang mở." in flashes(response)


def test_the_sales_list_and_a_sales_page_with_its_vietqr(app, vendor_browser):
    vendor_browser.open_shift()
    paid = vendor_browser.sell([{"sku": "CF-BM-PHIN", "qty": 1}], [{"method": "transfer", "amount_vnd": 85_000}])
    cash = vendor_browser.sell([{"sku": "MO-CP-250", "qty": 1}], [{"method": "cash", "amount_vnd": 100_000}])
    listing = text(vendor_browser.get("/sales"))
    assert listing.index(cash["number"]) < listing.index(paid["number"])  # newest first
    assert text(vendor_browser.get("/sales?day=2001-01-01")).count("DEMO01-") == 0

    page = text(vendor_browser.get(f"/sales/{paid['id']}"))
    assert paid["number"] in page and "85.000 ₫" in page
    assert "Chứng nhận OCOP đã hết hạn: Cà phê phin giấy Ban Mê (10 gói)" in page
    assert f'src="/sales/{paid["id"]}/vietqr.svg"' in page
    assert "Hoàn tiền" not in page  # refunds are for managers

    svg = vendor_browser.get(f"/sales/{paid['id']}/vietqr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(svg.data)
    assert root.tag.endswith("svg") and root.find("{http://www.w3.org/2000/svg}path") is not None
    assert vietqr.parse(paid["vietqr"])["54"] == "85000"
    assert vendor_browser.get(f"/sales/{cash['id']}/vietqr.svg").status_code == 404  # no transfer, no QR
    assert vendor_browser.get("/sales/no-such-sale").status_code == 404
    with app.app_context():
        assert db.session.get(Sale, paid["id"]).vietqr == paid["vietqr"]


def test_out_of_range_page_numbers_are_harmless(manager_reader):
    assert manager_reader.get("/sales?page=999999999999999999999999").status_code == 200
    assert manager_reader.get("/audit?page=-3").status_code == 200
    assert manager_reader.get("/sales?day=not-a-day").status_code == 200
