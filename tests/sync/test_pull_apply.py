"""What a kiosk does with what it pulls: prices now and later, products withdrawn, transfers, its location."""
from datetime import timedelta

from sqlalchemy import select

from central_sync.catalog.services import get_product, set_price
from central_sync.extensions import db as central_db
from central_sync.models import Location, utcnow
from central_sync.stock.services import receive_transfer
from kiosk.extensions import db
from kiosk.models import Product, ScheduledPrice
from kiosk.sync import pull


def at_central(app, change) -> None:
    with app.app_context():
        change()
        central_db.session.commit()


def kiosk_prices(kiosk) -> dict[str, int]:
    return {p["sku"]: p["price_vnd"] for p in kiosk.vendor.get("/products").get_json()["products"]}


def test_a_price_change_and_a_location_override_reach_only_their_kiosks(app, make_kiosk):
    k01, k02 = make_kiosk("K01"), make_kiosk("K02")

    def change():
        set_price(get_product("CF-500"), 150_000)
        k02_location = central_db.session.scalar(select(Location).where(Location.code == "K02"))
        set_price(get_product("MO-250"), 90_000, location=k02_location)

    at_central(app, change)
    k01.sync(), k02.sync()
    assert kiosk_prices(k01) == {"CF-500": 150_000, "CF-250": 80_000, "MO-250": 98_000}
    assert kiosk_prices(k02) == {"CF-500": 150_000, "CF-250": 80_000, "MO-250": 90_000}


def test_a_scheduled_price_waits_at_the_kiosk_and_takes_effect_offline(app, kiosk):
    starts = utcnow() + timedelta(hours=2)
    at_central(app, lambda: set_price(get_product("CF-250"), 85_000, valid_from=starts))
    kiosk.sync()
    assert kiosk_prices(kiosk)["CF-250"] == 80_000
    with kiosk.app.app_context():
        assert [(p.sku, p.price_vnd) for p in db.session.scalars(select(ScheduledPrice))] == [("CF-250", 85_000)]
        assert pull.apply_due_prices(utcnow()) == 0
        assert pull.apply_due_prices(starts + timedelta(seconds=1)) == 1  # no central needed
        db.session.commit()
        assert db.session.scalar(select(Product.price_vnd).where(Product.sku == "CF-250")) == 85_000
        assert db.session.scalar(select(ScheduledPrice)) is None


def test_a_withdrawn_product_is_no_longer_sold_but_its_sales_stay(app, kiosk):
    def withdraw():
        get_product("CF-250").active = False

    at_central(app, withdraw)
    kiosk.sync()
    assert "CF-250" not in kiosk_prices(kiosk)
    assert kiosk.vendor.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
    refused = kiosk.vendor.post("/sales", json={"lines": [{"sku": "CF-250", "qty": 1}],
                                                "payments": [{"method": "cash", "amount_vnd": 80_000}]})
    assert refused.status_code == 422


def test_a_transfer_received_at_central_is_mirrored_with_its_stock_and_sent_nowhere(app, admin, kiosk):
    shipped = admin.post("/transfers", json={"from_location": "KHO", "to_location": "K01",
                                             "lines": [{"sku": "CF-500", "qty": 6}]}).get_json()["id"]
    kiosk.sync()
    at_central(app, lambda: receive_transfer(shipped, {"CF-500": 5}))
    kiosk.sync()
    transfer = kiosk.vendor.get("/transfers").get_json()["transfers"][0]
    assert (transfer["id"], transfer["status"]) == (shipped, "received")
    assert kiosk.stock() == {"CF-500": 5} and kiosk.pending() == 0
    kiosk.sync()
    assert kiosk.stock() == {"CF-500": 5}  # applying the same change again adds nothing


def test_the_kiosk_numbers_its_receipts_with_its_locations_code(kiosk):
    assert kiosk.app.config["KIOSK_CODE"] == "K01"
    assert kiosk.vendor.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
    sale = kiosk.vendor.post("/sales", json={"lines": [{"sku": "CF-500", "qty": 1}],
                                             "payments": [{"method": "cash", "amount_vnd": 145_000}]}).get_json()
    assert sale["number"].startswith("K01-")


def test_changes_a_kiosk_does_not_know_are_left_alone(kiosk):
    with kiosk.app.app_context():
        assert pull.apply([{"entity": "setting", "op": "upsert", "key": "x", "data": {}},
                           {"entity": "hologram", "op": "teleport", "key": "y", "data": None}]) == 0
