"""Kiosk health and alerts (issue 6): what a kiosk reports of itself on each sync (hostile values refused or
clamped, never a 500), refused pushes, the health page against the database, silent kiosks, every alert kind
in the API and on the page with a detail link that works, the rejected event's page, roles and exports."""
import re
import uuid
from datetime import date, timedelta
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, update

from central_sync.extensions import db
from central_sync.models import ALERT_KINDS, SELLING_KINDS, Device, Location, Product, SyncEvent, utcnow
from central_sync.sync.reported import MAX_PENDING
from tests.central_sync.conftest import PASSWORD
from tests.central_sync.test_sync_push import event, push, sale
from tests.kiosk.apitools import Api
from tests.kiosk.pagetools import Browser, text

ERROR = "central at http://central.test cannot be reached: Mất kết nối mạng"


@pytest.fixture
def k01(client, admin):
    made = admin.post("/devices", json={"location": "K01"}).get_json()
    return Api(client, made["token"]), made["device_id"]


def reports(pending, error=ERROR) -> dict:
    return {"X-Kiosk-Pending": pending, "X-Kiosk-Last-Error": quote(error)}


def device_row(app, device_id: int) -> Device:
    with app.app_context():
        device = db.session.get(Device, device_id)
        db.session.expunge(device)
        return device


def page(client, username="reviewer") -> Browser:
    browser = Browser(client)
    browser.log_in(username, PASSWORD)
    return browser


def health_rows(html: str) -> dict[str, dict]:
    """The health table's rows: location code -> {field: the cell's text}, and whether it is marked silent."""
    rows = {}
    for attrs, body in re.findall(r'<tr id="kiosk-[^"]+" ([^>]*)>(.*?)</tr>', html, re.S):
        code = re.search(r'data-location="([^"]+)"', attrs).group(1)
        cells = {name: " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
                 for name, cell in re.findall(r'<td[^>]*data-field="(\w+)"[^>]*>(.*?)</td>', body, re.S)}
        rows[code] = {**cells, "silent": "data-silent" in attrs}
    return rows


def test_a_push_and_a_pull_store_what_the_kiosk_reports(app, k01):
    kiosk, device_id = k01
    assert push(kiosk, [event(1, payload=sale())], headers=reports("7")).status_code == 200
    stored = device_row(app, device_id)
    assert (stored.reported_pending, stored.reported_error) == (7, ERROR) and stored.reported_at is not None
    assert kiosk.get("/sync/pull", headers=reports("0", "")).status_code == 200
    stored = device_row(app, device_id)
    assert (stored.reported_pending, stored.reported_error) == (0, None)
    assert kiosk.get("/sync/pull").status_code == 200  # a kiosk that says nothing changes nothing
    assert device_row(app, device_id).reported_pending == 0


@pytest.mark.parametrize("sent, kept", [("12", 12), (" 3 ", 3), ("-5", None), ("abc", None), ("1e3", None),
                                        ("", None), ("9" * 60, MAX_PENDING), (str(2**40), MAX_PENDING)])
def test_a_hostile_pending_count_is_ignored_or_clamped(app, k01, sent, kept):
    kiosk, device_id = k01
    assert kiosk.get("/sync/pull", headers={"X-Kiosk-Pending": sent}).status_code == 200
    assert device_row(app, device_id).reported_pending == kept


@pytest.mark.parametrize("sent, kept", [
    ("x" * 5000, "x" * 200), ("%00%1b[31mred%0A%0Dline", "[31mred line"), ("%E0%A4%A", "\ufffd%A"),
    ("%%%", "%%%"), ("   ", None), (quote("Lỗi: 503") * 100, ("Lỗi: 503" * 100)[:200]),
])
def test_a_hostile_last_error_is_cleaned_and_cut_to_200(app, k01, sent, kept):
    kiosk, device_id = k01
    response = push(kiosk, [event(1, payload=sale())], headers={"X-Kiosk-Pending": "1", "X-Kiosk-Last-Error": sent})
    assert response.status_code == 200, response.get_json()
    assert device_row(app, device_id).reported_error == kept


def test_a_refused_push_is_recorded_though_nothing_of_it_is_kept(app, client, k01, world):
    kiosk, device_id = k01
    response = push(kiosk, [event(3, payload=sale())], headers=reports("9"))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "seq_gap"
    stored = device_row(app, device_id)
    assert (stored.last_seq, stored.refused_code, stored.reported_pending) == (0, "seq_gap", 9)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SyncEvent)) == 0
    row = health_rows(text(page(client).get("/review/kiosks")))["K01"]
    assert "seq_gap" in row["error"] and row["pending"].startswith("9 ")


def test_the_health_page_shows_every_sale_point_as_the_database_has_it(app, client, k01, admin):
    kiosk, device_id = k01
    k02 = Api(client, admin.post("/devices", json={"location": "K02"}).get_json()["token"])
    bad = event(2, payload=sale(sku="NO-SUCH"))
    assert push(kiosk, [event(1, payload=sale()), bad, event(3, payload=sale())],
                headers=reports("4")).status_code == 200
    assert push(k02, [event(1, payload=sale())], headers=reports("0", "")).status_code == 200
    html = text(page(client).get("/review/kiosks"))
    rows = health_rows(html)
    with app.app_context():
        selling = set(db.session.scalars(select(Location.code).where(Location.kind.in_(SELLING_KINDS))))
        devices = {d.location.code: d for d in db.session.scalars(select(Device).where(Device.revoked_at.is_(None)))}
        rejected = dict(db.session.execute(select(Device.id, func.count())
                                           .join(SyncEvent, SyncEvent.device_id == Device.id)
                                           .where(SyncEvent.status == "rejected").group_by(Device.id)).all())
    assert set(rows) == selling == {"K01", "K02", "CL1"}
    for code, row in rows.items():
        device = devices.get(code)
        if device is None:
            assert row["device"] == "chưa có thiết bị" and row["last_seq"] == "" and row["silent"] is False
            continue
        assert row["device"] == f"#{device.id}"
        assert row["last_seq"] == str(device.last_seq)
        assert row["pending"].split()[0] == str(device.reported_pending)
        assert row["rejected"] == str(rejected.get(device.id, 0))
        assert row["silent"] is False
    assert rows["K01"]["last_seq"] == "3" and rows["K01"]["rejected"] == "1"
    assert "unknown_product" in rows["K01"]["error"]
    assert f'/review/alerts/events/{bad["id"]}' in html
    assert rows["K02"]["error"] == ""


def test_a_kiosk_silent_for_more_than_a_day_is_highlighted_and_an_alert(app, client, k01, reviewer):
    kiosk, device_id = k01
    assert kiosk.get("/sync/pull").status_code == 200
    browser = page(client)
    assert not health_rows(text(browser.get("/review/kiosks")))["K01"]["silent"]
    assert not [a for a in reviewer.get("/alerts?kind=kiosk_silent").get_json()["alerts"]]
    with app.app_context():
        db.session.execute(update(Device).where(Device.id == device_id)
                           .values(last_sync_at=utcnow() - timedelta(days=1, minutes=5)))
        db.session.commit()
    assert health_rows(text(browser.get("/review/kiosks")))["K01"]["silent"]
    [alert] = reviewer.get("/alerts?kind=kiosk_silent").get_json()["alerts"]
    assert (alert["location"], alert["ref"], alert["sku"]) == ("K01", str(device_id), None)


def test_a_device_that_never_synced_is_silent(app, client, admin, reviewer):
    made = admin.post("/devices", json={"location": "CL1"}).get_json()
    assert health_rows(text(page(client).get("/review/kiosks")))["CL1"]["silent"]
    alerts = reviewer.get("/alerts").get_json()["alerts"]
    at_cl1 = [(a["kind"], a["ref"]) for a in alerts if a["location"] == "CL1"]
    assert at_cl1 == [("kiosk_silent", str(made["device_id"]))]


@pytest.fixture
def every_alert(app, client, k01, admin):
    """One alert of each kind: K01 oversells at an outdated price and pushes an unknown product; K02 receives a
    transfer short (3 of 10: low stock); CL1's device never synced; MO-250's certificate expires in 30 days."""
    kiosk, _ = k01
    bad = event(2, payload=sale(sku="NO-SUCH"))
    assert push(kiosk, [event(1, payload=sale(qty=2, price=140_000)), bad]).status_code == 200
    k02 = Api(client, admin.post("/devices", json={"location": "K02"}).get_json()["token"])
    transfer = admin.post("/transfers", json={"from_location": "KHO", "to_location": "K02",
                                              "lines": [{"sku": "MO-250", "qty": 10}]}).get_json()
    receipt = {"transfer_id": transfer["id"], "lines": [{"sku": "MO-250", "received_qty": 3}]}
    assert push(k02, [event(1, "transfer_receipt", receipt)]).get_json()["results"][0]["status"] == "applied"
    admin.post("/devices", json={"location": "CL1"})
    with app.app_context():
        db.session.execute(update(Product).where(Product.sku == "MO-250")
                           .values(certificate_expires_on=date.today() + timedelta(days=30)))
        db.session.commit()
    return {"bad": bad["id"], "transfer": transfer["id"]}


def test_every_alert_kind_is_in_the_api(reviewer, every_alert):
    alerts = reviewer.get("/alerts").get_json()["alerts"]
    assert {a["kind"] for a in alerts} == set(ALERT_KINDS)
    for alert in alerts:
        assert set(alert) == {"kind", "location", "sku", "ref", "message", "created_at"} and alert["message"]
    found = {(a["kind"], a["location"], a["sku"], a["ref"]) for a in alerts}
    assert {("rejected_event", "K01", "NO-SUCH", every_alert["bad"]),
            ("transfer_discrepancy", "K02", "MO-250", every_alert["transfer"]),
            ("low_stock", "K02", "MO-250", None), ("low_stock", "K01", "CF-500", None),
            ("certificate_expiring", None, "MO-250", "MO-250/QĐ")} <= found
    assert [a["created_at"] for a in alerts] == sorted((a["created_at"] for a in alerts), reverse=True)


def test_the_alerts_api_filters_by_kind_and_location(reviewer, every_alert):
    low = reviewer.get("/alerts?kind=low_stock&location=K02").get_json()["alerts"]
    assert [(a["kind"], a["location"], a["sku"]) for a in low] == [("low_stock", "K02", "MO-250")]
    at_k01 = reviewer.get("/alerts?location=K01").get_json()["alerts"]
    assert {a["kind"] for a in at_k01} == {"oversell", "outdated_price", "rejected_event", "low_stock"}
    response = reviewer.get("/alerts?kind=everything")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "kind"
    assert reviewer.get("/alerts?location=" + "X" * 5000).get_json() == {"alerts": []}


def test_every_alert_kind_is_on_the_page_with_a_detail_link_that_works(client, every_alert):
    browser = page(client)
    html = text(browser.get("/review/alerts"))
    rows = re.findall(r'<tr data-kind="(\w+)"[^>]*>(.*?)</tr>', html, re.S)
    assert {kind for kind, _ in rows} == set(ALERT_KINDS)
    for kind, row in rows:
        link = re.search(r'<a href="([^"]+)" data-detail>', row)
        assert link, kind
        response = browser.get(unescape(link.group(1)).split("#")[0])
        assert response.status_code == 200, (kind, link.group(1))
    assert f'/transfers/{every_alert["transfer"]}' in html and "/products/MO-250" in html
    assert "/review/kiosks#kiosk-CL1" in html and "/locations/K02/stock" in html
    only = text(browser.get("/review/alerts?kind=transfer_discrepancy&location=K02"))
    assert set(re.findall(r'<tr data-kind="(\w+)"', only)) == {"transfer_discrepancy"}


def test_a_rejected_event_has_its_page_with_its_payload_and_code(client, every_alert, app):
    browser = page(client)
    html = unescape(text(browser.get(f"/review/alerts/events/{every_alert['bad']}")))
    assert "unknown_product" in html and '"sku": "NO-SUCH"' in html and "K01" in html
    with app.app_context():
        applied = db.session.scalar(select(SyncEvent.id).where(SyncEvent.status == "applied"))
    for missing in (applied, str(uuid.uuid4()), "x" * 500):
        assert browser.get(f"/review/alerts/events/{missing}").status_code == 404


@pytest.mark.parametrize("path", ["/review/kiosks", "/review/alerts", "/review/kiosks/export.csv",
                                  "/review/alerts/export.xlsx"])
def test_the_pages_are_for_admins_and_reviewers_only(client, world, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.location
    for username in ("admin", "reviewer"):
        assert page(client, username).get(path).status_code == 200


def test_the_alerts_api_needs_a_user_token(k01, anonymous):
    kiosk, _ = k01
    assert kiosk.get("/alerts").status_code == 401 and anonymous.get("/alerts").status_code == 401


def test_the_tables_download_as_csv_with_a_bom_and_as_excel(client, every_alert):
    browser = page(client)
    health = browser.get("/review/kiosks/export.csv")
    body = health.get_data().decode("utf-8")
    assert body.startswith("\ufeff") and "K01" in body and "CL1" in body
    alerts = browser.get("/review/alerts/export.csv?kind=transfer_discrepancy").get_data().decode("utf-8")
    assert alerts.count("\r\n") == 2 and every_alert["transfer"] in alerts
    excel = browser.get("/review/alerts/export.xlsx")
    assert excel.status_code == 200 and excel.get_data()[:2] == b"PK"
    assert browser.get("/review/alerts/export.pdf").status_code == 404
