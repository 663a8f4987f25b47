"""Synced sales, the sales report net of refunds, alerts; and the catalogue's price history."""
from datetime import datetime, timedelta, timezone

import pytest

from central_sync.catalog.services import price_history, price_of, product_by_sku, set_price
from central_sync.extensions import db
from central_sync.models import Refund, RefundLine, Sale, SaleLine, utcnow
from central_sync.network.services import location_by_code
from tests.central_sync.tools import assert_error

DAY = datetime(2026, 3, 10, 3, 0, tzinfo=timezone.utc)  # 10:00 in Đắk Lắk


@pytest.fixture
def sales(app, world):
    """Three sales at two kiosks on two days, and one refund."""
    with app.app_context():
        products = {sku: product_by_sku(sku) for sku in world.skus}
        for number, (code, when, lines) in enumerate([
                ("K01", DAY, [("CF-500", 2, 145_000), ("MO-250", 1, 98_000)]),
                ("K01", DAY + timedelta(days=1), [("CF-500", 1, 140_000)]),
                ("K02", DAY, [("CF-250", 3, 80_000)])], start=1):
            sale_id = f"00000000-0000-0000-0000-00000000000{number}"
            db.session.add(Sale(id=sale_id, number=f"{code}-{number}", location_id=location_by_code(code).id,
                                created_at=when, total_vnd=sum(q * p for _, q, p in lines)))
            db.session.add_all(SaleLine(sale_id=sale_id, product_id=products[sku].id, qty=qty, unit_price_vnd=price,
                                        total_vnd=qty * price) for sku, qty, price in lines)
        db.session.add(Refund(id="r1", sale_id="00000000-0000-0000-0000-000000000001",
                              location_id=location_by_code("K01").id, created_at=DAY + timedelta(hours=1)))
        db.session.add(RefundLine(refund_id="r1", product_id=products["CF-500"].id, qty=1, amount_vnd=145_000))
        db.session.commit()


def test_sales_are_listed_newest_first_with_pages(app, reviewer, sales):
    body = reviewer.get("/sales").get_json()
    assert [s["number"] for s in body["sales"]] == ["K01-2", "K01-1", "K02-3"] and (body["page"], body["pages"]) == (1, 1)
    assert body["sales"][1] | {"received_at": None} == {
        "id": "00000000-0000-0000-0000-000000000001", "number": "K01-1", "location": "K01",
        "created_at": DAY.isoformat(), "total_vnd": 388_000, "received_at": None}
    app.config["SALES_PAGE_SIZE"] = 2
    second = reviewer.get("/sales?page=2").get_json()
    assert ([s["number"] for s in second["sales"]], second["pages"]) == (["K02-3"], 2)
    assert reviewer.get("/sales?page=9").get_json()["sales"] == []


def test_sales_filter_by_location_and_local_dates(reviewer, sales):
    assert [s["number"] for s in reviewer.get("/sales?location=K02").get_json()["sales"]] == ["K02-3"]
    assert [s["number"] for s in reviewer.get("/sales?from=2026-03-11").get_json()["sales"]] == ["K01-2"]
    assert [s["number"] for s in reviewer.get("/sales?to=2026-03-10&location=K01").get_json()["sales"]] == ["K01-1"]
    assert reviewer.get("/sales?from=2026-03-10T10:00:01%2B07:00&to=2026-03-10").get_json()["sales"] == []


@pytest.mark.parametrize("query, field", [("page=0", "page"), ("page=x", "page"), ("page=-1", "page"),
                                          ("page=%C2%B2", "page"), ("page=" + "9" * 5000, "page"),
                                          ("from=yesterday", "from"), ("to=2026-13-01", "to"),
                                          ("location=NOPE", "location")])
def test_bad_sales_queries_are_422(reviewer, sales, query, field):
    response = reviewer.get(f"/sales?{query}")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == field


@pytest.mark.parametrize("group_by, expected", [
    ("product", [("CF-250", 3, 240_000), ("CF-500", 2, 285_000), ("MO-250", 1, 98_000)]),
    ("producer", [(1, 5, 525_000), (2, 1, 98_000)]),
    ("location", [("K01", 3, 383_000), ("K02", 3, 240_000)]),
    ("district", [("Krông Pắc", 3, 383_000), ("Lắk", 3, 240_000)]),
    ("ocop_stars", [(3, 3, 240_000), (4, 2, 285_000), (5, 1, 98_000)]),
])
def test_the_sales_report_is_net_of_refunds(reviewer, sales, group_by, expected):
    rows = reviewer.get(f"/reports/sales?group_by={group_by}").get_json()["rows"]
    assert sorted((r["key"], r["qty"], r["revenue_vnd"]) for r in rows) == expected
    assert all(r["label"] for r in rows)


def test_the_sales_report_covers_the_dates_asked(reviewer, sales):
    rows = reviewer.get("/reports/sales?group_by=location&from=2026-03-11&to=2026-03-11").get_json()["rows"]
    assert [(r["key"], r["qty"], r["revenue_vnd"]) for r in rows] == [("K01", 1, 140_000)]


def test_an_unknown_grouping_is_422(reviewer):
    assert_error(reviewer.get("/reports/sales?group_by=colour"), 422, "validation_error", "group_by")


def test_no_sales_yet_is_an_empty_report_and_list(reviewer):
    assert reviewer.get("/reports/sales").get_json() == {"rows": []}
    assert reviewer.get("/sales").get_json() == {"sales": [], "page": 1, "pages": 1}


def test_certificates_expiring_soon_are_alerts(app, reviewer):
    assert reviewer.get("/alerts").get_json() == {"alerts": []}  # the world's certificates run to 2030
    with app.app_context():
        product_by_sku("MO-250").certificate_expires_on = (utcnow() + timedelta(days=30)).date()
        db.session.commit()
    [alert] = reviewer.get("/alerts").get_json()["alerts"]
    assert (alert["kind"], alert["sku"], alert["location"], alert["ref"]) == (
        "certificate_expiring", "MO-250", None, "MO-250/QĐ")


def test_prices_keep_their_history_and_locations_may_override_them(app, world):
    with app.app_context():
        product, kiosk = product_by_sku("CF-500"), location_by_code("K01")
        now = utcnow()
        set_price(product, 150_000, valid_from=now + timedelta(days=1))  # a price announced for tomorrow
        set_price(product, 139_000, location=kiosk, valid_from=now - timedelta(hours=1))
        db.session.commit()
        assert price_of(product) == 145_000
        assert price_of(product, at=now + timedelta(days=2)) == 150_000
        assert price_of(product, kiosk) == 139_000
        assert price_of(product, location_by_code("K02")) == 145_000
        assert [p.price_vnd for p in price_history(product)] == [139_000, 145_000, 150_000]
