"""A vendor's day in Chromium, at tablet and phone size: log in, open a shift, sell, close, read the Z report."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, till_ready

pytestmark = pytest.mark.e2e

SOCOLA_BARCODE = "8936008000181"  # CC-KA-SOCOLA, 69.000 ₫
MACADAMIA_BARCODE = "8936004000093"  # MC-TL-500, 210.000 ₫


def log_in(page, username="vendor", password="banhang-demo"):
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/sell$"))


def open_shift(page, opening_cash="500.000"):
    page.goto("/shift")
    page.fill("input[name=opening_cash_vnd]", opening_cash)
    page.click("form[action$='/shift/open'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/sell$"))
    till_ready(page)


def cart_skus(page):
    return page.locator("#cart .cart-line").evaluate_all("rows => rows.map(r => r.dataset.sku)")


def choose_method(page, method):
    page.locator(f".segmented label:has(input[value='{method}'])").click()


def test_a_shift_of_selling_with_cash_and_transfer(page, printer):
    log_in(page)
    expect(page.locator(".banner-warn")).to_contain_text("Chưa có ca")
    expect(page.locator("#charge")).to_be_disabled()
    page.locator(".banner-warn a").click()
    expect(page).to_have_url(re.compile(r"/shift$"))
    open_shift(page)
    expect(page.locator(".flash-success")).to_be_visible()

    # Sale 1: two products, paid with a 500.000 note; the change is shown before and after charging.
    page.click("#grid .product[data-sku='CF-CB-500']")
    page.click("#grid .product[data-sku='MO-CP-250']")
    assert cart_skus(page) == ["CF-CB-500", "MO-CP-250"]
    expect(page.locator("#total")).to_have_text("243.000 ₫")
    expect(page.locator("#totals")).to_be_in_viewport()
    page.locator("#quick-cash button", has_text="500.000 ₫").click()
    expect(page.locator("#change")).to_have_text("257.000 ₫")
    screenshot(page, "sale-cash")
    page.click("#charge")
    result = page.locator("#result")
    expect(result).to_be_visible()
    expect(page.locator("#r-number")).to_have_text(re.compile(r"^DEMO01-\d+$"))
    expect(page.locator("#r-change")).to_have_text("257.000 ₫")
    expect(page.locator("#r-qr")).to_be_hidden()
    # The receipt prints in the background, and its picture is shown as printed.
    expect(page.locator("#r-print")).to_have_text("Đã in", timeout=20_000)
    page.wait_for_function("() => document.getElementById('r-receipt').naturalWidth === 576")
    assert len(printer.wait_for_jobs(1)) == 1
    screenshot(page, "sale-cash-done")
    page.click("#new-sale")
    expect(result).to_be_hidden()
    assert cart_skus(page) == []

    # Sale 2: scanned, paid by bank transfer; the VietQR is shown and loads.
    page.keyboard.type(SOCOLA_BARCODE)
    page.keyboard.press("Enter")
    expect(page.locator("#cart .cart-line")).to_have_count(1)
    assert cart_skus(page) == ["CC-KA-SOCOLA"]
    choose_method(page, "transfer")
    expect(page.locator("#transfer-amount")).to_have_text("69.000 ₫")
    with page.expect_response(lambda r: r.url.endswith("/vietqr.svg")) as qr_response:
        page.click("#charge")
    assert qr_response.value.status == 200
    assert qr_response.value.headers["content-type"].startswith("image/svg+xml")
    qr = page.locator("#r-qr-img")
    expect(qr).to_be_visible()
    expect(page.locator("#r-qr-amount")).to_have_text("69.000 ₫")
    page.wait_for_function("() => document.getElementById('r-qr-img').naturalWidth > 0")
    screenshot(page, "sale-transfer-qr")
    page.click("#new-sale")

    # Close the shift: 743.000 expected in the drawer, 740.000 counted.
    page.click("nav a[href='/shift']")
    expect(page.locator("[data-figure='sales_count']")).to_have_text("2")
    page.fill("input[name=counted_cash_vnd]", "740000")
    page.click("form[action$='/shift/close'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/report$"))
    expected = {"sales_count": "2", "gross_vnd": "312.000 ₫", "refunds_vnd": "0 ₫", "net_vnd": "312.000 ₫",
                "by_method.cash": "243.000 ₫", "by_method.transfer": "69.000 ₫", "by_method.card": "0 ₫",
                "opening_cash_vnd": "500.000 ₫", "expected_cash_vnd": "743.000 ₫",
                "counted_cash_vnd": "740.000 ₫", "variance_vnd": "-3.000 ₫"}
    for figure, text in expected.items():
        expect(page.locator(f"[data-figure='{figure}']")).to_have_text(text)
    screenshot(page, "z-report")


def test_a_scanned_barcode_lands_in_the_cart_without_a_click(page):
    log_in(page)
    open_shift(page)
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.type(SOCOLA_BARCODE)
    page.keyboard.press("Enter")
    expect(page.locator("#cart .cart-line")).to_have_count(1)
    expect(page.locator("#search")).to_have_value("")

    # After a tap the focus is on a product button; a scan still reaches the search field.
    page.click("#grid .product[data-sku='SR-KP-KEM']")
    page.keyboard.type(SOCOLA_BARCODE)
    page.keyboard.press("Enter")
    page.keyboard.type(MACADAMIA_BARCODE)
    page.keyboard.press("Enter")
    expect(page.locator("#cart .cart-line")).to_have_count(3)
    assert cart_skus(page) == ["CC-KA-SOCOLA", "SR-KP-KEM", "MC-TL-500"]
    expect(page.locator("#cart .cart-line[data-sku='CC-KA-SOCOLA'] .cl-qty")).to_have_value("2")

    # The cart survives a reload.
    page.reload()
    till_ready(page)
    expect(page.locator("#cart .cart-line")).to_have_count(3)
    expect(page.locator("#total")).to_have_text("443.000 ₫")
    screenshot(page, "sale-scanned")


def test_the_sale_page_is_light(page):
    """Budget of the sale screen, caches off: under 200 KB and under 10 requests (HTML, CSS, JS, icon)."""
    log_in(page)
    open_shift(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    requests, sizes = [], {}
    cdp.on("Network.requestWillBeSent", lambda event: requests.append(event["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
    page.goto("/sell", wait_until="networkidle")
    expect(page.locator("#grid .product")).to_have_count(24)
    transferred = sum(sizes.values())
    print(f"\nsale page at {page.size_name}: {len(requests)} requests, {transferred} bytes transferred: {requests}")
    assert len(requests) < 10
    assert transferred < 200 * 1024


def test_a_split_payment_with_a_discount_survives_a_lost_answer(page):
    """The sale's id is made on the tablet and kept until the kiosk answers: charging again after a lost
    answer gets the same sale back, never a second one."""
    log_in(page)
    open_shift(page)
    page.click("#grid .product[data-sku='MC-TL-500']")
    line = page.locator("#cart .cart-line[data-sku='MC-TL-500']")
    line.get_by_role("button", name="Thêm một").click()
    line.locator(".cl-discount").fill("20.000")
    expect(line.locator(".cl-total")).to_have_text("400.000 ₫")
    expect(page.locator("#total")).to_have_text("400.000 ₫")

    choose_method(page, "split")
    rows = page.locator("#split-rows .split-row")
    rows.nth(0).locator("input").fill("150.000")
    expect(page.locator("#split-remaining")).to_have_text("Còn thiếu: 250.000 ₫")
    expect(page.locator("#charge")).to_be_disabled()
    page.click("#add-payment")
    expect(rows.nth(1).locator("select")).to_have_value("transfer")
    rows.nth(1).get_by_role("button", name="Phần còn lại").click()
    expect(rows.nth(1).locator("input")).to_have_value("250.000")
    expect(page.locator("#split-remaining")).to_have_text("Tiền thừa: 0 ₫")

    answers = []

    def lose_the_first_answer(route):
        if answers:
            route.continue_()
        else:
            answers.append(route.fetch().status)  # the kiosk records the sale...
            route.abort()  # ...and the answer never reaches the tablet

    page.route("**/api/v1/sales", lose_the_first_answer)
    page.click("#charge")
    expect(page.locator("#error")).to_contain_text("không bao giờ bị ghi hai lần")
    assert answers == [201]
    expect(page.locator("#cart .cart-line")).to_have_count(1)  # the cart is kept
    page.click("#charge")
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#r-number")).to_have_text("DEMO01-000001")
    expect(page.locator("#r-qr-amount")).to_have_text("250.000 ₫")
    page.click("#new-sale")

    page.goto("/sales")
    expect(page.locator("a.row-link")).to_have_count(1)
    expect(page.locator("a.row-link")).to_have_text("DEMO01-000001")
