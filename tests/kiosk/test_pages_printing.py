"""The print queue page and the sale page say in Vietnamese why a print cannot be done, and change nothing."""
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import PrintJob
from kiosk.printing import worker
from tests.fake_printer import FakePrinter
from tests.kiosk.pagetools import flashes

SALE = ([{"sku": "MO-CP-500", "qty": 1}], [{"method": "cash", "amount_vnd": 500_000}])


def test_a_printed_job_is_neither_sent_again_nor_cancelled_from_the_queue(app, vendor_browser):
    with FakePrinter() as printer:
        app.config.update(PRINTER_URL=printer.url, PRINTER_TIMEOUT=2.0)
        vendor_browser.open_shift()
        vendor_browser.sell(*SALE)
        worker.process_due(app)
        assert len(printer.wait_for_jobs(1)) == 1
        with app.app_context():
            job_id = db.session.scalars(select(PrintJob.id)).one()
        for action in ("retry", "cancel"):  # from a page shown before it printed: it offers neither now
            answer = vendor_browser.client.post(f"/print-jobs/{job_id}/{action}", follow_redirects=True,
                                                data={"csrf_token": vendor_browser.csrf_token()})
            assert flashes(answer) == ["Hóa đơn này đã in rồi; muốn in thêm, bấm In lại trên đơn bán."]
        with app.app_context():
            assert db.session.get(PrintJob, job_id).status == "printed"


def test_printing_again_with_no_printer_is_explained(app, vendor_browser):
    vendor_browser.open_shift()
    sale = vendor_browser.sell(*SALE)
    answer = vendor_browser.client.post(f"/sales/{sale['id']}/reprint", follow_redirects=True,  # not offered
                                        data={"csrf_token": vendor_browser.csrf_token()})
    assert flashes(answer) == ["Máy bán hàng này chưa cài máy in nên không in được."]
    with app.app_context():
        assert db.session.scalars(select(PrintJob)).all() == []
