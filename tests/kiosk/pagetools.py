"""Helpers for the page tests: a test client that logs in through the login form and submits forms
with the CSRF token read from the page, as a browser would."""
import re
from html import unescape

_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
_ACTION = re.compile(r'<form\b[^>]*action="([^"]+)"')
_INPUT = re.compile(r"<input\b[^>]*>")
_SELECT = re.compile(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
_OPTION = re.compile(r'<option\b([^>]*)>')
_ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')


def form_fields(form_html: str) -> dict:
    """What a browser would send for a form left as it is: its inputs' values (checked radios and
    checkboxes only) and each select's selected option."""
    fields = {}
    for tag in _INPUT.findall(form_html):
        attrs = {k: unescape(v or "") for k, v in _ATTR.findall(tag[6:-1])}
        if "name" not in attrs or (attrs.get("type") in ("radio", "checkbox") and "checked" not in attrs):
            continue
        fields[attrs["name"]] = attrs.get("value", "")
    for name, options in _SELECT.findall(form_html):
        chosen = [o for o in _OPTION.findall(options) if " selected" in o] or _OPTION.findall(options)[:1]
        if chosen:
            fields[unescape(name)] = unescape(re.search(r'value="([^"]*)"', chosen[0]).group(1))
    return fields


def find_form(page_html: str, action: str | None = None) -> str:
    """The first form of the page posting to ``action`` (None: the first form with no action)."""
    for form in _FORM.findall(page_html):
        found = _ACTION.search(form)
        if (found and unescape(found.group(1)) == action) or (found is None and action is None):
            return form
    raise AssertionError(f"no form posting to {action!r} on the page")


class Browser:
    """A test client used like a browser: GET a page, fill in one of its forms, POST it."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def submit(self, page: str, data: dict, action: str | None = None, follow_redirects=False):
        """Load ``page``, fill in ``data`` in its form posting to ``action`` (the rest as the page left it:
        the CSRF token, prefilled values) and post it."""
        response = self.client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        fields = form_fields(find_form(response.get_data(as_text=True), action))
        fields.update(data)
        return self.client.post(action or page, data=fields, follow_redirects=follow_redirects)

    def log_in(self, username: str, password: str):
        response = self.submit("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    def open_shift(self, cash="500.000"):
        """Open a shift with the shift page's form."""
        response = self.submit("/shift", {"opening_cash_vnd": cash}, action="/shift/open")
        assert response.status_code == 302 and response.location.endswith("/sell"), flashes(self.get("/shift"))

    def csrf_token(self, page="/sell") -> str:
        html = self.client.get(page).get_data(as_text=True)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)

    def api_post(self, path: str, body: dict):
        """What the sale screen's JavaScript does: JSON with the session cookie and the X-CSRFToken header."""
        return self.client.post(f"/api/v1{path}", json=body, headers={"X-CSRFToken": self.csrf_token()})

    def sell(self, lines, payments) -> dict:
        """A sale made as the sale screen makes it."""
        response = self.api_post("/sales", {"lines": lines, "payments": payments})
        assert response.status_code == 201, response.get_json()
        return response.get_json()


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(response) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', text(response))]
