"""Central's answers carry the security headers, pages, API and errors alike."""
import pytest

from tests.central_sync.test_pages import reviewer_page  # noqa: F401
from tests.kiosk.test_security_headers import assert_secured


@pytest.mark.parametrize("path, status", [
    ("/login", 200), ("/review/stock", 302), ("/api/v1/locations", 401), ("/api/v1/nothing-here", 404),
    ("/api/v1/openapi.json", 200), ("/healthz", 200),
])
def test_central_sends_the_security_headers_with_every_answer(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secured(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_reviewer_page_carries_them(reviewer_page):
    response = reviewer_page.client.get("/review/stock")
    assert response.status_code == 200
    assert_secured(response)
