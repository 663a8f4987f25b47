"""Kiosk health and alerts in Chromium at laptop (1440x900) and tablet (1280x800) sizes, on central's demo
data (`seed-demo`, then: KPA-01 pushes sales and an event central rejects, saying it holds 3 more; EKA-01's
push is refused with a gap; KPA-01 oversells at an outdated price; KPA-02 last synced two days ago; a transfer
to KPA-01 received short): the figures against the database, the silent kiosks highlighted, the alerts filtered
and a detail opened."""
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from central_sync import demo
from central_sync.extensions import db
from central_sync.models import SELLING_KINDS, Device, Location, utcnow
from central_sync.reports.alerts import alerts
from central_sync.review import health
from central_sync.stock.services import receive_transfer
from tests.e2e.central import SIZES, reviewer_tab, served_central, shot
from tests.kiosk.apitools import Api

pytestmark = pytest.mark.e2e

AT = "2026-11-29T09:00:00+07:00"


def sale_event(seq: int, sku: str, price: int, qty: int = 1) -> dict:
    sale_id = str(uuid.uuid4())
    payload = {"id": sale_id, "number": f"KPA-01-{seq:06d}", "created_at": AT, "total_vnd": qty * price,
               "lines": [{"sku": sku, "qty": qty, "unit_price_vnd": price, "discount_vnd": 0}],
               "payments": [{"method": "cash", "amount_vnd": qty * price}]}
    return {"seq": seq, "id": str(uuid.uuid4()), "type": "sale", "occurred_at": AT, "payload": payload}


def seed(app) -> dict:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tokens = {}
        for code in ("KPA-01", "EKA-01", "KPA-02"):
            device, token, shipped = demo.demo_kiosk(code)
            tokens[code] = token
            if code == "KPA-01":
                receive_transfer(shipped.id, {sku: 1 for sku in demo.KIOSK_SHIPMENT})  # short: discrepancies
        db.session.commit()
    client = app.test_client()
    kpa = Api(client, tokens["KPA-01"])
    events = [sale_event(1, demo.KIOSK_SHIPMENT[0], 1_000, qty=3), sale_event(2, "NO-SUCH-SKU", 5_000)]
    answer = kpa.post("/sync/push", json={"protocol": 1, "events": events},
                      headers={"X-Kiosk-Pending": "3", "X-Kiosk-Last-Error": "m%E1%BA%A5t%20m%E1%BA%A1ng"})
    assert answer.status_code == 200 and answer.get_json()["results"][1]["status"] == "rejected"
    refused = Api(client, tokens["EKA-01"]).post("/sync/push", json={"protocol": 1, "events": [sale_event(9, "X", 1)]},
                                                  headers={"X-Kiosk-Pending": "12"})
    assert refused.status_code == 409
    assert Api(client, tokens["KPA-02"]).get("/sync/pull").status_code == 200
    with app.app_context():
        kpa02 = db.session.scalar(select(Location.id).where(Location.code == "KPA-02"))
        db.session.execute(update(Device).where(Device.location_id == kpa02, Device.revoked_at.is_(None))
                           .values(last_sync_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    return {"rejected": events[1]["id"]}


@pytest.fixture(scope="module")
def central(tmp_path_factory, sqlite_template):
    """(base URL, app, what seed gave) of central on the demo data."""
    with served_central(tmp_path_factory.mktemp("central-health"), sqlite_template, seed) as served:
        yield served


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(request, browser, central):
    with reviewer_tab(browser, central[0], request.param) as tab:
        yield tab


def test_the_kiosk_health_page_on_the_demo_data(page, central):
    _url, app, seeded = central
    with app.app_context():
        rows = health.kiosks()
        selling = db.session.scalar(select(db.func.count()).select_from(Location)
                                    .where(Location.kind.in_(SELLING_KINDS)))
    assert len(rows) == selling >= 22
    page.locator(".nav a[href='/review/kiosks']").click()
    expect(page).to_have_url(re.compile(r"/review/kiosks$"))
    expect(page.locator("table[data-table=health] tbody tr[data-location]")).to_have_count(selling)
    expect(page.locator("tr[data-silent]")).to_have_count(sum(row.silent for row in rows))
    for row in rows:
        line = page.locator(f"tr[data-location='{row.location.code}']")
        if row.device is None:
            continue
        expect(line.locator("[data-field=last_seq]")).to_have_text(str(row.device.last_seq))
        expect(line.locator("[data-field=rejected]")).to_have_text(str(row.rejected_count))
        if row.device.reported_pending is not None:
            expect(line.locator("[data-field=pending]")).to_contain_text(str(row.device.reported_pending))
    kpa = page.locator("tr[data-location='KPA-01']")
    expect(kpa.locator("[data-field=pending]")).to_contain_text("3")
    expect(kpa.locator("[data-field=error]")).to_contain_text("mất mạng")
    expect(kpa.locator("[data-field=error]")).to_contain_text("unknown_product")
    expect(page.locator("tr[data-location='EKA-01'] [data-field=error]")).to_contain_text("seq_gap")
    expect(page.locator("tr[data-location='KPA-02']")).to_have_class(re.compile(r"\brow-expired\b"))
    expect(page.locator("tr[data-location='KPA-01']")).not_to_have_class(re.compile(r"\brow-expired\b"))
    shot(page, "central-kiosk-health")
    kpa.locator("[data-field=error] a").click()
    expect(page).to_have_url(re.compile(rf"/review/alerts/events/{seeded['rejected']}$"))
    expect(page.locator("[data-field=payload]")).to_contain_text("NO-SUCH-SKU")
    expect(page.locator("[data-field=code]")).to_have_text("unknown_product")
    shot(page, "central-rejected-event")


def test_the_alerts_page_on_the_demo_data(page, central):
    _url, app, seeded = central
    with app.app_context():
        found = alerts(app.config["CERTIFICATE_WARNING_DAYS"], app.config["LOW_STOCK_THRESHOLD"])
    kinds = {alert["kind"] for alert in found}
    assert {"oversell", "outdated_price", "rejected_event", "transfer_discrepancy", "low_stock",
            "kiosk_silent"} <= kinds
    page.locator(".nav a[href='/review/alerts']").click()
    expect(page).to_have_url(re.compile(r"/review/alerts$"))
    expect(page.locator("table[data-table=alerts] tbody tr[data-kind]")).to_have_count(len(found))
    for kind in kinds:
        expect(page.locator(f"tr[data-kind={kind}]")).to_have_count(sum(a["kind"] == kind for a in found))
    shot(page, "central-alerts")
    page.select_option("select[name=kind]", "kiosk_silent")
    page.click("form.filters button[type=submit]")
    silent = [a for a in found if a["kind"] == "kiosk_silent"]
    expect(page.locator("table[data-table=alerts] tbody tr[data-kind]")).to_have_count(len(silent))
    expect(page.locator("[data-export=csv]")).to_have_attribute("href", re.compile(r"kind=kiosk_silent"))
    shot(page, "central-alerts-silent")
    page.locator("tr[data-kind=kiosk_silent]").filter(has_text="KPA-02").locator("a[data-detail]").click()
    expect(page).to_have_url(re.compile(r"/review/kiosks#kiosk-KPA-02$"))
    expect(page.locator("#kiosk-KPA-02")).to_be_visible()
