"""The sale page in Chromium: what one load of ``/sell`` costs over the wire, with the browser cache off."""
from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.bench.harness import Row, Run, measure
from tests.bench.kiosk_site import make_site

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
TABLET = {"width": 1280, "height": 800}
BYTES_TARGET_KB = 200
REQUESTS_TARGET = 10


@contextmanager
def serving(app: Flask):
    """The app on a free port of 127.0.0.1, in a thread, for as long as the block runs."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


class Traffic:
    """Requests and bytes as Chromium's network layer saw them (CDP ``Network`` events)."""

    def __init__(self):
        self.requests: list[tuple[str, str]] = []  # (resource type, URL)
        self.bytes: Counter = Counter()  # by resource type: headers and bodies as received
        self.types: dict[str, str] = {}

    def sent(self, event: dict) -> None:
        url = event["request"]["url"]
        if not url.startswith(("http:", "https:")):
            return  # data: and blob: URLs cross no network
        kind = event.get("type", "Other")
        if "redirectResponse" in event:
            self.bytes[self.types[event["requestId"]]] += event["redirectResponse"].get("encodedDataLength", 0)
        self.types[event["requestId"]] = kind
        self.requests.append((kind, url))

    def finished(self, event: dict) -> None:
        if event["requestId"] in self.types:
            self.bytes[self.types[event["requestId"]]] += event["encodedDataLength"]


@measure("sell_page")
def sell_page(run: Run) -> list[Row]:
    site = make_site(run.folder)  # the manager opens the shift through the API
    try:
        with serving(site.app) as base, ThreadPoolExecutor(1) as own_thread:
            # Playwright's sync API will not start where an asyncio loop runs, as one does in a test process
            # that ran the browser tests first: the browser is driven from a thread of its own.
            traffic, load_ms = own_thread.submit(drive, base, site.logins["vendor"]).result()
    finally:
        site.close()

    kinds = Counter(kind for kind, _url in traffic.requests)
    paths = ", ".join(urlsplit(url).path for _kind, url in traffic.requests)
    return [
        Row("sale page: bytes transferred", sum(traffic.bytes.values()) / 1024, "KB", BYTES_TARGET_KB,
            note=", ".join(f"{kind} {n / 1024:.1f} KB" for kind, n in traffic.bytes.most_common())),
        Row("sale page: requests", len(traffic.requests), "", REQUESTS_TARGET,
            note=", ".join(f"{n} {kind}" for kind, n in kinds.most_common()) + f": {paths}"),
        Row("sale page: load event", load_ms, "ms", note="Chromium, 1280x800, cache off, loopback"),
    ]


def drive(base: str, login: tuple[str, str]) -> tuple[Traffic, float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return load_sell_page(browser, base, *login)
        finally:
            browser.close()


def load_sell_page(browser, base: str, username: str, password: str) -> tuple[Traffic, float]:
    """Log in through the login form, then load /sell once with the cache off and record its traffic."""
    context = browser.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")

    traffic = Traffic()
    cdp = context.new_cdp_session(page)
    cdp.on("Network.requestWillBeSent", traffic.sent)
    cdp.on("Network.loadingFinished", traffic.finished)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    response = page.goto(f"{base}/sell", wait_until="networkidle")
    if urlsplit(page.url).path != "/sell":
        raise RuntimeError(f"/sell ended at {page.url}: is the login form still username, password and Enter?")
    if response.status != 200:
        raise RuntimeError(f"/sell answered {response.status}")
    page.wait_for_timeout(300)  # anything the page fetches late still counts
    load_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    context.close()
    return traffic, load_ms
