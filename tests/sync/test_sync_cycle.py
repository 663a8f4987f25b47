"""A kiosk and central in one process: what is sold goes up once, the catalogue and transfers come down."""
import gzip
import json

from sqlalchemy import select

from central_sync.catalog.services import get_product, set_price
from central_sync.extensions import db
from central_sync.models import SaleLine
from kiosk.sync import state
from kiosk.sync.client import urllib_transport
from tests.sync.harness import central_sales, central_stock, same_stock, serving


def ship(admin, to="K01", **lines):
    response = admin.post("/transfers", json={"from_location": "KHO", "to_location": to,
                                              "lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_enrolment_pulls_the_catalogue_at_this_locations_prices(kiosk):
    products = {p["sku"]: p for p in kiosk.vendor.get("/products").get_json()["products"]}
    assert {sku: p["price_vnd"] for sku, p in products.items()} == {"CF-500": 145_000, "CF-250": 80_000,
                                                                   "MO-250": 98_000}
    assert products["CF-500"]["producer"] == "HTX Cà phê Ea Kiết"
    status = kiosk.vendor.get("/sync/status").get_json()
    assert status["enrolled"] is True and status["pending_events"] == 0 and status["last_error"] is None
    assert status["last_pull_at"] and status["location"] == "K01"


def test_a_shipped_transfer_is_received_sold_and_reported_once(app, admin, kiosk):
    transfer_id = ship(admin, **{"CF-500": 10, "MO-250": 4})
    assert kiosk.vendor.post("/sync").status_code == 200
    transfers = kiosk.vendor.get("/transfers").get_json()["transfers"]
    assert [(t["id"], t["status"]) for t in transfers] == [(transfer_id, "in_transit")]
    received = kiosk.vendor.post(f"/transfers/{transfer_id}/receive",
                                 json={"lines": [{"sku": "CF-500", "received_qty": 10},
                                                 {"sku": "MO-250", "received_qty": 3}]})
    assert received.status_code == 200, received.get_json()
    assert kiosk.vendor.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
    sale = kiosk.vendor.post("/sales", json={"lines": [{"sku": "CF-500", "qty": 2}],
                                             "payments": [{"method": "cash", "amount_vnd": 290_000}]})
    assert sale.status_code == 201, sale.get_json()
    answer = kiosk.vendor.post("/sync").get_json()
    assert answer == {"pushed": 2, "pulled": 1, "pending_events": 0}  # the receipt and the sale; the transfer back
    assert central_sales(app, "K01") == [sale.get_json()["id"]]
    assert central_stock(app, "K01") == {"CF-500": 8, "MO-250": 3}
    assert same_stock(kiosk, app)
    alerts = {(a["kind"], a["sku"]) for a in admin.get("/alerts").get_json()["alerts"]}
    assert ("transfer_discrepancy", "MO-250") in alerts
    assert kiosk.vendor.post("/sync").get_json() == {"pushed": 0, "pulled": 0, "pending_events": 0}
    assert central_sales(app) == [sale.get_json()["id"]]


def test_over_http_on_loopback(app, admin, make_kiosk):
    with serving(app) as url:
        kiosk = make_kiosk("K02", transport=urllib_transport, CENTRAL_URL=url)
        ship(admin, to="K02", **{"CF-250": 5})
        assert kiosk.vendor.post("/sync").get_json()["pulled"] == 1
    assert kiosk.vendor.post("/sync").status_code == 503
    assert "127.0.0.1" in kiosk.vendor.get("/sync/status").get_json()["last_error"]


def test_a_large_pull_travels_gzipped_to_a_kiosk_that_accepts_it(client, admin, kiosk):
    with kiosk.app.app_context():
        token = state.get(state.TOKEN)
    plain = client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}"})
    zipped = client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None and zipped.headers["Content-Encoding"] == "gzip"
    assert len(zipped.get_data()) < len(plain.get_data()) / 2
    assert json.loads(gzip.decompress(zipped.get_data()))["changes"] == plain.get_json()["changes"]


def test_two_kiosks_overselling_and_an_old_price_are_kept_and_reported(app, admin, make_kiosk):
    k01, k02 = make_kiosk("K01"), make_kiosk("K02")
    for kiosk in (k01, k02):
        assert kiosk.vendor.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
    sales = [kiosk.vendor.post("/sales", json={"lines": [{"sku": "MO-250", "qty": 3}],
                                               "payments": [{"method": "cash", "amount_vnd": 294_000}]})
             for kiosk in (k01, k02)]
    assert [s.status_code for s in sales] == [201, 201]
    with app.app_context():  # central raises the price while the kiosks still sell at the old one
        set_price(get_product("MO-250"), 99_000)
        db.session.commit()
    for kiosk in (k01, k02):
        assert kiosk.vendor.post("/sync").get_json()["pending_events"] == 0
    assert sorted(central_sales(app)) == sorted(s.get_json()["id"] for s in sales)
    assert central_stock(app, "K01") == {"MO-250": -3} and central_stock(app, "K02") == {"MO-250": -3}
    kinds = {(a["kind"], a["location"]) for a in admin.get("/alerts").get_json()["alerts"]}
    assert {("oversell", "K01"), ("oversell", "K02"), ("outdated_price", "K01"), ("outdated_price", "K02")} <= kinds
    with app.app_context():
        assert sorted(db.session.scalars(select(SaleLine.unit_price_vnd))) == [98_000, 98_000]  # as sold
    assert {p["sku"]: p["price_vnd"] for p in k02.vendor.get("/products").get_json()["products"]}["MO-250"] == 99_000
