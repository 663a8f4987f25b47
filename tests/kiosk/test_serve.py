"""The kiosk as it runs on a stall: `flask --app kiosk serve` (waitress and the print worker) in its own
process, a sale over HTTP, and the receipt at a fake network printer."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.fake_printer import FakePrinter, raster_images

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(url, body=None, token=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_serve_sells_over_http_and_prints_in_the_background(tmp_path):
    port = free_port()
    with FakePrinter() as printer:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/kiosk.sqlite3", "PRINTER_URL": printer.url,
               "APP_ENV": "production", "SECRET_KEY": "s" * 64, "SESSION_COOKIE_SECURE": "false"}
        flask = [sys.executable, "-m", "flask", "--app", "kiosk"]
        refused = subprocess.run([*flask, "seed-demo"], env=env, cwd=ROOT, capture_output=True, text=True)
        assert refused.returncode == 1 and "production" in refused.stderr  # no published password in production
        subprocess.run([*flask, "seed-demo"], env={**env, "APP_ENV": "development"}, cwd=ROOT, check=True,
                       capture_output=True)
        server = subprocess.Popen([*flask, "serve", "--port", str(port)], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    assert call(f"{base}/healthz") == (200, {"status": "ok"})
                    break
                except OSError:
                    time.sleep(0.1)
            _, login = call(f"{base}/api/v1/login", {"username": "vendor", "password": "banhang-demo"})
            call(f"{base}/api/v1/shifts", {"opening_cash_vnd": 0}, login["token"])
            status, sale = call(f"{base}/api/v1/sales", {"lines": [{"sku": "CF-CB-500", "qty": 1}],
                                                        "payments": [{"method": "cash", "amount_vnd": 150_000}]},
                                login["token"])
            assert status == 201 and sale["print_status"] == "queued"
            [job] = printer.wait_for_jobs(1, timeout=30)
            assert raster_images(bytes(job.data))[0].width == 576
            for _ in range(100):
                if call(f"{base}/api/v1/sales/{sale['id']}", token=login["token"])[1]["print_status"] == "printed":
                    break
                time.sleep(0.1)
            else:
                raise AssertionError("the sale never showed as printed")
        finally:
            server.terminate()
            server.wait(10)
