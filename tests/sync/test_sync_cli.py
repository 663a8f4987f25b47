"""`flask --app kiosk enroll CENTRAL_URL TOKEN` and `flask --app kiosk sync [--watch]`, against central served
over HTTP on loopback."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kiosk.cli import enroll, sync
from kiosk.extensions import db
from kiosk.sync import state
from kiosk.sync.outbox import record_event
from tests.conftest import kiosk_app
from tests.sync.harness import central_event_count, serving

ROOT = Path(__file__).resolve().parents[2]


def new_kiosk(folder, migrated_kiosk_db, **config):
    folder.mkdir(exist_ok=True)
    shutil.copy(migrated_kiosk_db, folder / "kiosk.sqlite3")
    return kiosk_app(folder, **config)


def device_token(admin, location="K01") -> str:
    made = admin.post("/devices", json={"location": location})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["token"]


def backlog(kiosk, count: int) -> None:
    with kiosk.app_context():
        for n in range(count):
            record_event("stock_adjustment", {"id": f"adj-{n}", "sku": "CF-250", "delta": -1, "reason": "damaged"})
        db.session.commit()


def test_enrol_pulls_and_says_where_the_kiosk_is(app, admin, tmp_path, migrated_kiosk_db):
    kiosk = new_kiosk(tmp_path / "k", migrated_kiosk_db)
    with serving(app) as url:
        result = kiosk.test_cli_runner().invoke(enroll, [url, device_token(admin)])
    assert result.exit_code == 0, result.output
    assert "This kiosk is K01 (Điểm K01)." in result.output and "pulled" in result.output
    with kiosk.app_context():
        assert state.status()["enrolled"] and state.get(state.CURSOR)


def test_enrol_with_a_wrong_token_or_no_central_fails_clearly(app, admin, tmp_path, migrated_kiosk_db):
    kiosk = new_kiosk(tmp_path / "k", migrated_kiosk_db)
    runner = kiosk.test_cli_runner()
    with serving(app) as url:
        refused = runner.invoke(enroll, [url, "not-a-token"])
    assert refused.exit_code == 1 and "401" in refused.output and "nothing is lost" in refused.output
    down = runner.invoke(enroll, ["http://127.0.0.1:9", "whatever"])
    assert down.exit_code == 1 and "cannot be reached" in down.output
    assert runner.invoke(enroll, ["ftp://central", "t"]).exit_code == 2


def test_sync_pushes_a_large_backlog_with_a_progress_bar(app, admin, tmp_path, migrated_kiosk_db):
    with serving(app) as url:
        kiosk = new_kiosk(tmp_path / "k", migrated_kiosk_db, CENTRAL_URL=url)
        assert kiosk.test_cli_runner().invoke(enroll, [url, device_token(admin)]).exit_code == 0
        backlog(kiosk, 1_200)
        result = kiosk.test_cli_runner().invoke(sync, [])
    assert result.exit_code == 0, result.output
    assert "Pushed 500/1200 events\nPushed 1000/1200 events\nPushed 1200/1200 events" in result.output  # no tty
    assert "Pushed 1200 events" in result.output and "0 events waiting" in result.output
    assert central_event_count(app) == 1_200


def test_sync_watch_keeps_syncing_as_its_own_process(app, admin, tmp_path, migrated_kiosk_db):
    kiosk = new_kiosk(tmp_path / "k", migrated_kiosk_db)
    with serving(app) as url:
        assert kiosk.test_cli_runner().invoke(enroll, [url, device_token(admin)]).exit_code == 0
        backlog(kiosk, 30)
        with kiosk.app_context():
            db.engine.dispose()
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/k/kiosk.sqlite3", "APP_ENV": "development",
               "SYNC_INTERVAL": "0.2", "CENTRAL_URL": url}
        watcher = subprocess.Popen([sys.executable, "-m", "flask", "--app", "kiosk", "sync", "--watch"], env=env,
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            lines = []
            deadline = time.monotonic() + 60
            while sum("Pushed" in line for line in lines) < 3 and time.monotonic() < deadline:
                lines.append(watcher.stdout.readline())
        finally:
            watcher.terminate()
            watcher.wait(10)
    pushed = [line for line in lines if line.startswith("Pushed") and "/" not in line]
    assert pushed[0].startswith("Pushed 30 events") and pushed[1].startswith("Pushed 0 events"), lines
    assert central_event_count(app) == 30
