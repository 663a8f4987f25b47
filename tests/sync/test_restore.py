"""A kiosk restored from an old backup (README "Backups and restore"), end to end on SQLite and PostgreSQL:
central refuses its reused seqs (409 seq_conflict) and changes nothing, the kiosk says what happened and
what to do, and `flask --app kiosk sync --after-restore` brings every sale of both timelines to central
exactly once, with fresh receipt numbers for those made since the restore. And a kiosk database moved to a
new device (`enroll --new-device`)."""
from __future__ import annotations

import random

from sqlalchemy import func, select

from central_sync.extensions import db as central_db
from central_sync.models import Alert, SyncEvent
from central_sync.models import Sale as CentralSale
from kiosk.extensions import db as kiosk_db
from kiosk.models import OutboxEvent
from kiosk.sync import recovery, runner
from tests.sync.faulttools import (SKUS, Recorder, central_events, kiosk_sale_ids, open_shift, outbox,
                                   sell, stock_up)
from tests.kiosk.pagetools import flashes
from tests.sync.harness import central_sales, central_stock, in_process
from tests.sync.test_sync_pages import browse, sync_now

STOCK = 40


def cli(kiosk, *args):
    return kiosk.app.test_cli_runner().invoke(args=list(args))


def central_numbers(central) -> dict[str, str]:
    """Sale id -> number, of every sale central holds."""
    with central.app_context():
        return dict(central_db.session.execute(select(CentralSale.id, CentralSale.number)).all())


def central_statuses(central) -> set[str]:
    with central.app_context():
        return set(central_db.session.scalars(select(SyncEvent.status)))


def expected_stock(sales: list[dict], refunded: dict[str, int] | None = None) -> dict[str, int]:
    stock = {sku: STOCK for sku in SKUS}
    for sale in sales:
        for line in sale["lines"]:
            stock[line["sku"]] -= line["qty"]
    for sku, qty in (refunded or {}).items():
        stock[sku] += qty
    return stock


def restore(kiosk, backup_file) -> None:
    """README: stop the kiosk, `flask --app kiosk restore FILE`, start it again."""
    with kiosk.app.app_context():
        kiosk_db.engine.dispose()
    result = cli(kiosk, "restore", str(backup_file), "--yes")
    assert result.exit_code == 0, result.output


def test_a_kiosk_restored_from_an_old_backup_is_refused_then_goes_on_after_centrals_last_seq(app, admin, make_kiosk,
                                                                                              tmp_path):
    recorder = Recorder(in_process(app))
    kiosk = make_kiosk("K01", transport=recorder)
    stock_up(app, admin, kiosk, STOCK)  # seq 1
    open_shift(kiosk)
    rng = random.Random(31)
    before = sell(kiosk, 3, rng)  # seqs 2..4
    assert kiosk.sync()["pushed"] == 3
    taken = cli(kiosk, "backup", "--output", str(tmp_path / "night.sqlite3"))
    assert taken.exit_code == 0, taken.output

    lost = sell(kiosk, 3, rng)  # seqs 5..7: at central, then gone with the kiosk's disk
    line = lost[0]["lines"][0]
    assert kiosk.manager.post(f"/sales/{lost[0]['id']}/refunds", json={
        "lines": [{"sku": line["sku"], "qty": 1}], "reason": "vỡ hộp"}).status_code == 201  # seq 8
    assert kiosk.sync()["pushed"] == 4
    restore(kiosk, tmp_path / "night.sqlite3")
    assert kiosk_sale_ids(kiosk) == {sale["id"] for sale in before}

    after = sell(kiosk, 2, rng)  # seqs 5, 6 again, and the lost sales' receipt numbers again
    assert [sale["number"] for sale in after] == [sale["number"] for sale in lost[:2]]
    events, stock, sales = central_events(app, kiosk.device_id), central_stock(app, "K01"), central_numbers(app)

    answer = kiosk.vendor.post("/sync")
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "central_refused"
    refusal = recorder.pushes()[-1][1]["error"]
    assert (refusal["code"], refusal["seq"], refusal["expected_seq"]) == ("seq_conflict", 5, 9)
    status = kiosk.vendor.get("/sync/status").get_json()
    assert "409 seq_conflict" in status["last_error"] and "sync --after-restore" in status["last_error"]
    assert status["pending_events"] == 2
    page = sync_now(browse(kiosk, "manager"))  # the sync page's button says what happened and what to run
    assert any("khôi phục từ một bản sao lưu cũ" in message and "sync --after-restore" in message
               for message in flashes(page))
    assert central_events(app, kiosk.device_id) == events and central_stock(app, "K01") == stock
    assert central_numbers(app) == sales  # nothing at central changed: no double, nothing lost

    here_before = kiosk.stock()  # the backup's figures and what was sold since: the lost hours' sales are missing
    recovered = cli(kiosk, "sync", "--after-restore")
    assert recovered.exit_code == 0, recovered.output
    assert "Central holds 4 events of this kiosk that this database lost" in recovered.output
    assert "2 waiting events renumbered" in recovered.output and "0 events waiting" in recovered.output
    new_numbers = {sale["id"]: kiosk.vendor.get(f"/sales/{sale['id']}").get_json()["number"] for sale in after}
    for sale in after:
        assert f"Sale {sale['number']} is now {new_numbers[sale['id']]}" in recovered.output

    everything = before + lost + after
    numbers = central_numbers(app)
    assert sorted(numbers) == sorted(sale["id"] for sale in everything)  # each sale once, none lost
    assert len(set(numbers.values())) == len(numbers)
    assert {numbers[sale["id"]] for sale in lost} == {sale["number"] for sale in lost}
    assert all(numbers[sale_id] == number for sale_id, number in new_numbers.items())
    assert central_statuses(app) == {"applied"}  # no sale refused as sale_exists
    with app.app_context():
        assert central_db.session.scalar(select(func.count()).select_from(Alert)
                                         .where(Alert.kind == "rejected_event")) == 0
    there = central_events(app, kiosk.device_id)
    assert [seq for seq, _ in there] == list(range(1, 11))
    here = [(seq, id_) for seq, id_, _, acked in outbox(kiosk) if acked]
    assert set(here) <= set(there) and [seq for seq, _ in here] == [1, 2, 3, 4, 9, 10]
    assert central_stock(app, "K01") == expected_stock(everything, {line["sku"]: 1})
    # The kiosk's stock is central's again: the lost hours' sales and refund counted here too, as local
    # `resync` movements (a stock count would have sent them to central a second time).
    assert kiosk.stock() == central_stock(app, "K01")
    changed = {sku for sku, qty in kiosk.stock().items() if here_before.get(sku, 0) != qty}
    assert changed == {line["sku"] for sale in lost for line in sale["lines"]}
    assert {line.split()[2] for line in recovered.output.splitlines() if line.startswith("Stock of ")} == changed
    with kiosk.app.app_context():
        assert kiosk_db.session.scalar(select(func.count()).select_from(OutboxEvent)
                                       .where(OutboxEvent.type == "stock_adjustment")) == 0
    assert kiosk.status()["last_error"] is None

    later = sell(kiosk, 1, rng)  # and the kiosk goes on from there
    assert later[0]["number"] > max(new_numbers.values())
    assert kiosk.sync()["pushed"] == 1
    assert set(central_sales(app, "K01")) == {sale["id"] for sale in everything + later}


def test_after_restore_with_nothing_to_recover_just_syncs(app, make_kiosk):
    kiosk = make_kiosk("K01")
    open_shift(kiosk)
    sold = sell(kiosk, 2, random.Random(32))
    result = cli(kiosk, "sync", "--after-restore")
    assert result.exit_code == 0, result.output
    assert "Nothing to recover" in result.output and "Pushed 2 events" in result.output
    assert central_sales(app) == sorted(sale["id"] for sale in sold)
    assert [sale["number"] for sale in sold] == sorted(central_numbers(app).values())


def test_a_kiosk_database_moved_to_a_new_device_numbers_its_waiting_events_from_1(app, admin, make_kiosk):
    kiosk = make_kiosk("K01")
    open_shift(kiosk)
    rng = random.Random(33)
    before = sell(kiosk, 2, rng)
    assert kiosk.sync()["pushed"] == 2
    assert admin.post(f"/devices/{kiosk.device_id}/revoke").status_code == 200
    after = sell(kiosk, 3, rng)  # seqs 3..5, waiting

    made = admin.post("/devices", json={"location": "K01"}).get_json()
    enrolled = cli(kiosk, "enroll", "http://central.test", made["token"], "--new-device")
    assert enrolled.exit_code == 0, enrolled.output
    assert "2 events acknowledged under the old device left the outbox" in enrolled.output
    assert "0 events waiting" in enrolled.output
    assert [seq for seq, _ in central_events(app, made["device_id"])] == [1, 2, 3]
    assert sorted(central_sales(app, "K01")) == sorted(sale["id"] for sale in before + after)
    assert central_statuses(app) == {"applied"}
    assert kiosk.sync()["pushed"] == 0
    sell(kiosk, 1, rng)
    assert kiosk.sync()["pushed"] == 1
    assert [seq for seq, _ in central_events(app, made["device_id"])] == [1, 2, 3, 4]


def test_a_sale_made_while_the_stock_is_compared_is_counted_once(app, admin, make_kiosk):
    """`resync_stock` asks central without holding the till's lock: a sale made meanwhile is pushed and the
    comparison made again, so the kiosk ends on central's figures with that sale counted once."""
    rng, during = random.Random(34), []

    def sell_once_after_centrals_answer(method, path, phase):
        if path == "/api/v1/sync/stock" and phase == "response" and not during:
            during.extend(sell(kiosk, 1, rng))

    kiosk = make_kiosk("K01", transport=in_process(app, fail=sell_once_after_centrals_answer))
    stock_up(app, admin, kiosk, STOCK)
    open_shift(kiosk)
    sold = sell(kiosk, 2, rng)
    assert kiosk.sync()["pushed"] == 2
    # Goods central took off at the kiosk's location: central's figures differ from the kiosk's.
    assert admin.post("/stock/adjustments", json={"location": "K01", "sku": SKUS[0], "delta": -3,
                                                  "reason": "damaged"}).status_code == 201
    with kiosk.app.app_context():
        changed = recovery.resync_stock(runner.central())
    assert len(during) == 1 and set(central_sales(app, "K01")) == {sale["id"] for sale in sold + during}
    assert kiosk.stock() == central_stock(app, "K01")
    adjusted = expected_stock(sold + during)
    adjusted[SKUS[0]] -= 3
    assert kiosk.stock() == adjusted and (SKUS[0], adjusted[SKUS[0]] + 3, adjusted[SKUS[0]]) in changed
