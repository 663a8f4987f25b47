"""Browser tests: the real kiosk app served on a free loopback port, driven in Debian's Chromium."""
import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from kiosk.extensions import db
from kiosk.printing import worker
from tests.central_sync.conftest import sqlite_template  # noqa: F401  central's migrated schema, for its pages
from tests.conftest import kiosk_app
from tests.fake_printer import FakePrinter
from tests.kiosk.apitools import cheap_password_hashes, demo_database

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).with_name("screenshots")
SIZES = {"tablet": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _unavailable(reason: str):
    """No browser: a failure in CI (the browser tests must run there), a skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests may not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium not found at {CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            _unavailable(f"Chromium at {CHROMIUM} did not start: {error}")
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def demo_kiosk_db(tmp_path_factory, migrated_kiosk_db):
    """The demo data loaded once (its passwords hashed cheaply: the browser logs in at every test)."""
    with cheap_password_hashes():
        return demo_database(tmp_path_factory.mktemp("kiosk-demo"), migrated_kiosk_db)


@pytest.fixture
def printer():
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def live_kiosk(tmp_path, demo_kiosk_db, printer):
    """The kiosk with the demo data, served by werkzeug on 127.0.0.1 and a free port, its print worker
    sending to a fake network printer; yields its base URL."""
    shutil.copy(demo_kiosk_db, tmp_path / "kiosk.sqlite3")
    app = kiosk_app(tmp_path, PRINTER_URL=printer.url)
    print_worker = worker.start(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Polled every 50 ms for shutdown (the default 0.5 s would be added to every test's teardown).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    print_worker.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(request, browser, live_kiosk):
    """A fresh browser context at tablet or phone size, its base URL set to the live kiosk."""
    context = browser.new_context(viewport=SIZES[request.param], base_url=live_kiosk, locale="vi-VN",
                                  has_touch=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.size_name = request.param
    errors = watch_errors(tab)
    yield tab
    context.close()
    assert not errors, f"JavaScript errors or Content-Security-Policy violations on the page: {errors}"


def watch_errors(tab) -> list[str]:
    """The tab's JavaScript errors and what the Content-Security-Policy blocked (Chromium says so on the
    console), filled as they happen."""
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and "Content Security Policy" in message.text else None)
    return errors


def till_ready(tab) -> None:
    """Wait until sell.js has wired the sale screen (it runs after the stylesheet): a scan typed before would
    submit the plain search form."""
    expect(tab.locator("html[data-till=ready]")).to_have_count(1)


def screenshot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}-{tab.size_name}.png"), full_page=False)
