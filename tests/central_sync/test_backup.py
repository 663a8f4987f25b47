"""`flask --app central_sync backup` and `restore` on SQLite (online backup) and PostgreSQL (pg_dump -Fc,
pg_restore --clean): the data comes back as the backup had it, and the change log gets a new epoch."""
import os
import stat
from pathlib import Path

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import Location, StockBalance
from central_sync.protocol import backup
from central_sync.sync import changes


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def state(app) -> tuple:
    with app.app_context():
        locations = set(db.session.scalars(select(Location.code)))
        stock = db.session.scalar(select(func.sum(StockBalance.qty)))
        epoch = changes.epoch(db.session)
        db.session.commit()
        return locations, stock, epoch


def test_a_backup_restored_brings_the_data_back_with_a_new_epoch(app, admin, tmp_path):
    suffix = ".sqlite3" if backup.sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"]) else ".dump"
    target = tmp_path / "copies" / f"central{suffix}"
    made = run(app, "backup", "--output", str(target))
    assert made.exit_code == 0, made.output
    assert made.stdout.strip().splitlines()[-1] == str(target) and target.stat().st_size > 0
    at_backup = state(app)
    assert admin.post("/transfers", json={"from_location": "KHO", "to_location": "K01",
                                          "lines": [{"sku": "CF-500", "qty": 7}]}).status_code == 201
    with app.app_context():
        db.session.add(Location(code="K99", name="Điểm K99", kind="kiosk"))
        db.session.commit()
    assert state(app)[:2] != at_backup[:2]

    again = run(app, "backup", "--output", str(target))
    assert again.exit_code == 1 and "exists already" in again.output

    restored = run(app, "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    locations, stock, epoch = state(app)
    assert (locations, stock) == at_backup[:2]
    assert epoch != at_backup[2]  # every kiosk's cursor answers reset_required: they pull everything again
    kept = next((Path(app.instance_path) / "backups").glob(f"central-before-restore-*{suffix}"))
    assert kept.stat().st_size > 0  # the database it replaced


def fake_program(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_pg_dump_missing_or_failing_is_a_clear_error_without_the_password(tmp_path, monkeypatch):
    url = "postgresql+psycopg://central:s3cret-pw@db.example:5432/central"
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        backup.backup_database(url, tmp_path / "a.dump")
    except backup.BackupError as error:
        assert "pg_dump is not installed" in str(error)
    else:
        raise AssertionError("no error without pg_dump")

    # a pg_dump that says what it was given (arguments, password variable) and fails
    fake_program(tmp_path, "pg_dump", 'echo "args: $* password: $PGPASSWORD" >&2; exit 1\n')
    try:
        backup.backup_database(url, tmp_path / "a.dump")
    except backup.BackupError as error:
        message = str(error)
    else:
        raise AssertionError("no error from a failing pg_dump")
    assert message.startswith("pg_dump failed: args: --format=custom")
    assert "--dbname=postgresql://central@db.example:5432/central" in message  # libpq's URL: no +psycopg
    assert "s3cret-pw" not in message and "password: ***" in message
    assert not list(tmp_path.glob("*a.dump*"))


def test_the_password_goes_to_pg_dump_through_the_environment_only(tmp_path, monkeypatch):
    seen = tmp_path / "seen"
    fake_program(tmp_path, "pg_dump", f'echo "$*" > {seen}; echo "$PGPASSWORD" >> {seen}; '
                                      'for a in "$@"; do case $a in --file=*) echo dump > "${a#--file=}";; esac; done\n')
    fake_program(tmp_path, "pg_restore", "exit 0\n")
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ["PATH"])
    made = backup.backup_database("postgresql+psycopg://central:s3cret-pw@db.example/central", tmp_path / "b.dump")
    assert made.read_text() == "dump\n"
    arguments, password = seen.read_text().splitlines()
    assert "s3cret-pw" not in arguments and password == "s3cret-pw"
