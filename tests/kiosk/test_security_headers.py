"""Every answer of either app carries the security headers; no template holds what the policy would block."""
import re
from pathlib import Path

import pytest

from central_sync.protocol.security import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for app in ("kiosk", "central_sync") for p in (ROOT / app).rglob("templates/**/*.html"))


def assert_secured(response) -> None:
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path, status", [
    ("/login", 200), ("/sell", 302), ("/api/v1/products", 401), ("/api/v1/nothing-here", 404),
    ("/api/v1/openapi.json", 200), ("/static/css/app.css", 200),
])
def test_the_kiosk_sends_the_security_headers_with_every_answer(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secured(response)
    if path.startswith("/static/"):
        assert response.headers.get("Cache-Control") != "no-store"  # the stylesheet stays cached on the tablet
    else:
        assert response.headers["Cache-Control"] == "no-store"


def test_a_logged_in_page_and_a_refused_form_carry_them_too(vendor_browser, client):
    assert_secured(client.get("/sell"))
    refused = client.post("/shift/open", data={"opening_cash_vnd": "1"})  # no CSRF token
    assert refused.status_code in (302, 400)
    assert_secured(refused)


def test_https_answers_ask_the_browser_to_stay_on_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert client.get("/login", base_url="https://kiosk.example").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_inline_script_or_style(template):
    """The policy allows scripts and styles from the app's own files only: an inline one would be blocked."""
    html = template.read_text()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts), "an inline <script>"
    assert not re.search(r"<style\b", html), "a <style> element"
    assert not re.search(r"\sstyle\s*=", html), "a style attribute"
    assert not re.search(r"\son[a-z]+\s*=", html), "an event handler attribute"
    assert "javascript:" not in html
