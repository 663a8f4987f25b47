"""`flask --app kiosk backup` and `restore` (README "Backups and restore"): a copy made while sales go on is
whole, and a restore puts the sales and stock back as the backup had them."""
import sqlite3
import threading
from pathlib import Path

import pytest

from central_sync.protocol import backup
from kiosk.extensions import db
from tests.kiosk.apitools import Api, balances, sale_body, sell


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def sold_in(path: Path) -> dict:
    """What a kiosk database file holds, read with plain sqlite3: its integrity check, every sale id with its
    line count, the sale ids its outbox has events for, the sale ids with stock movements, the outbox's seqs."""
    with sqlite3.connect(path) as copy:
        return {
            "integrity": copy.execute("PRAGMA integrity_check").fetchall(),
            "sales": dict(copy.execute("SELECT s.id, count(l.id) FROM sales s LEFT JOIN sale_lines l "
                                       "ON l.sale_id = s.id GROUP BY s.id")),
            "events": [row[0] for row in copy.execute(
                "SELECT json_extract(payload, '$.id') FROM outbox_events WHERE type = 'sale'")],
            "moved": {row[0] for row in copy.execute("SELECT DISTINCT ref FROM stock_movements WHERE reason = 'sale'")},
            "seqs": [row[0] for row in copy.execute("SELECT seq FROM outbox_events ORDER BY seq")],
        }


def test_a_backup_made_while_sales_go_on_is_whole(app, vendor, open_shift, tmp_path):
    """A till keeps selling (its own thread and connection) while three backups are taken: each copy passes its
    integrity check, and every sale in it has its lines, its stock movements and its outbox event."""
    stop, made, progress = threading.Event(), [], threading.Condition()
    till = Api(app.test_client(), vendor.token)

    def keep_selling():
        while not stop.is_set():
            made.append(sell(till, sale_body(("CF-CB-500", 1), ("MO-CP-250", 2)))["id"])
            with progress:
                progress.notify_all()

    seller = threading.Thread(target=keep_selling)
    seller.start()
    copies = []
    try:
        for i in range(3):
            with progress:  # a few more sales since the last copy, so each copy falls among the writes
                wanted = len(made) + 3
                assert progress.wait_for(lambda: len(made) >= wanted or not seller.is_alive(), timeout=60)
            result = run(app, "backup", "--output", str(tmp_path / f"copy-{i}.sqlite3"))
            assert result.exit_code == 0, result.output
            copies.append(Path(result.stdout.strip().splitlines()[-1]))
    finally:
        stop.set()
        seller.join(60)
    assert not seller.is_alive() and len(made) > 9
    for copy in copies:
        held = sold_in(copy)
        assert held["integrity"] == [("ok",)]
        assert held["sales"] and all(lines == 2 for lines in held["sales"].values())
        assert sorted(held["events"]) == sorted(held["sales"]) and held["moved"] == set(held["sales"])
        assert held["seqs"] == list(range(1, len(held["seqs"]) + 1))
        assert set(held["sales"]) <= set(made)
    assert len(sold_in(copies[0])["sales"]) < len(sold_in(copies[-1])["sales"])  # taken while the till sold


def test_a_backup_goes_to_the_instance_folder_and_never_over_a_file(app, demo_data, tmp_path):
    first = run(app, "backup")
    assert first.exit_code == 0, first.output
    made = Path(first.stdout.strip().splitlines()[-1])
    assert made.parent == Path(app.instance_path) / "backups" and made.name.startswith("kiosk-")
    assert made.suffix == ".sqlite3" and sold_in(made)["integrity"] == [("ok",)]

    taken = tmp_path / "taken.sqlite3"
    taken.write_bytes(b"something else")
    again = run(app, "backup", "--output", str(taken))
    assert again.exit_code == 1 and "exists already" in again.output
    assert taken.read_bytes() == b"something else"


def test_a_copy_that_fails_its_integrity_check_is_refused(app, demo_data, tmp_path):
    """A damaged database (an index page overwritten) gives a copy that fails `PRAGMA integrity_check`: the
    command says so, exits 1, and leaves no file under the name asked for."""
    with app.app_context():
        db.engine.dispose()
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE type = 'index' "
                                  "AND tbl_name = 'products' ORDER BY rootpage DESC").fetchone()[0]
    with open(database, "r+b") as file:  # the index's page: garbage after its header
        file.seek((root - 1) * page_size + 16)
        file.write(b"\xff" * (page_size - 16))
    target = tmp_path / "copy.sqlite3"
    result = run(app, "backup", "--output", str(target))
    assert result.exit_code == 1, result.output
    assert "No backup was written" in result.output and "malformed" in result.output
    assert not target.exists() and not list(tmp_path.glob(".copy.sqlite3*"))


def test_a_restore_puts_the_sales_and_stock_of_the_backup_back(app, vendor, open_shift, tmp_path):
    """README: stop the kiosk, `flask --app kiosk restore FILE`, start it again."""
    kept = [sell(vendor, sale_body(("CF-CB-500", 2))) for _ in range(2)]
    result = run(app, "backup", "--output", str(tmp_path / "night.sqlite3"))
    assert result.exit_code == 0, result.output
    stock_at_backup = balances(app)
    later = sell(vendor, sale_body(("MO-CP-250", 3)))
    assert balances(app) != stock_at_backup

    with app.app_context():  # the kiosk stops: no connection of it stays open
        db.engine.dispose()
    result = run(app, "restore", str(tmp_path / "night.sqlite3"), "--yes")
    assert result.exit_code == 0, result.output
    assert "sync --after-restore" in result.output

    assert balances(app) == stock_at_backup  # the kiosk starts again on the restored file
    for sale in kept:
        assert vendor.get(f"/sales/{sale['id']}").status_code == 200
    assert vendor.get(f"/sales/{later['id']}").status_code == 404
    assert sell(vendor, sale_body(("CF-CB-500", 1)))["number"] == later["number"]  # its counter is the backup's
    replaced = next((Path(app.instance_path) / "backups").glob("kiosk-before-restore-*.sqlite3"))
    assert later["id"] in sold_in(replaced)["sales"]  # the database it replaced is kept


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_a_file_that_is_not_a_backup_is_not_restored(app, demo_data, tmp_path, content):
    stock = balances(app)
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(content)
    with app.app_context():
        db.engine.dispose()
    result = run(app, "restore", str(bad), "--yes")
    assert result.exit_code == 1 and "Restored" not in result.output, result.output
    assert balances(app) == stock


def test_a_restore_asks_whether_the_kiosk_is_stopped(app, demo_data, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    assert run(app, "backup", "--output", str(copy)).exit_code == 0
    answered_no = app.test_cli_runner().invoke(args=["restore", str(copy)], input="n\n")
    assert answered_no.exit_code == 1 and "Is the kiosk app stopped?" in answered_no.output
    assert "Restored" not in answered_no.output


def test_the_sqlite_url_names_its_file():
    assert backup.sqlite_file("sqlite:////srv/kiosk/instance/kiosk.sqlite3") == Path("/srv/kiosk/instance/kiosk.sqlite3")
    assert backup.sqlite_file("postgresql+psycopg://u:p@db/central") is None
    with pytest.raises(backup.BackupError):
        backup.sqlite_file("sqlite://")
