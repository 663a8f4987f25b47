"""Printing through the real escpos.printer.Network to a fake printer on 127.0.0.1, and the queue around it."""
import socket
import threading
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.extensions import db
from kiosk.models import PrintJob
from kiosk.printing import document, services, worker
from kiosk.printing.encode import encode
from escpos.constants import CD_KICK_2

from tests.fake_printer import FakePrinter, raster_images, stack
from tests.kiosk.conftest import Api, login
from tests.kiosk.pagetools import Browser

CASH_SALE = {"lines": [{"sku": "MO-CP-500", "qty": 1}, {"sku": "TIEU-CS-DEN", "qty": 3}],
             "payments": [{"method": "cash", "amount_vnd": 500_000}]}
TRANSFER_SALE = {"lines": [{"sku": "CF-BM-CHON", "qty": 1}], "payments": [{"method": "transfer", "amount_vnd": 390_000}]}


@pytest.fixture
def printer():
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def till(app, client, demo_data, printer):
    """A vendor's API client with an open shift, on a kiosk whose printer is the fake one."""
    app.config.update(PRINTER_URL=printer.url, PRINTER_TIMEOUT=2.0)
    api = Api(client, login(client, *demo_data["vendor"]))
    assert api.post("/shifts", {"opening_cash_vnd": 100_000}).status_code == 201
    return api


def expected_image(app, sale_id, reprint=False):
    with app.app_context():
        receipt = services.receipt_for(PrintJob(kind="sale", sale_id=sale_id, reprint=reprint))
        return services.layout().render(receipt), encode(receipt, services.layout())


def test_a_cash_sale_prints_its_receipt_and_opens_the_drawer(app, till, printer):
    sale = till.post("/sales", CASH_SALE).get_json()
    assert sale["print_status"] == "queued"
    assert worker.process_due(app) == 1
    [job] = printer.wait_for_jobs(1)
    data = bytes(job.data)
    assert data.startswith(b"\x10\x04\x04")  # the paper sensor was asked first
    body = data[3:]
    assert body.startswith(b"\x1b@")  # initialise
    assert b"\x1dV" in body[-12:]  # cut
    assert body[:-3].endswith(CD_KICK_2)  # drawer kick, pin 2, after the cut
    assert body.endswith(b"\x10\x04\x01")  # and the status query that confirms the printer took it all
    image, expected_bytes = expected_image(app, sale["id"])
    assert body[:-3] == expected_bytes
    printed = stack(raster_images(body))
    assert printed.size == image.size and printed.width == 576
    assert printed.tobytes() == image.tobytes()  # the dots on paper are the receipt that was meant
    assert till.get(f"/sales/{sale['id']}").get_json()["print_status"] == "printed"


def test_a_transfer_receipt_carries_the_vietqr_that_decodes_back(app, till, printer):
    sale = till.post("/sales", TRANSFER_SALE).get_json()
    worker.process_due(app)
    [job] = printer.wait_for_jobs(1)
    printed = stack(raster_images(bytes(job.data))).convert("L")
    decoded = [r.text for r in zxingcpp.read_barcodes(printed) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert decoded == [sale["vietqr"]]
    assert b"\x1bp" not in bytes(job.data)  # no cash, no drawer


def test_a_dead_printer_never_holds_up_a_sale_and_prints_when_back(app, client, demo_data):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(PRINTER_URL=f"network://127.0.0.1:{port}", PRINTER_TIMEOUT=1.0)
    api = Api(client, login(client, *demo_data["vendor"]))
    api.post("/shifts", {"opening_cash_vnd": 0})
    response = api.post("/sales", CASH_SALE)
    assert response.status_code == 201 and response.get_json()["print_status"] == "queued"
    worker.process_due(app)
    sale = api.get(f"/sales/{response.get_json()['id']}").get_json()
    assert sale["print_status"] == "failed"
    with app.app_context():
        job = db.session.scalars(db.select(PrintJob)).one()
        assert "refused" in job.last_error.lower() or "could not open" in job.last_error.lower()
        assert job.attempts == 1
        services.retry(job.id)  # what the queue page's button does; otherwise backoff brings it round
        db.session.commit()
    fake = FakePrinter(port=port)
    with fake:
        worker.process_due(app)
        assert len(fake.wait_for_jobs(1)) == 1
    assert api.get(f"/sales/{sale['id']}").get_json()["print_status"] == "printed"


def test_a_printer_that_accepts_and_hangs_does_not_hang_the_worker(app, till, printer):
    printer.stall = True  # answers the paper query, then reads nothing more
    app.config["PRINTER_TIMEOUT"] = 1.0
    sale = till.post("/sales", TRANSFER_SALE).get_json()
    done = threading.Thread(target=worker.process_due, args=(app,), daemon=True)
    done.start()
    done.join(60)
    assert not done.is_alive()
    with app.app_context():
        job = db.session.scalars(db.select(PrintJob)).one()
    assert job.status == "failed" and "stopped answering" in job.last_error
    assert till.get(f"/sales/{sale['id']}").get_json()["print_status"] == "failed"


def test_out_of_paper_is_retried_until_refilled(app, till, printer):
    printer.paper_out = True
    sale = till.post("/sales", CASH_SALE).get_json()
    worker.process_due(app)
    with app.app_context():
        job = db.session.scalars(db.select(PrintJob)).one()
        assert job.status == "failed" and job.last_error == "out of paper"
        services.retry(job.id)
        db.session.commit()
    printer.paper_out = False
    worker.process_due(app)
    assert len(printer.wait_for_jobs(1)) == 1
    assert till.get(f"/sales/{sale['id']}").get_json()["print_status"] == "printed"


def test_reprint_says_so_and_does_not_open_the_drawer(app, till, printer):
    sale = till.post("/sales", CASH_SALE).get_json()
    worker.process_due(app)
    response = till.post(f"/sales/{sale['id']}/reprint")
    assert response.status_code == 202
    worker.process_due(app)
    jobs = printer.wait_for_jobs(2)
    assert len(jobs) == 2
    reprinted = bytes(jobs[1].data)
    assert b"\x1bp" not in reprinted
    _, expected = expected_image(app, sale["id"], reprint=True)
    assert reprinted[3:-3] == expected
    with app.app_context():
        text = document.to_text(services.receipt_for(PrintJob(kind="sale", sale_id=sale["id"], reprint=True)), 48)
    assert "IN LẠI" in text


def test_closing_a_shift_prints_the_z_report(app, till, printer):
    till.post("/sales", CASH_SALE)
    worker.process_due(app)
    report = till.post("/shifts/current/close", {"counted_cash_vnd": 100_000 + 444_000}).get_json()
    worker.process_due(app)
    jobs = printer.wait_for_jobs(2)
    assert len(jobs) == 2 and b"\x1dv0" in jobs[1].data
    with app.app_context():
        job = db.session.scalars(db.select(PrintJob).where(PrintJob.kind == "z_report")).one()
        text = document.to_text(services.receipt_for(job), 48)
    assert "BÁO CÁO CHỐT CA" in text and "444.000 ₫" in text
    assert report["variance_vnd"] == 0


def test_the_worker_thread_prints_soon_after_the_sale(app, till, printer):
    background = worker.start(app)
    try:
        till.post("/sales", CASH_SALE)
        assert len(printer.wait_for_jobs(1, timeout=30)) == 1
    finally:
        background.stop()


def test_no_printer_means_disabled(vendor, open_shift):
    sale = vendor.post("/sales", CASH_SALE).get_json()
    assert sale["print_status"] == "disabled"
    response = vendor.post(f"/sales/{sale['id']}/reprint")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "printer_disabled"


def test_the_print_queue_page_retries_and_cancels(app, till, printer, client):
    printer.paper_out = True
    till.post("/sales", CASH_SALE)
    worker.process_due(app)
    with app.app_context():
        job_id = db.session.scalars(db.select(PrintJob.id)).one()
    browser = Browser(app.test_client())
    browser.log_in("vendor", "banhang-demo")
    queue = browser.get("/print-jobs")
    assert queue.status_code == 200 and "out of paper" in queue.get_data(as_text=True)
    browser.submit("/print-jobs", {}, action=f"/print-jobs/{job_id}/cancel")
    with app.app_context():
        assert db.session.get(PrintJob, job_id).status == "cancelled"
    browser.submit("/print-jobs", {}, action=f"/print-jobs/{job_id}/retry")
    printer.paper_out = False
    worker.process_due(app)
    assert len(printer.wait_for_jobs(1)) == 1


def test_the_sale_page_shows_the_receipt_and_prints_it_again(app, till, printer):
    sale = till.post("/sales", CASH_SALE).get_json()
    worker.process_due(app)
    browser = Browser(app.test_client())
    browser.log_in("vendor", "banhang-demo")
    page = browser.get(f"/sales/{sale['id']}").get_data(as_text=True)
    assert "Đã in" in page and f"/api/v1/sales/{sale['id']}/receipt?format=png" in page
    answer = browser.submit(f"/sales/{sale['id']}", {}, action=f"/sales/{sale['id']}/reprint", follow_redirects=True)
    assert "Hóa đơn đang được in lại." in answer.get_data(as_text=True)
    with app.app_context():
        jobs = db.session.scalars(db.select(PrintJob).order_by(PrintJob.created_at)).all()
    assert [job.reprint for job in jobs] == [False, True]
    worker.process_due(app)
    assert len(printer.wait_for_jobs(2)) == 2


def test_a_device_file_printer_gets_the_same_bytes(app, client, demo_data, tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    app.config.update(PRINTER_URL=f"file://{device}")
    api = Api(client, login(client, *demo_data["vendor"]))
    api.post("/shifts", {"opening_cash_vnd": 0})
    sale = api.post("/sales", CASH_SALE).get_json()
    worker.process_due(app)
    _, expected = expected_image(app, sale["id"])
    assert device.read_bytes() == expected  # no status queries on a device file
    assert api.get(f"/sales/{sale['id']}").get_json()["print_status"] == "printed"


def test_the_preview_printer_writes_the_picture_and_the_bytes(app, client, demo_data):
    app.config.update(PRINTER_URL="preview")
    api = Api(client, login(client, *demo_data["vendor"]))
    api.post("/shifts", {"opening_cash_vnd": 0})
    sale = api.post("/sales", TRANSFER_SALE).get_json()
    worker.process_due(app)
    with app.app_context():
        job_id = db.session.scalars(db.select(PrintJob.id)).one()
    folder = Path(app.instance_path) / "receipts"
    picture = Image.open(folder / f"{job_id}.png")
    image, expected = expected_image(app, sale["id"])
    assert (folder / f"{job_id}.bin").read_bytes() == expected
    assert picture.size == image.size
