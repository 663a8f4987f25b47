"""The route walk both apps' role tests share: every (endpoint, method) of the URL map is in an explicit table
of who may call it, and each is called by every caller (nobody, each role by session and by token, a device)
with an empty body. A caller the table refuses gets the contract's answer and writes nothing; an allowed one
is never refused; nobody gets a 5xx."""
import re
from dataclasses import dataclass

from sqlalchemy import select

from tests.kiosk.apitools import assert_error, login
from tests.kiosk.pagetools import Browser

PUBLIC = "public"  # an access: anyone, logged in or not; otherwise a frozenset of the roles allowed
IGNORED_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask itself, like the GET or not at all

_CSRF = re.compile(r'(?:name="csrf-token" content|name="csrf_token"[^>]*value)="([^"]+)"')


@dataclass(frozen=True)
class Caller:
    """Who calls: ``role`` None is nobody; ``credential`` is how it proves who it is: "none", "session"
    (logged in through the login form), "token" (a user's bearer token) or "device" (a device's token)."""
    name: str
    role: str | None
    credential: str


@dataclass
class Client:
    """A caller's own test client (its own cookies), with its bearer token if it has one and the CSRF token of
    its session, sent with every POST so that the role check, not CSRF, decides."""
    caller: Caller
    client: object
    token: str | None = None
    csrf: str | None = None

    def call(self, method: str, path: str):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if method == "GET":
            return self.client.get(path, headers=headers)
        headers["X-CSRFToken"] = self.csrf
        body = {"json": {}} if is_api(path) else {"data": {}}
        return self.client.open(path, method=method, headers=headers, **body)


def user_callers(*roles: str) -> list[Caller]:
    """Nobody, then each role with a session and with a bearer token."""
    return [Caller("nobody", None, "none")] + [Caller(f"{role} {credential}", role, credential)
                                               for role in roles for credential in ("session", "token")]


def logged_in_clients(app, callers: list[Caller], logins: dict[str, tuple[str, str]],
                      device_token: str | None = None) -> list[Client]:
    """A client of its own per caller: logged in through the login form, or holding a token from
    `POST /api/v1/login` (both apps' contract) or ``device_token``; each with its session's CSRF token."""
    clients = []
    for caller in callers:
        client = Client(caller, app.test_client())
        if caller.credential == "session":
            Browser(client.client).log_in(*logins[caller.role])
        elif caller.credential == "token":
            client.token = login(client.client, *logins[caller.role])
        elif caller.credential == "device":
            client.token = device_token
        client.csrf = csrf_token(client.client)
        clients.append(client)
    return clients


def csrf_token(client) -> str:
    """The CSRF token of the client's session, as its login page carries it (a form field or the meta tag)."""
    return _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def routes(app) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app answers."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - IGNORED_METHODS}


def assert_table_covers(app, table: dict) -> None:
    """The access table names every route of the app, and only those: a new route needs its line."""
    unlisted = sorted(routes(app) - table.keys())
    assert not unlisted, f"routes missing from the access table (say who may call them): {unlisted}"
    gone = sorted(table.keys() - routes(app))
    assert not gone, f"the access table names routes the app no longer has: {gone}"


def path_of(app, endpoint: str, method: str, values: dict) -> str:
    """The route's URL with real values: ``values[endpoint][name]`` if given, else ``values[name]``."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
    own = values.get(endpoint, {})
    missing = rule.arguments - own.keys() - values.keys()
    assert not missing, f"no value for {sorted(missing)} of {rule.rule}"
    arguments = {name: own.get(name, values.get(name)) for name in rule.arguments}
    return app.url_map.bind("localhost").build(endpoint, arguments, method=method)


def database_rows(app, db, metadata) -> dict[str, list[str]]:
    """Every row of every table, to show that a refused call wrote nothing."""
    with app.app_context():
        rows = {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
                for table in metadata.sorted_tables}
        db.session.remove()
    return rows


def decision(access, caller: Caller, credentials: set[str]) -> int | None:
    """What the table says for this caller: None (allowed), 401 (no credential this route accepts) or 403."""
    if access == PUBLIC:
        return None
    if caller.credential not in credentials:
        return 401
    return None if caller.role in access else 403


def assert_refused(response, status: int, path: str, credentials: set[str], who: str) -> None:
    """The contract's refusal: JSON 401 `unauthorized` / 403 `forbidden` from the API; from a page, the login
    page (asking to come back) without a session, the 403 page for a role that may not; from a route outside
    the API that also takes bearer tokens (a scraper's, like /metrics), the bare 401 or 403."""
    if is_api(path):
        assert response.status_code == status, (who, path, response.status_code, response.get_data(as_text=True)[:500])
        assert_error(response, status, {401: "unauthorized", 403: "forbidden"}[status])
    elif status == 401 and credentials == {"session"}:
        assert response.status_code == 302 and re.match(r"(https?://[^/]+)?/login\?next=", response.location), \
            (who, path, response.status_code, response.location)
    else:
        assert response.status_code == status, (who, path, response.status_code)


def assert_allowed(response, method: str, path: str, who: str) -> None:
    """Not refused and no 5xx; a GET (with real URL values) answers 2xx or 3xx, an empty POST may be a 4xx."""
    status = response.status_code
    assert status < 500 and status not in (401, 403), (who, method, path, status, response.get_data(as_text=True)[:500])
    assert not (status == 302 and "next=" in response.location and "/login" in response.location), \
        (who, method, path, "sent to log in", response.location)
    if method == "GET":
        assert status < 400, (who, path, status, response.get_data(as_text=True)[:500])


def walk_route(app, endpoint: str, method: str, access, clients: list[Client], values: dict, credentials,
               rows) -> None:
    """Call one route (its URL built from ``values``) as every caller: the refused ones first (they must write
    nothing: ``rows()`` is the database before and after), then the allowed ones, each on its own client.
    ``credentials(path, access)``: the credentials the route takes, of "session", "token" and "device"."""
    path = path_of(app, endpoint, method, values)
    accepted = credentials(path, access)
    verdicts = [(client, decision(access, client.caller, accepted)) for client in clients]
    refused = [(client, status) for client, status in verdicts if status is not None]
    before = rows() if refused else None
    for client, status in refused:
        assert_refused(client.call(method, path), status, path, accepted, client.caller.name)
    if before is not None:
        assert rows() == before, f"a refused {method} {path} wrote to the database"
    for client, status in verdicts:
        if status is None:
            assert_allowed(client.call(method, path), method, path, client.caller.name)
