"""Every route of central, called by nobody, by each role with a session and with a bearer token, and by a
kiosk's device token, answers as the access table below says (CONTRACT.md "Central API": an admin manages
everything, a reviewer reads, devices only sync; the API takes bearer tokens, the pages sessions). A route
missing from the table fails the test: a new route says who may call it. That a device pushes and pulls only
for its own location is tested in test_sync_push.py and test_sync_pull.py."""
from types import SimpleNamespace

import pytest

from central_sync.extensions import db
from central_sync.models import Base
from tests.central_sync.conftest import PASSWORD, log_in
from tests.central_sync.test_sync_push import event, push, sale
from tests.kiosk.apitools import Api
from tests.roletools import (PUBLIC, Caller, assert_table_covers, database_rows, is_api, logged_in_clients,
                             user_callers, walk_route)

ANY_USER = frozenset({"admin", "reviewer"})
ADMIN = frozenset({"admin"})
DEVICE = frozenset({"device"})

ACCESS = {
    # the JSON API (CONTRACT.md "Central API")
    ("auth_api.login", "POST"): PUBLIC,
    ("openapi.document", "GET"): PUBLIC,
    ("home.healthz", "GET"): PUBLIC,
    ("sync_api.push", "POST"): DEVICE,
    ("sync_api.pull", "GET"): DEVICE,
    ("sync_api.stock", "GET"): DEVICE,
    ("network_api.locations", "GET"): ANY_USER,
    ("network_api.create_device", "POST"): ADMIN,
    ("network_api.rotate_device", "POST"): ADMIN,
    ("network_api.revoke_device", "POST"): ADMIN,
    ("stock_api.stock", "GET"): ANY_USER,
    ("stock_api.adjust", "POST"): ADMIN,
    ("stock_api.transfers", "GET"): ANY_USER,
    ("stock_api.transfer", "GET"): ANY_USER,
    ("stock_api.create_transfer", "POST"): ADMIN,
    ("reports_api.sales", "GET"): ANY_USER,
    ("reports_api.sales_report", "GET"): ANY_USER,
    ("reports_api.alerts", "GET"): ANY_USER,
    # the admin pages: every user reads them; their forms and every write are the admin's
    ("static", "GET"): PUBLIC,
    ("auth_views.index", "GET"): PUBLIC,  # a redirect to the products page, which asks to log in
    ("auth_views.login", "GET"): PUBLIC,
    ("auth_views.login", "POST"): PUBLIC,
    ("auth_views.set_language", "GET"): PUBLIC,
    ("auth_views.logout", "POST"): ANY_USER,
    ("catalog_views.products", "GET"): ANY_USER,
    ("catalog_views.product", "GET"): ANY_USER,
    ("catalog_views.new_product", "GET"): ADMIN,
    ("catalog_views.new_product", "POST"): ADMIN,
    ("catalog_views.edit_product", "POST"): ADMIN,
    ("catalog_views.add_price", "POST"): ADMIN,
    ("catalog_views.producers", "GET"): ANY_USER,
    ("catalog_views.new_producer", "GET"): ADMIN,
    ("catalog_views.new_producer", "POST"): ADMIN,
    ("catalog_views.edit_producer", "GET"): ADMIN,
    ("catalog_views.edit_producer", "POST"): ADMIN,
    ("network_views.locations", "GET"): ANY_USER,
    ("network_views.location", "GET"): ANY_USER,
    ("network_views.new_location", "GET"): ADMIN,
    ("network_views.new_location", "POST"): ADMIN,
    ("network_views.edit_location", "POST"): ADMIN,
    ("network_views.create_device", "POST"): ADMIN,
    ("network_views.rotate_device", "POST"): ADMIN,
    ("network_views.revoke_device", "POST"): ADMIN,
    ("stock_views.location_stock", "GET"): ANY_USER,
    ("stock_views.transfers", "GET"): ANY_USER,
    ("stock_views.transfer", "GET"): ANY_USER,
    ("stock_views.new_transfer", "GET"): ADMIN,
    ("stock_views.new_transfer", "POST"): ADMIN,
    # the review pages: reading only
    ("review_stock.static", "GET"): PUBLIC,
    ("review_stock.matrix", "GET"): ANY_USER,
    ("review_stock.export", "GET"): ANY_USER,
    ("review_producer.producer", "GET"): ANY_USER,
    ("review_producer.export", "GET"): ANY_USER,
    ("review_sales.sales", "GET"): ANY_USER,
    ("review_sales.sales_breakdown", "GET"): ANY_USER,
    ("review_sales.sales_breakdown_export", "GET"): ANY_USER,
    ("review_sales.sales_export", "GET"): ANY_USER,
    ("review_health.health_page", "GET"): ANY_USER,
    ("review_health.health_export", "GET"): ANY_USER,
    ("review_health.alerts_page", "GET"): ANY_USER,
    ("review_health.alerts_export", "GET"): ANY_USER,
    ("review_health.alerts_event", "GET"): ANY_USER,
    ("review_metrics.metrics_page", "GET"): ANY_USER,  # also a scraper's METRICS_TOKEN
}


CALLERS = user_callers("admin", "reviewer") + [Caller("K01's device", "device", "device")]


def credentials(path: str, access) -> set[str]:
    """The pages take a session; the API a user's bearer token, or for the sync a device's, never the session
    cookie; /metrics a user's session or token (or a monitoring scraper's)."""
    if path == "/metrics":
        return {"session", "token"}
    if not is_api(path):
        return {"session"}
    return {"device"} if access == DEVICE else {"token"}


@pytest.fixture
def central(app, client, world):
    """The small network with K01's device, a transfer shipped to K01, a sale it pushed and an event it pushed
    that was rejected (an unknown product); a client of its own per caller."""
    admin = Api(client, log_in(client, "admin"))
    device = admin.post("/devices", json={"location": "K01"}).get_json()
    transfer = admin.post("/transfers", json={"from_location": world.warehouse, "to_location": "K01",
                                              "lines": [{"sku": "CF-500", "qty": 5}]}).get_json()
    rejected = event(2, payload=sale(sku="XX-404"))
    pushed = push(Api(client, device["token"]), [event(1, payload=sale()), rejected])
    assert [r["status"] for r in pushed.get_json()["results"]] == ["applied", "rejected"], pushed.get_json()
    values = {"code": "K01", "sku": "CF-500", "producer_id": 1, "device_id": device["device_id"],
              "transfer_id": transfer["id"], "event_id": rejected["id"], "group_by": "product", "fmt": "csv",
              "filename": "css/admin.css", "auth_views.set_language": {"code": "vi"},
              "review_stock.static": {"filename": "review.css"}, "review_producer.export": {"table": "sales"},
              "review_sales.sales_export": {"table": "series"}}
    logins = {role: (role, PASSWORD) for role in ("admin", "reviewer")}
    return SimpleNamespace(app=app, values=values, clients=logged_in_clients(app, CALLERS, logins, device["token"]))


def test_the_access_table_names_every_route(app):
    assert_table_covers(app, ACCESS)


def test_the_table_lets_a_reviewer_write_nothing():
    """Reviewers read: of the writes, they may only log in and out."""
    writes = {route for route, access in ACCESS.items() if route[1] != "GET" and access != PUBLIC}
    assert {route for route in writes if "reviewer" in ACCESS[route]} == {("auth_views.logout", "POST")}


@pytest.mark.parametrize("endpoint, method", sorted(ACCESS))
def test_every_caller_gets_what_the_table_says(central, endpoint, method):
    walk_route(central.app, endpoint, method, ACCESS[endpoint, method], central.clients, central.values,
               credentials, lambda: database_rows(central.app, db, Base.metadata))
