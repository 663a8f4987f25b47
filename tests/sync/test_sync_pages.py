"""The sync's pages: the status badge on every page, the sync page, and its "sync now" button (a form, with its
CSRF token), against a central app in the same process."""
import re
import shutil
from contextlib import contextmanager
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event, update

from kiosk.auth import services as kiosk_auth
from kiosk.extensions import db
from kiosk.models import Product, utcnow
from kiosk.sync import state
from tests.conftest import kiosk_app
from tests.kiosk.pagetools import Browser, flashes, text
from tests.sync.harness import PASSWORD, Switch, central_sales, in_process
from tests.sync.test_sync_cycle import ship

PAGES = ["/sell", "/shift", "/sales", "/stock", "/transfers", "/products", "/print-jobs", "/sync"]
BADGE = re.compile(r'<a href="/sync" class="sync-badge[^"]*" data-sync-state="(\w+)" data-pending="(\d+)"'
                   r'(?: title="([^"]*)")?>(.*?)</a>', re.S)
CASH = [{"method": "cash", "amount_vnd": 500_000}]


def badge(response) -> dict:
    """The badge of a page: its state, the events it says wait, its error and its text."""
    assert response.status_code == 200, response.status_code
    found = BADGE.findall(text(response))
    assert len(found) == 1, "one sync badge on the page"
    state_, pending, title, inside = found[0]
    return {"state": state_, "pending": int(pending), "title": unescape(title),
            "text": " ".join(unescape(re.sub(r"<[^>]+>", " ", inside)).split())}


def browse(kiosk, role: str = "vendor") -> Browser:
    browser = Browser(kiosk.app.test_client())
    browser.log_in(role, PASSWORD)
    return browser


def sync_now(browser: Browser):
    """The big button of the sync page, as a tablet presses it."""
    response = browser.submit("/sync", {}, action="/sync")
    assert response.status_code == 302 and response.location == "/sync", response.status_code
    return browser.get("/sync")


def test_every_page_shows_the_events_waiting_until_a_sync_sends_them(kiosk):
    browser = browse(kiosk)
    browser.open_shift()
    for path in PAGES:
        shown = badge(browser.get(path))
        assert shown["state"] == "online" and shown["pending"] == 0, path
    assert "Đã kết nối" in shown["text"] and "0 chờ gửi" in shown["text"]
    assert re.search(r"Đồng bộ \d\d:\d\d", shown["text"]), shown["text"]

    browser.sell([{"sku": "CF-500", "qty": 1}], CASH)
    browser.sell([{"sku": "MO-250", "qty": 2}], CASH)
    assert kiosk.pending() == 2
    for path in PAGES:
        shown = badge(browser.get(path))
        assert shown["pending"] == 2 and "2 chờ gửi" in shown["text"], path

    kiosk.sync()
    shown = badge(browser.get("/sell"))
    assert shown["state"] == "online" and shown["pending"] == 0 and "0 chờ gửi" in shown["text"]


def test_sync_now_pushes_then_pulls_for_a_vendor_and_a_manager(app, admin, kiosk):
    vendor, manager = browse(kiosk, "vendor"), browse(kiosk, "manager")
    vendor.open_shift()
    sale = vendor.sell([{"sku": "CF-500", "qty": 2}], CASH)
    transfer_id = ship(admin, **{"CF-250": 6})

    page = sync_now(vendor)
    assert flashes(page) == ["Đã đồng bộ: gửi 1, nhận 1, còn chờ 0."]
    assert central_sales(app, "K01") == [sale["id"]]  # central holds the sale
    assert transfer_id[:8] in text(vendor.get("/transfers"))  # and the shipment came down
    assert badge(page)["pending"] == 0 and 'data-figure="pending_events">0<' in text(page)

    manager.sell([{"sku": "MO-250", "qty": 1}], CASH)
    assert badge(manager.get("/sync"))["pending"] == 1
    page = sync_now(manager)
    assert flashes(page) == ["Đã đồng bộ: gửi 1, nhận 0, còn chờ 0."]
    assert len(central_sales(app, "K01")) == 2


def test_a_sync_post_without_the_csrf_token_sends_nothing(app, kiosk):
    browser = browse(kiosk)
    browser.open_shift()
    browser.sell([{"sku": "CF-500", "qty": 1}], CASH)
    before = kiosk.status()
    response = browser.client.post("/sync", headers={"Referer": "http://localhost/sync"})
    assert response.status_code == 302 and response.location == "http://localhost/sync"
    assert "Trang đã hết hạn. Vui lòng thử lại." in flashes(browser.get("/sync"))
    assert central_sales(app) == [] and kiosk.pending() == 1
    assert kiosk.status()["last_pull_at"] == before["last_pull_at"]


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_syncs_nothing(app, kiosk):
    browser = browse(kiosk)
    browser.open_shift()
    browser.sell([{"sku": "CF-500", "qty": 1}], CASH)
    anonymous = Browser(kiosk.app.test_client())
    response = anonymous.get("/sync")
    assert response.status_code == 302 and response.location == "/login?next=%2Fsync"
    assert "sync-badge" not in text(anonymous.get("/login"))  # no badge before logging in
    response = anonymous.client.post("/sync", data={"csrf_token": anonymous.csrf_token("/login")})
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    assert central_sales(app) == [] and kiosk.pending() == 1


def test_a_failed_sync_shows_offline_with_its_error_and_loses_nothing(app, make_kiosk):
    network = Switch()
    kiosk = make_kiosk("K01", transport=in_process(app, fail=network))
    browser = browse(kiosk)
    browser.open_shift()
    sale = browser.sell([{"sku": "CF-500", "qty": 1}], CASH)
    network.down = True

    page = sync_now(browser)
    assert page.status_code == 200
    assert flashes(page) == ["Hiện không kết nối được máy chủ trung tâm. Không mất dữ liệu: các đơn bán được lưu "
                             "tại đây và máy bán hàng sẽ tự thử lại."]
    for path in ("/sell", "/sync"):
        shown = badge(browser.get(path))
        assert shown["state"] == "offline" and shown["pending"] == 1, path
        assert "Mất kết nối" in shown["text"] and "Network is unreachable" in shown["text"]
        assert "Network is unreachable" in shown["title"]
    assert "Network is unreachable" in text(page) and 'data-figure="last_error"' in text(page)
    assert central_sales(app) == [] and kiosk.pending() == 1

    network.down = False
    page = sync_now(browser)
    assert flashes(page) == ["Đã đồng bộ: gửi 1, nhận 0, còn chờ 0."]
    shown = badge(page)
    assert shown["state"] == "online" and shown["pending"] == 0 and "Network is unreachable" not in text(page)
    assert central_sales(app) == [sale["id"]]


def test_the_badge_says_offline_when_nothing_synced_for_a_few_intervals(kiosk):
    browser = browse(kiosk)
    assert badge(browser.get("/sell"))["state"] == "online"
    interval = kiosk.app.config["SYNC_INTERVAL"]
    with kiosk.app.app_context():
        state.put(state.LAST_PULL, (utcnow() - timedelta(seconds=4 * interval)).isoformat())
        db.session.commit()
    shown = badge(browser.get("/sell"))
    assert shown["state"] == "offline" and "Mất kết nối" in shown["text"]


def test_central_refusing_the_sync_is_explained_without_an_error_page(app, admin, kiosk):
    browser = browse(kiosk)
    assert admin.post(f"/devices/{kiosk.device_id}/revoke").status_code == 200
    page = sync_now(browser)
    assert flashes(page) == ["Máy chủ trung tâm từ chối đồng bộ (unauthorized). Không mất dữ liệu; hãy báo văn "
                             "phòng trung tâm."]
    shown = badge(page)
    assert shown["state"] == "offline" and "401 unauthorized" in shown["title"]


def test_an_event_central_rejects_is_listed_on_the_sync_page(app, kiosk):
    with kiosk.app.app_context():  # a product central has never heard of
        db.session.execute(update(Product).where(Product.sku == "CF-250").values(sku="ZZ-LOCAL"))
        db.session.commit()
    browser = browse(kiosk)
    browser.open_shift()
    sale = browser.sell([{"sku": "ZZ-LOCAL", "qty": 1}], CASH)
    page = sync_now(browser)
    assert flashes(page) == ["Đã đồng bộ: gửi 1, nhận 0, còn chờ 0."]
    assert central_sales(app) == []  # kept at central for review, not applied
    html = text(page)
    assert 'data-figure="rejected_events">1<' in html
    rows = re.findall(r'<tr class="rejected-event">(.*?)</tr>', html, re.S)
    assert len(rows) == 1
    assert "Đơn bán" in rows[0] and "unknown_product" in rows[0]
    assert "Máy chủ trung tâm không có sản phẩm này." in rows[0]
    assert sale["id"] not in rows[0]  # the row names the event, not the sale
    assert badge(page)["state"] == "online"


@pytest.fixture
def lone_kiosk(tmp_path, migrated_kiosk_db):
    """A kiosk never enrolled with central, with a vendor."""
    shutil.copy(migrated_kiosk_db, tmp_path / "kiosk.sqlite3")
    app = kiosk_app(tmp_path)
    with app.app_context():
        kiosk_auth.create_user("vendor", PASSWORD, "vendor")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_kiosk_not_enrolled_says_so_and_has_nothing_to_sync(lone_kiosk):
    browser = Browser(lone_kiosk.test_client())
    browser.log_in("vendor", PASSWORD)
    shown = badge(browser.get("/sell"))
    assert shown["state"] == "not_enrolled" and shown["text"].startswith("Chưa đăng ký")
    page = browser.get("/sync")
    assert "Máy bán hàng này chưa được đăng ký với máy chủ trung tâm." in text(page)
    assert 'action="/sync"' not in text(page)  # no button that can only fail
    response = browser.client.post("/sync", data={"csrf_token": browser.csrf_token("/sync")}, follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/sync"
    assert flashes(response) == ["Máy bán hàng này chưa được đăng ký với máy chủ trung tâm nên chưa đồng bộ được. "
                                 "Các đơn bán vẫn được lưu tại đây."]


def test_the_sync_page_speaks_english_on_request(kiosk):
    browser = browse(kiosk)
    browser.get("/lang/en")
    page = browser.get("/sync")
    assert "Sync now" in text(page) and "Online" in badge(page)["text"] and "0 to send" in badge(page)["text"]
    assert "Đồng bộ ngay" in text(browse(kiosk).get("/sync"))


def test_a_broken_answer_from_central_is_a_message_not_an_error_page(app, make_kiosk):
    real = in_process(app)

    def garbled(method, url, headers, body, timeout):
        status, answer = real(method, url, headers, body, timeout)
        return (200, b"{}") if "/sync/push" in url else (status, answer)  # no acked_seq

    kiosk = make_kiosk("K01", transport=garbled)
    browser = browse(kiosk)
    browser.open_shift()
    browser.sell([{"sku": "CF-500", "qty": 1}], CASH)
    page = sync_now(browser)
    assert flashes(page) == ["Đồng bộ không thành công. Không mất dữ liệu: máy bán hàng sẽ tự thử lại."]
    assert kiosk.pending() == 1 and badge(page)["pending"] == 1


@contextmanager
def statements(kiosk):
    """The SQL statements the kiosk's database runs inside the block."""
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with kiosk.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def is_badge_query(statement: str) -> bool:
    return "outbox_events.acked_at IS NULL" in statement and "settings.name" in statement


def test_the_badge_costs_pages_one_query_and_the_api_none(kiosk):
    browser = browse(kiosk)
    browser.open_shift()
    with statements(kiosk) as seen:
        browser.get("/sell")
    assert len([s for s in seen if is_badge_query(s)]) == 1
    token = browser.csrf_token()
    with statements(kiosk) as seen:  # the sale screen's calls (session and CSRF header) and a bearer token's
        assert browser.client.post("/api/v1/sales", json={"lines": [{"sku": "MO-250", "qty": 1}], "payments": CASH},
                                   headers={"X-CSRFToken": token}).status_code == 201
        assert kiosk.vendor.post("/sales", json={"lines": [{"sku": "CF-500", "qty": 1}], "payments": CASH}) \
            .status_code == 201
        assert kiosk.vendor.get("/products").status_code == 200
    assert seen and not [s for s in seen if is_badge_query(s) or "FROM settings" in s]
    with statements(kiosk) as seen:
        Browser(kiosk.app.test_client()).get("/login")
    assert not [s for s in seen if is_badge_query(s)]  # no badge, no query, before logging in
