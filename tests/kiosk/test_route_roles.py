"""Every route of the kiosk, called by nobody and by each role, with a session and with a bearer token, answers as
the access table below says (CONTRACT.md "Kiosk API": a vendor sells, opens and closes shifts, sees stock,
receives transfers and syncs; a manager also refunds, adjusts stock and manages users). A route missing from
the table fails the test: a new route says who may call it."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Base, PrintJob, User
from tests.kiosk.apitools import DEMO, Api, login, sale_body, sell
from tests.roletools import (PUBLIC, assert_table_covers, database_rows, is_api, logged_in_clients, user_callers,
                             walk_route)

ANY_USER = frozenset({"vendor", "manager"})
MANAGER = frozenset({"manager"})

ACCESS = {
    # the JSON API (CONTRACT.md "Kiosk API")
    ("auth_api.login", "POST"): PUBLIC,
    ("openapi.document", "GET"): PUBLIC,
    ("catalog_api.products", "GET"): ANY_USER,
    ("shifts_api.open_shift", "POST"): ANY_USER,
    ("shifts_api.current", "GET"): ANY_USER,
    ("shifts_api.close", "POST"): ANY_USER,
    ("sales_api.create_sale", "POST"): ANY_USER,
    ("sales_api.get_sale", "GET"): ANY_USER,
    ("printing_api.receipt", "GET"): ANY_USER,
    ("printing_api.reprint", "POST"): ANY_USER,
    ("sales_api.refund", "POST"): MANAGER,
    ("stock_api.stock", "GET"): ANY_USER,
    ("stock_api.adjust", "POST"): MANAGER,
    ("stock_api.transfers", "GET"): ANY_USER,
    ("stock_api.receive", "POST"): ANY_USER,
    ("sync_api.status", "GET"): ANY_USER,
    ("sync_api.sync_now", "POST"): ANY_USER,
    # the pages: the same rights as their API, managing users and reading the audit log for the manager
    ("home.healthz", "GET"): PUBLIC,
    ("home.index", "GET"): PUBLIC,  # a redirect to the sale screen, which asks to log in
    ("static", "GET"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.set_language", "GET"): PUBLIC,
    ("auth.logout", "POST"): ANY_USER,
    ("auth.users", "GET"): MANAGER,
    ("auth.users", "POST"): MANAGER,
    ("auth.reset_password", "POST"): MANAGER,
    ("auth.toggle_active", "POST"): MANAGER,
    ("audit.log", "GET"): MANAGER,
    ("catalog.products", "GET"): ANY_USER,
    ("sales.sell", "GET"): ANY_USER,
    ("sales.index", "GET"): ANY_USER,
    ("sales.detail", "GET"): ANY_USER,
    ("sales.vietqr", "GET"): ANY_USER,
    ("sales.reprint", "POST"): ANY_USER,
    ("sales.refund", "POST"): MANAGER,
    ("printing.queue", "GET"): ANY_USER,
    ("printing.retry", "POST"): ANY_USER,
    ("printing.cancel", "POST"): ANY_USER,
    ("shifts.shift", "GET"): ANY_USER,
    ("shifts.open_shift", "POST"): ANY_USER,
    ("shifts.close_shift", "POST"): ANY_USER,
    ("shifts.report", "GET"): ANY_USER,
    ("stock.stock", "GET"): ANY_USER,
    ("stock.adjust", "POST"): MANAGER,
    ("stock.count", "GET"): MANAGER,
    ("stock.count", "POST"): MANAGER,
    ("stock.transfers", "GET"): ANY_USER,
    ("stock.receive", "POST"): ANY_USER,
    ("sync.sync", "GET"): ANY_USER,
    ("sync.sync_now", "POST"): ANY_USER,
    ("metrics.metrics_page", "GET"): MANAGER,  # also a scraper's METRICS_TOKEN
}

CALLERS = user_callers("vendor", "manager")


def credentials(path: str, access) -> set[str]:
    """The API takes a bearer token or the tablet's session (with its CSRF token), and so does /metrics (a
    manager's browser or a monitoring scraper); the pages take the session only."""
    return {"token", "session"} if is_api(path) or path == "/metrics" else {"session"}


@pytest.fixture
def kiosk(app, demo_data):
    """The demo kiosk with an open shift, a sale paid by transfer (it has a VietQR) whose receipt is queued;
    a client of its own per caller."""
    app.config["PRINTER_URL"] = "preview"  # receipts are queued (no worker runs in the tests): a print job exists
    vendor = Api(app.test_client(), login(app.test_client(), *demo_data["vendor"]))
    shift = vendor.post("/shifts", {"opening_cash_vnd": 500_000}).get_json()
    sale = sell(vendor, sale_body(("CF-CB-500", 1), payments=[{"method": "transfer", "amount_vnd": 145_000}]))
    with app.app_context():
        job_id = db.session.scalar(select(PrintJob.id).where(PrintJob.sale_id == sale["id"]))
        vendor_id = db.session.scalar(select(User.id).where(User.username == demo_data["vendor"][0]))
    values = {"sale_id": sale["id"], "shift_id": shift["id"], "job_id": job_id, "user_id": vendor_id,
              "transfer_id": DEMO["incoming_transfer"]["id"], "code": "vi", "filename": "css/app.css"}
    return SimpleNamespace(app=app, values=values, clients=logged_in_clients(app, CALLERS, demo_data))


def test_the_access_table_names_every_route(app):
    assert_table_covers(app, ACCESS)


@pytest.mark.parametrize("endpoint, method", sorted(ACCESS))
def test_every_caller_gets_what_the_table_says(kiosk, endpoint, method):
    walk_route(kiosk.app, endpoint, method, ACCESS[endpoint, method], kiosk.clients, kiosk.values, credentials,
               lambda: database_rows(kiosk.app, db, Base.metadata))
