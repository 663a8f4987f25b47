"""A kiosk tells central, on every push and pull, how many events it still holds and its last error; central
keeps them for its kiosk health page (issue 6)."""
import re
from html import unescape

import pytest

from central_sync.extensions import db
from central_sync.models import Device
from kiosk.extensions import db as kiosk_db
from kiosk.sync import state
from kiosk.sync.client import CentralError
from tests.central_sync.conftest import PASSWORD
from tests.kiosk.pagetools import Browser, text
from tests.sync.harness import in_process


class Network:
    """Cuts the push's answer (central committed it; the kiosk never hears back) or every request."""

    def __init__(self):
        self.lose_push_answer = self.down = False
        self.sent = []  # (path, X-Kiosk-Pending, X-Kiosk-Last-Error) of each request central received

    def __call__(self, method, path, phase):
        if phase == "request" and self.down:
            raise OSError("Network is unreachable")
        if phase == "response" and self.lose_push_answer and path.startswith("/api/v1/sync/push"):
            raise OSError("Connection reset by peer")


def watched(central, network):
    transport = in_process(central, fail=network)

    def send(method, url, headers, body, timeout):
        status, answer = transport(method, url, headers, body, timeout)
        network.sent.append((url.split("/api/v1/")[1].split("?")[0], headers.get("X-Kiosk-Pending"),
                             headers.get("X-Kiosk-Last-Error")))
        return status, answer

    return send


def reported(app, device_id):
    with app.app_context():
        device = db.session.get(Device, device_id)
        return device.reported_pending, device.reported_error


def sell(kiosk, count):
    assert kiosk.vendor.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
    for _ in range(count):
        response = kiosk.vendor.post("/sales", json={"lines": [{"sku": "CF-250", "qty": 1}],
                                                     "payments": [{"method": "cash", "amount_vnd": 80_000}]})
        assert response.status_code == 201, response.get_json()


def test_central_sees_the_pending_events_and_the_last_error_after_a_failed_then_a_good_sync(app, client, make_kiosk):
    network = Network()
    kiosk = make_kiosk("K01", transport=watched(app, network))
    assert network.sent and all(pending == "0" for _, pending, _ in network.sent)  # the enrolment's sync
    assert reported(app, kiosk.device_id) == (0, None)
    sell(kiosk, 2)

    network.lose_push_answer = True  # central applies the push, its answer is lost
    with pytest.raises(CentralError):
        kiosk.sync()
    error = kiosk.status()["last_error"]
    assert "cannot be reached" in error and kiosk.pending() == 2
    assert reported(app, kiosk.device_id) == (2, None)  # what the kiosk said with that push

    network.lose_push_answer, network.sent = False, []
    assert kiosk.sync()["pending_events"] == 0
    assert [(path, pending) for path, pending, _ in network.sent] == [("sync/push", "2"), ("sync/pull", "0")]
    assert reported(app, kiosk.device_id) == (0, error[:200])  # the error it had when it last spoke

    browser = Browser(client)
    browser.log_in("reviewer", PASSWORD)
    row = re.search(r'<tr id="kiosk-K01".*?</tr>', text(browser.get("/review/kiosks")), re.S).group(0)
    assert error[:60] in unescape(row)

    kiosk.sync()  # a good sync after a good sync: no error left to report
    assert reported(app, kiosk.device_id) == (0, None)


def test_a_long_vietnamese_error_reaches_central_cut_to_200_characters(app, make_kiosk):
    network = Network()
    kiosk = make_kiosk("K02", transport=watched(app, network))
    message = "Lỗi kết nối tới máy chủ trung tâm " * 20
    with kiosk.app.app_context():
        state.record_error(message)
        kiosk_db.session.commit()
    network.sent = []
    kiosk.sync()
    assert all(value.isascii() for _, _, value in network.sent)
    assert reported(app, kiosk.device_id) == (0, " ".join(message[:200].split()))
