"""The sync badge and the "sync now" button in Chromium, on a kiosk enrolled with a central app (SQLite, in the
same process) whose network can be cut: a sale waits, the sync fails and says so, then goes through."""
import re
import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from kiosk.extensions import db
from tests.central_sync.conftest import admin, central_app, client, sqlite_template, world  # noqa: F401
from tests.e2e.conftest import SIZES, screenshot, till_ready, watch_errors
from tests.sync.harness import PASSWORD, Switch, central_sales, in_process, make_kiosk

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(tmp_path, sqlite_template):  # noqa: F811
    """Central, on SQLite only here (the sync's PostgreSQL half is tested in tests/sync)."""
    folder = tmp_path / "central"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "central.sqlite3")
    central = central_app(folder, f"sqlite:///{folder}/central.sqlite3")
    yield central
    from central_sync.extensions import db as central_db
    with central.app_context():
        central_db.session.remove()
        central_db.engine.dispose()


@pytest.fixture
def network():
    return Switch()


@pytest.fixture
def enrolled_kiosk(tmp_path, migrated_kiosk_db, app, admin, network):  # noqa: F811
    """A kiosk enrolled at K01, served on a free loopback port; yields (its base URL, the kiosk)."""
    kiosk = make_kiosk(tmp_path / "kiosk", migrated_kiosk_db, app, admin, "K01", in_process(app, fail=network))
    server = make_server("127.0.0.1", 0, kiosk.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", kiosk
    server.shutdown()
    thread.join()
    with kiosk.app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_badge_follows_a_sale_a_failed_sync_and_a_sync_that_goes_through(browser, enrolled_kiosk, app,
                                                                             network, size):
    base_url, kiosk = enrolled_kiosk
    context = browser.new_context(viewport=SIZES[size], base_url=base_url, locale="vi-VN", has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.size_name = size
    errors = watch_errors(page)
    try:
        page.goto("/login")
        expect(page.locator(".sync-badge")).to_have_count(0)  # nothing about the sync before logging in
        page.fill("input[name=username]", "vendor")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/sell$"))
        till_ready(page)  # its script ran, so its stylesheet is in
        badge = page.locator("a.sync-badge")
        expect(badge).to_have_attribute("data-sync-state", "online")
        expect(badge).to_contain_text("Đã kết nối")
        expect(badge).to_contain_text("0 chờ gửi")
        assert badge.bounding_box()["height"] >= 48

        page.goto("/shift")
        page.fill("input[name=opening_cash_vnd]", "500.000")
        page.click("form[action$='/shift/open'] button[type=submit]")
        expect(page).to_have_url(re.compile(r"/sell$"))
        till_ready(page)
        page.click("#grid .product[data-sku='CF-500']")
        page.click("#charge")  # cash, the exact amount
        expect(page.locator("#result")).to_be_visible()
        page.goto("/stock")
        expect(badge).to_contain_text("1 chờ gửi")

        network.down = True
        badge.click()
        expect(page).to_have_url(re.compile(r"/sync$"))
        button = page.get_by_role("button", name="Đồng bộ ngay")
        assert button.bounding_box()["height"] >= 48
        button.click()
        expect(page.locator(".flash-error")).to_contain_text("Không mất dữ liệu")
        expect(badge).to_have_attribute("data-sync-state", "offline")
        expect(badge).to_contain_text("Mất kết nối")
        expect(badge).to_contain_text("Network is unreachable")
        expect(page.locator("[data-figure='pending_events']")).to_have_text("1")
        screenshot(page, "sync-offline")
        assert central_sales(app) == []

        network.down = False
        page.get_by_role("button", name="Đồng bộ ngay").click()
        expect(page.locator(".flash-success")).to_have_text("Đã đồng bộ: gửi 1, nhận 0, còn chờ 0.")
        expect(badge).to_have_attribute("data-sync-state", "online")
        expect(badge).to_contain_text("0 chờ gửi")
        screenshot(page, "sync-online")
        assert len(central_sales(app, "K01")) == 1
    finally:
        context.close()
    assert not errors, f"JavaScript errors or Content-Security-Policy violations on the page: {errors}"
