"""Central served for the browser tests of its review pages: the migrated SQLite template with what a test
seeds, served by werkzeug on a free loopback port; a reviewer's tab at laptop and tablet sizes."""
import shutil
from contextlib import contextmanager

from playwright.sync_api import expect

from central_sync.extensions import db
from tests.central_sync.conftest import central_app
from tests.e2e.conftest import SCREENSHOTS, watch_errors
from tests.sync.harness import serving

SIZES = {"laptop": {"width": 1440, "height": 900}, "tablet": {"width": 1280, "height": 800}}


@contextmanager
def served_central(folder, sqlite_template, seed):
    """(base URL, app, what ``seed(app)`` returned) of a central on a copy of the template."""
    shutil.copy(sqlite_template, folder / "central.sqlite3")
    app = central_app(folder, f"sqlite:///{folder}/central.sqlite3")
    seeded = seed(app)
    with serving(app) as url:
        yield url, app, seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def reviewer_tab(browser, base_url: str, size: str):
    """A tab logged in as the demo reviewer; fails the test on any JavaScript error."""
    context = browser.new_context(viewport=SIZES[size], base_url=base_url, locale="vi-VN")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.size_name = size
    errors = watch_errors(tab)
    tab.goto("/login")
    tab.fill("input[name=username]", "reviewer")
    tab.fill("input[name=password]", "xemxet-demo")
    tab.click("button[type=submit]")
    expect(tab.locator(".topbar")).to_be_visible()
    yield tab
    context.close()
    assert not errors, f"JavaScript errors or Content-Security-Policy violations on the page: {errors}"


def shot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}-{tab.size_name}.png"), full_page=False)
