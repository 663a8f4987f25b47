"""The kiosk's request lines: in its own process, JSON on stderr at LOG_LEVEL; in a test, through caplog."""
import json
import logging
import subprocess
import sys

import pytest

from config import BASE_DIR, ConfigError
from tests.conftest import kiosk_app
from tests.sync.test_logs import request_lines

SERVE_ONE = ("from kiosk import create_app; app = create_app(); client = app.test_client(); "
             "assert client.get('/healthz?token=abc').status_code == 200; "
             "assert client.get('/no-such-page').status_code == 404")


def run_app(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PATH": "/usr/bin:/bin",
                   "DATABASE_URL": f"sqlite:///{tmp_path}/kiosk.sqlite3", **env}
    return subprocess.run([sys.executable, "-c", SERVE_ONE], env=environment, capture_output=True, text=True,
                          timeout=60, cwd=BASE_DIR)


def test_the_kiosk_writes_a_json_line_per_request_on_stderr(tmp_path):
    done = run_app(tmp_path)
    assert done.returncode == 0, done.stderr
    found = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["logger"], line["method"], line["path"], line["status"]) for line in found] == [
        ("kiosk.request", "GET", "/healthz", 200), ("kiosk.request", "GET", "/no-such-page", 404)]
    assert all(line["level"] == "INFO" and line["duration_ms"] >= 0 and line["ts"].endswith("+00:00")
               for line in found)
    assert done.stdout == "" and "token" not in done.stderr  # the query string is not logged


def test_log_level_warning_leaves_out_the_request_lines(tmp_path):
    done = run_app(tmp_path, LOG_LEVEL="warning")
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_an_unknown_log_level_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        kiosk_app(tmp_path, LOG_LEVEL="LOUD")
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        kiosk_app(tmp_path, METRICS_TOKEN="short")


def test_a_page_request_names_its_user(manager_browser, caplog):
    caplog.set_level(logging.INFO)
    assert manager_browser.get("/stock").status_code == 200
    (line,) = request_lines(caplog, "kiosk")
    assert (line["method"], line["path"], line["status"], line["user"], line["role"]) == (
        "GET", "/stock", 200, "manager", "manager")
