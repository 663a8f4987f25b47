"""GET /api/v1/sync/pull (CONTRACT.md "Sync"): the catalogue, prices, producers, the device's own location and
the transfers to it, in pages from an opaque cursor that never skips a change committed late."""
import base64
import random
import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select, text

from central_sync.catalog.services import price_of, set_price, update_product, upsert_product
from central_sync.extensions import db
from central_sync.models import Device, Location, Price, Product, SyncChange, utcnow
from central_sync.stock.services import receive_transfer
from central_sync.sync import changes as change_log
from central_sync.sync.pull import decode_cursor
from tests.central_sync.conftest import PASSWORD
from tests.central_sync.tools import assert_error
from tests.kiosk.apitools import Api
from tests.kiosk.pagetools import Browser

AT = "2026-11-29T09:00:00+07:00"
HANG = 60  # seconds after which a thread that never got its turn fails the test (a hang guard, not a timing)


@pytest.fixture
def device(admin):
    """K01's device."""
    return enrol(admin, "K01")


def enrol(admin, location: str) -> Api:
    response = admin.post("/devices", json={"location": location})
    assert response.status_code == 201, response.get_json()
    return Api(admin.client, response.get_json()["token"])


def pull(kiosk, cursor=None, limit=None) -> dict:
    """One page, its shape checked."""
    response = kiosk.get("/sync/pull", query_string={k: v for k, v in (("cursor", cursor), ("limit", limit)) if v})
    body = response.get_json()
    assert response.status_code == 200, body
    assert set(body) == {"changes", "cursor", "has_more"} and isinstance(body["cursor"], str), body
    for change in body["changes"]:
        assert set(change) == {"entity", "op", "key", "data"} and change["op"] in ("upsert", "delete"), change
    return body


def pull_all(kiosk, cursor=None, limit=None) -> tuple[list, str, list]:
    """Every page from ``cursor`` on: (their changes in order, the last cursor, the pages)."""
    found, pages = [], []
    while True:
        page = pull(kiosk, cursor, limit)
        assert limit is None or len(page["changes"]) <= limit, page
        pages.append(page)
        found += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return found, cursor, pages


def by_key(changes: list) -> dict:
    """{(entity, key): change}; a key sent twice fails."""
    found = {}
    for change in changes:
        assert (change["entity"], change["key"]) not in found, change
        found[change["entity"], change["key"]] = change
    return found


def upserts(changes: list, entity: str) -> dict:
    return {c["key"]: c["data"] for c in changes if c["entity"] == entity and c["op"] == "upsert"}


def prices(changes: list, entity: str = "price") -> dict:
    return {sku: data["price_vnd"] for sku, data in upserts(changes, entity).items()}


def ship(admin, to: str = "K01", sku: str = "CF-250", qty: int = 10) -> str:
    response = admin.post("/transfers", json={"from_location": "KHO", "to_location": to,
                                              "lines": [{"sku": sku, "qty": qty}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def product(sku: str) -> Product:
    return db.session.scalar(select(Product).where(Product.sku == sku))


def location(code: str) -> Location:
    return db.session.scalar(select(Location).where(Location.code == code))


def new_price(app, sku: str, price: int, at: str | None = None, valid_from: datetime | None = None) -> None:
    with app.app_context():
        set_price(product(sku), price, location=location(at) if at else None, valid_from=valid_from)
        db.session.commit()


def add_products(app, count: int, active: bool = True, priced: bool = True) -> list[str]:
    skus = [f"NEW-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    with app.app_context():
        for sku in skus:
            added = upsert_product({"sku": sku, "name": f"Sản phẩm {sku}", "unit": "hộp", "ocop_stars": 3,
                                    "ocop_group": "food", "producer_id": 2})
            added.active = active
            db.session.flush()
            if priced:
                set_price(added, 50_000)
        db.session.commit()
    return skus


def admin_browser(client) -> Browser:
    browser = Browser(client)
    browser.log_in("admin", PASSWORD)
    return browser


def on_postgresql(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def in_thread(app, errors: list, work) -> threading.Thread:
    """Run ``work`` in a new thread with its own app context (so its own session and connection)."""
    def run():
        try:
            with app.app_context():
                work()
        except BaseException as error:  # reported by the test
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def committed_clock(app) -> int:
    with app.app_context():
        return change_log.read_clock(db.session, change_log.CHANGES) or 0


# ---------- what a pull carries ----------

def test_a_full_pull_sends_the_catalogue_its_location_and_only_its_transfers(app, admin, device):
    new_price(app, "CF-500", 150_000, at="K02")  # K02's own price: not K01's business
    new_price(app, "CF-250", 75_000, at="K01")  # K01's own price wins over the general one
    unpriced, inactive = add_products(app, 1, priced=False)[0], add_products(app, 1, active=False)[0]
    to_k01, to_k02, received = ship(admin, "K01"), ship(admin, "K02"), ship(admin, "K01", "MO-250", 3)
    with app.app_context():
        receive_transfer(received, {"MO-250": 3})
        db.session.commit()

    changes, _cursor, _pages = pull_all(device)
    by_key(changes)
    assert {c["key"] for c in changes}.isdisjoint({to_k02, "K02", "KHO", "CL1"})  # in no op at all
    assert {(c["entity"], c["key"]) for c in changes if c["op"] == "delete"} <= {("product", unpriced),
                                                                                   ("product", inactive)}
    assert {key: data["code"] for key, data in upserts(changes, "location").items()} == {"K01": "K01"}
    assert upserts(changes, "location")["K01"]["name"] == "Điểm K01"
    assert {key: data["name"] for key, data in upserts(changes, "producer").items()} == {
        "1": "HTX Cà phê Ea Kiết", "2": "Hộ kinh doanh Mật ong Lắk"}
    assert prices(changes, "product") == {"CF-500": 145_000, "CF-250": 75_000, "MO-250": 98_000}
    assert {unpriced, inactive}.isdisjoint(upserts(changes, "product"))
    cf500 = upserts(changes, "product")["CF-500"]
    assert (cf500["name"], cf500["ocop_stars"], cf500["producer"]["id"], cf500["certificate_expires_on"]) == (
        "Cà phê bột 500g", 4, 1, "2030-01-01")
    assert {sku: price for sku, price in prices(changes).items() if sku in ("CF-500", "CF-250", "MO-250")} == {
        "CF-500": 145_000, "CF-250": 75_000, "MO-250": 98_000}
    assert upserts(changes, "price")["CF-500"]["upcoming"] == []
    transfers = upserts(changes, "transfer")
    assert set(transfers) == {to_k01, received}
    assert {key: data["status"] for key, data in transfers.items()} == {to_k01: "in_transit", received: "received"}
    assert (transfers[to_k01]["from_location"], transfers[to_k01]["lines"]) == (
        "KHO", [{"sku": "CF-250", "qty": 10, "received_qty": None}])
    assert transfers[received]["lines"] == [{"sku": "MO-250", "qty": 3, "received_qty": 3}]

    k02 = pull_all(enrol(admin, "K02"))[0]
    assert set(upserts(k02, "location")) == {"K02"} and set(upserts(k02, "transfer")) == {to_k02}
    assert prices(k02, "product") == {"CF-500": 150_000, "CF-250": 80_000, "MO-250": 98_000}
    assert {sku: price for sku, price in prices(k02).items() if sku in ("CF-500", "CF-250", "MO-250")} == {
        "CF-500": 150_000, "CF-250": 80_000, "MO-250": 98_000}


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_pages_carry_everything_once(app, admin, device, limit):
    new_price(app, "CF-250", 75_000, at="K01")  # a price seen by all, and overridden here: one change
    new_price(app, "CF-500", 150_000)
    add_products(app, 4)
    for _ in range(3):
        ship(admin, "K01")
    ship(admin, "K02")
    whole, cursor, pages = pull_all(device, limit=1000)
    assert len(pages) == 1 and len(whole) > 15
    by_key(whole)

    paged, paged_cursor, pages = pull_all(device, limit=limit)
    assert paged == whole
    assert paged_cursor == cursor
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert len(pages) == -(-len(whole) // limit)  # full pages up to the last one
    assert [len(page["changes"]) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    full, one_beyond = pull_all(device, limit=len(whole))[2], pull_all(device, limit=len(whole) - 1)[2]
    assert [p["has_more"] for p in full] == [False] and [p["has_more"] for p in one_beyond] == [True, False]
    assert pull(device, paged_cursor) == {"changes": [], "cursor": paged_cursor, "has_more": False}


def test_an_incremental_pull_sends_only_what_changed(app, client, admin, device):
    before, cursor, _ = pull_all(device)
    assert pull(device, cursor) == {"changes": [], "cursor": cursor, "has_more": False}

    transfer_id = ship(admin, "K01", "MO-250", 4)
    ship(admin, "K02")
    new_price(app, "CF-500", 150_000)  # the service
    browser = admin_browser(client)
    for page, data, action in (("/products/MO-250", {"price_vnd": "99000"}, "/products/MO-250/prices"),
                               ("/producers/2", {"name": "HTX Mật ong Lắk", "kind": "cooperative"}, None),
                               ("/locations/K02", {"name": "Ki-ốt Lắk mới"}, "/locations/K02")):
        assert browser.submit(page, data, action=action).status_code == 302, page
    with app.app_context():
        found = product("CF-250")
        update_product(found, {"name": "Cà phê hạt Ea Kiết 250g", "unit": found.unit, "ocop_stars": 4,
                               "ocop_group": "food", "producer_id": 1, "certificate_no": "CF-250/QĐ"})
        db.session.commit()

    changes, after, _ = pull_all(device, cursor)
    assert set(by_key(changes)) == {("transfer", transfer_id), ("price", "CF-500"), ("product", "CF-500"),
                                    ("price", "MO-250"), ("product", "MO-250"), ("product", "CF-250"),
                                    ("producer", "2")}
    assert prices(changes) == {"CF-500": 150_000, "MO-250": 99_000}
    assert prices(changes, "product") == {"CF-500": 150_000, "MO-250": 99_000, "CF-250": 80_000}
    edited = upserts(changes, "product")["CF-250"]
    assert (edited["name"], edited["ocop_stars"]) == ("Cà phê hạt Ea Kiết 250g", 4)
    assert upserts(changes, "producer")["2"]["name"] == "HTX Mật ong Lắk"
    assert upserts(changes, "transfer")[transfer_id]["lines"] == [{"sku": "MO-250", "qty": 4, "received_qty": None}]
    assert after != cursor
    assert pull(device, after) == {"changes": [], "cursor": after, "has_more": False}

    assert browser.submit("/locations/K01", {"name": "Ki-ốt Krông Pắc mới"}, action="/locations/K01").status_code == 302
    assert [(c["entity"], c["key"], c["data"]["name"]) for c in pull(device, after)["changes"]] == [
        ("location", "K01", "Ki-ốt Krông Pắc mới")]
    assert len(before) == len(pull_all(device)[0]) - 1  # the full pull now has the new transfer too


def test_a_future_price_is_upcoming_not_current(app, admin, device):
    cursor = pull_all(device)[1]
    tomorrow, next_week = utcnow() + timedelta(days=1), utcnow() + timedelta(days=7)
    new_price(app, "CF-500", 160_000, valid_from=tomorrow)
    new_price(app, "CF-500", 158_000, at="K01", valid_from=next_week)
    new_price(app, "MO-250", 90_000, at="K02", valid_from=tomorrow)  # K02's, not K01's

    for changes in (pull(device, cursor)["changes"], pull_all(device)[0]):
        price = upserts(changes, "price")["CF-500"]
        assert price["price_vnd"] == 145_000
        assert [(item["price_vnd"], datetime.fromisoformat(item["valid_from"])) for item in price["upcoming"]] == [
            (160_000, tomorrow), (158_000, next_week)]
        assert prices(changes, "product")["CF-500"] == 145_000
        assert upserts(changes, "price").get("MO-250", {"upcoming": []})["upcoming"] == []
        assert prices(changes, "product")["MO-250"] == 98_000
    k02 = upserts(pull_all(enrol(admin, "K02"))[0], "price")
    assert [item["price_vnd"] for item in k02["MO-250"]["upcoming"]] == [90_000]
    assert [item["price_vnd"] for item in k02["CF-500"]["upcoming"]] == [160_000]


def test_another_locations_price_is_not_sent(app, admin, device):
    cursor = pull_all(device)[1]
    other = enrol(admin, "K02")
    other_cursor = pull_all(other)[1]
    new_price(app, "CF-500", 150_000, at="K02")

    incremental = pull(device, cursor)["changes"]
    assert "price" not in {c["entity"] for c in incremental}
    for changes in (incremental, pull_all(device)[0]):
        assert prices(changes).get("CF-500", 145_000) == 145_000
        assert prices(changes, "product").get("CF-500", 145_000) == 145_000
        assert not [c for c in changes if "150000" in str(c["data"])]
    mine = pull(other, other_cursor)["changes"]
    assert (prices(mine)["CF-500"], prices(mine, "product")["CF-500"]) == (150_000, 150_000)


def test_a_transfer_received_through_a_push_comes_back_received(admin, device):
    transfer_id = ship(admin, "K01", "CF-250", 10)
    changes, cursor, _ = pull_all(device)
    assert upserts(changes, "transfer")[transfer_id]["status"] == "in_transit"
    receipt = {"transfer_id": transfer_id, "lines": [{"sku": "CF-250", "received_qty": 8}]}
    response = device.post("/sync/push", json={"protocol": 1, "events": [
        {"seq": 1, "id": str(uuid.uuid4()), "type": "transfer_receipt", "occurred_at": AT, "payload": receipt}]})
    assert response.get_json()["results"][0]["status"] == "applied", response.get_json()

    page = pull(device, cursor)
    assert [(c["entity"], c["op"], c["key"]) for c in page["changes"]] == [("transfer", "upsert", transfer_id)]
    data = page["changes"][0]["data"]
    assert (data["status"], data["lines"]) == ("received", [{"sku": "CF-250", "qty": 10, "received_qty": 8}])
    assert data["received_at"] is not None
    assert pull(device, page["cursor"])["changes"] == []



def test_the_stock_a_device_reads_is_its_own_locations_with_the_last_seq_it_counts(admin, device):
    """GET /api/v1/sync/stock, for a kiosk restored from an old backup (`sync --after-restore`)."""
    transfer_id = ship(admin, "K01", "CF-250", 10)
    ship(admin, "K02", "CF-500", 7)  # another location's: not in K01's answer
    assert device.get("/sync/stock").get_json() == {"acked_seq": 0, "stock": []}  # in transit is not on hand
    receipt = {"transfer_id": transfer_id, "lines": [{"sku": "CF-250", "received_qty": 8}]}
    assert device.post("/sync/push", json={"protocol": 1, "events": [
        {"seq": 1, "id": str(uuid.uuid4()), "type": "transfer_receipt", "occurred_at": AT, "payload": receipt}]}
    ).status_code == 200
    assert device.get("/sync/stock").get_json() == {"acked_seq": 1, "stock": [{"sku": "CF-250", "qty": 8}]}
    assert_error(admin.get("/sync/stock"), 401, "unauthorized")  # a device's, not a user's


# ---------- refusals ----------

def forged(epoch: int, clock: int) -> dict:
    """Cursors central never gave (the format is pull.py's: base64url of "<epoch>.<version>")."""
    def b64(cursor_text: str) -> str:
        return base64.urlsafe_b64encode(cursor_text.encode()).decode().rstrip("=")

    return {"not base64": "ẞ?*", "garbage": b64("nope"), "no version": b64(str(epoch)),
            "three parts": b64(f"{epoch}.1.2"), "negative": b64(f"{epoch}.-1"), "other epoch": b64(f"{epoch + 1}.0"),
            "beyond the clock": b64(f"{epoch}.{clock + 1}"), "too long": b64(f"{epoch}.{'0' * 60}{clock}"),
            "huge": "9" * 5000}


@pytest.mark.parametrize("case", ["not base64", "garbage", "no version", "three parts", "negative", "other epoch",
                                  "beyond the clock", "too long", "huge"])
def test_a_cursor_this_database_never_gave_must_reset(app, device, case):
    cursor = pull_all(device)[1]
    with app.app_context():
        epoch, clock = change_log.epoch(db.session), change_log.read_clock(db.session, change_log.CHANGES)
        assert decode_cursor(cursor, epoch) == clock  # a full pull ends at the clock
    response = device.get("/sync/pull", query_string={"cursor": forged(epoch, clock)[case]})
    assert_error(response, 409, "reset_required")
    assert pull(device, cursor)["cursor"] == cursor  # the real cursor still works


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "abc", "1.5", " 5", "²", "9" * 5000])
def test_a_bad_limit_is_a_validation_error(device, limit):
    assert_error(device.get("/sync/pull", query_string={"limit": limit}), 422, "validation_error", "limit")


def test_only_an_active_device_token_may_pull(app, client, admin, device):
    assert pull(device)["changes"]
    assert_error(Api(client).get("/sync/pull"), 401, "unauthorized")
    assert_error(Api(client, "not-a-token").get("/sync/pull"), 401, "unauthorized")
    assert_error(Api(client, admin.token).get("/sync/pull"), 401, "unauthorized")  # a user is no device
    with app.app_context():
        device_id = db.session.scalar(select(Device.id))
    assert admin.post(f"/devices/{device_id}/revoke").status_code == 200
    assert_error(device.get("/sync/pull"), 401, "unauthorized")


# ---------- concurrency: a cursor never skips a change committed late ----------

def test_a_change_that_took_its_version_first_is_visible_before_any_later_one(app, device):
    """Thread A changes a product and is held just before its COMMIT, its versions taken; thread B's price change
    must wait (on the clock's row on PostgreSQL, on the single writer on SQLite) and come after A's."""
    cursor = pull_all(device)[1]
    clock = committed_clock(app)
    a_held, release_a, b_started, b_done = (threading.Event() for _ in range(4))
    errors, a_connection, b_pid = [], [], []
    with app.app_context():
        engine, cf500, mo250 = db.engine, product("CF-500").id, product("MO-250").id

    def hold_a(connection):
        if a_connection and connection is a_connection[0]:
            a_held.set()
            release_a.wait(HANG)

    def change_a():
        product("CF-500").name = "Cà phê bột 500g (A)"
        a_connection.append(db.session.connection())
        db.session.commit()

    def change_b():
        if on_postgresql(app):
            b_pid.append(db.session.scalar(text("SELECT pg_backend_pid()")))
        b_started.set()
        set_price(product("MO-250"), 99_000)  # SQLite: waits here, at its first write, for A's writer lock
        db.session.commit()  # PostgreSQL: waits here, on the clock's row A holds
        b_done.set()

    threads = []
    event.listen(engine, "commit", hold_a)  # called just before the DBAPI commit of A's session
    try:
        threads.append(in_thread(app, errors, change_a))
        assert a_held.wait(HANG), errors
        threads.append(in_thread(app, errors, change_b))
        assert b_started.wait(HANG), errors
        if on_postgresql(app):
            waiting, deadline = None, time.monotonic() + HANG
            while waiting is None and not b_done.is_set() and not errors and time.monotonic() < deadline:
                with app.app_context():
                    waiting = db.session.scalar(text("SELECT query FROM pg_stat_activity WHERE pid = :pid AND "
                                                     "wait_event_type = 'Lock'"), {"pid": b_pid[0]})
                b_done.wait(0.01)
            assert waiting is not None and waiting.startswith("UPDATE sync_clock"), (waiting, errors)
            assert pull(device, cursor) == {"changes": [], "cursor": cursor, "has_more": False}
        assert not b_done.is_set() and not errors
        assert committed_clock(app) == clock  # neither version is visible yet
        with app.app_context():
            assert db.session.scalar(select(Price.id).where(Price.price_vnd == 99_000)) is None
    finally:
        release_a.set()
        for thread in threads:
            thread.join(HANG)
        event.remove(engine, "commit", hold_a)  # not while A's commit runs it
    assert not errors and b_done.is_set() and not any(thread.is_alive() for thread in threads)

    with app.app_context():
        versions = dict(db.session.execute(select(SyncChange.entity + ":" + SyncChange.key, SyncChange.version)
                                           .where(SyncChange.version > clock)).all())
    assert set(versions) == {f"product:{cf500}", f"product:{mo250}", f"price:{mo250}"}
    assert versions[f"product:{cf500}"] < min(versions[f"product:{mo250}"], versions[f"price:{mo250}"])
    changes = pull(device, cursor)["changes"]
    assert upserts(changes, "product")["CF-500"]["name"] == "Cà phê bột 500g (A)"
    assert prices(changes) == {"MO-250": 99_000}


def test_a_puller_among_writers_ends_with_the_last_state_of_every_row(app, device):
    """4 writers commit 50 price changes each while a device pulls small pages from its cursor: what it holds at
    the end is what a full pull and the database say. Each change is to another product, so each is the last
    state of its row and none can be made good by a later one: a skipped change would show. On PostgreSQL each
    writer is held just before its COMMIT, its versions taken, until a page has been pulled meanwhile (only one
    can be: the others wait for the clock's row)."""
    writers, each = 4, 50
    skus = ["CF-500", "CF-250", "MO-250"] + add_products(app, writers * each - 3)
    random.Random(7).shuffle(skus)
    plans = [skus[writer * each:(writer + 1) * each] for writer in range(writers)]
    changes, cursor, _ = pull_all(device)
    held = {(c["entity"], c["key"]): c for c in changes}
    halfway, go_on, errors, connections, commits, lock = [], threading.Event(), [], {}, [], threading.Lock()
    with app.app_context():
        engine = db.engine

    def hold_until_pulled(connection):
        if connections.get(threading.get_ident()) is connection:  # a writer's session commits
            pulled = threading.Event()
            with lock:
                commits.append(pulled)
            pulled.wait(HANG)

    def write(writer):
        for i, sku in enumerate(plans[writer]):
            if i == each // 2:  # once, the puller pulls between the halves
                halfway.append(writer)
                assert go_on.wait(HANG)
            set_price(product(sku), 100_000 + writer * 1_000 + i)  # every price written is a new one
            connections[threading.get_ident()] = db.session.connection()
            db.session.commit()

    if on_postgresql(app):  # SQLite has one writer at a time, and a pull writes too: it would wait on the held one
        event.listen(engine, "commit", hold_until_pulled)
    threads, pulls = [], 0
    try:
        threads = [in_thread(app, errors, lambda writer=writer: write(writer)) for writer in range(writers)]
        while any(thread.is_alive() for thread in threads):
            all_halfway = len(halfway) == writers
            with lock:  # the newest first: were two held at once, the older would commit after a page
                waiting = commits.pop() if commits else None
            page = pull(device, cursor, limit=5)
            held.update({(c["entity"], c["key"]): c for c in page["changes"]})
            cursor, pulls = page["cursor"], pulls + 1
            if waiting is not None:
                waiting.set()
            if all_halfway:
                go_on.set()
    finally:
        go_on.set()
        for thread in threads:
            thread.join(HANG)
        if on_postgresql(app):
            event.remove(engine, "commit", hold_until_pulled)
    assert not errors, errors
    changes, cursor, _ = pull_all(device, cursor, limit=5)
    held.update({(c["entity"], c["key"]): c for c in changes})

    assert held == by_key(pull_all(device)[0])
    with app.app_context():
        here = location("K01")
        expected = {sku: price_of(product(sku), here) for sku in skus}
    assert {sku: held["price", sku]["data"]["price_vnd"] for sku in skus} == expected
    assert {sku: held["product", sku]["data"]["price_vnd"] for sku in skus} == expected
    assert all(expected[sku] >= 100_000 for sku in skus)  # the writers' prices are in force
    with app.app_context():
        assert decode_cursor(cursor, change_log.epoch(db.session)) == committed_clock(app) and pulls > 1
