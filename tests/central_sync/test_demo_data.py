"""The Đắk Lắk demo network that `flask --app central_sync seed-demo` loads, checked as data."""
import json
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NETWORK_FILE = ROOT / "central_sync" / "demo" / "network.json"
KIOSK_CATALOGUE_FILE = ROOT / "kiosk" / "demo" / "catalogue.json"

TODAY = date(2026, 11, 29)  # the demo's "today": expiry counts are relative to it, not to the clock
OCOP_GROUPS = {"food", "beverage", "herbal", "textile", "handicraft", "tourism"}
KIOSK_DISTRICTS = {"Krông Pắc", "Cư M'gar", "Ea Kar", "Krông Năng", "Buôn Hồ", "Ea H'leo", "Krông Ana", "Lắk"}
CODE = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+)*")


@pytest.fixture(scope="module")
def raw_text():
    return NETWORK_FILE.read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def network(raw_text):
    return json.loads(raw_text)


@pytest.fixture(scope="module")
def kiosk_catalogue():
    return json.loads(KIOSK_CATALOGUE_FILE.read_text(encoding="utf-8"))


def ean13_is_valid(code: str) -> bool:
    if not re.fullmatch(r"\d{13}", code):
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


def plus_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def by_kind(network, kind):
    return [location for location in network["locations"] if location["kind"] == kind]


def test_ean13_checker_rejects_a_wrong_check_digit():
    assert ean13_is_valid("8936001000010")
    assert not ean13_is_valid("8936001000011")
    assert not ean13_is_valid("893600100001")


def test_plus_months_keeps_the_day_and_clamps_month_ends():
    assert plus_months(date(2024, 3, 15), 36) == date(2027, 3, 15)
    assert plus_months(date(2024, 2, 29), 36) == date(2027, 2, 28)
    assert plus_months(date(2023, 11, 30), 3) == date(2024, 2, 29)


def test_file_is_utf8_json_written_with_indent_1_and_real_vietnamese(raw_text, network):
    assert raw_text.rstrip("\n") == json.dumps(network, ensure_ascii=False, indent=1)
    assert "\\u" not in raw_text
    assert set(network) >= {"locations", "producers", "products", "warehouse_stock", "users"}


def test_locations_are_the_planned_network(network):
    locations = network["locations"]
    assert len(locations) == 23
    assert Counter(location["kind"] for location in locations) == {"warehouse": 1, "cluster": 6, "kiosk": 16}
    for location in locations:
        assert set(location) == {"code", "name", "kind", "district", "commune", "market"}
        assert location["name"].strip() and location["district"].strip() and location["commune"].strip()
        if location["kind"] != "warehouse":
            assert location["market"].startswith("Chợ "), location


def test_location_codes_are_short_unique_capitals(network):
    codes = [location["code"] for location in network["locations"]]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert len(code) <= 12 and CODE.fullmatch(code), code


def test_one_central_warehouse(network):
    [warehouse] = by_kind(network, "warehouse")
    assert warehouse["code"] == "KHO-BMT"
    assert warehouse["district"] == "Buôn Ma Thuột"


def test_two_city_clusters_and_four_at_wholesale_markets(network):
    clusters = by_kind(network, "cluster")
    wholesale = [c for c in clusters if c["market"].startswith("Chợ đầu mối")]
    city = [c for c in clusters if c not in wholesale]
    assert len(wholesale) == 4
    assert len(city) == 2
    assert {c["district"] for c in city} == {"Buôn Ma Thuột"}
    assert len({c["market"] for c in clusters}) == 6


def test_two_kiosks_in_the_central_market_of_each_of_eight_districts(network):
    kiosks = by_kind(network, "kiosk")
    assert Counter(k["district"] for k in kiosks) == {district: 2 for district in KIOSK_DISTRICTS}
    markets = {}
    for kiosk in kiosks:
        markets.setdefault(kiosk["district"], set()).add(kiosk["market"])
    assert all(len(names) == 1 for names in markets.values()), markets
    assert len({next(iter(names)) for names in markets.values()}) == 8


def test_producers(network, kiosk_catalogue):
    producers = network["producers"]
    assert len(producers) >= 30
    ids = [p["id"] for p in producers]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    tax_codes = [p["tax_code"] for p in producers]
    assert len(tax_codes) == len(set(tax_codes))
    for producer in producers:
        assert set(producer) == {"id", "name", "kind", "tax_code", "commune", "district"}
        assert producer["kind"] in {"cooperative", "company", "household"}
        assert re.fullmatch(r"\d{10}", producer["tax_code"]), producer
        assert producer["name"].strip() and producer["commune"].strip() and producer["district"].strip()
    assert {p["kind"] for p in producers} == {"cooperative", "company", "household"}
    central = {p["id"]: p for p in producers}
    for kiosk_producer in kiosk_catalogue["producers"]:
        assert {k: central[kiosk_producer["id"]][k] for k in kiosk_producer} == kiosk_producer


def test_products_have_unique_skus_and_valid_unique_barcodes(network):
    products = network["products"]
    assert len(products) >= 80
    skus = [p["sku"] for p in products]
    barcodes = [p["barcode"] for p in products]
    assert len(skus) == len(set(skus))
    assert len(barcodes) == len(set(barcodes))
    for product in products:
        assert 0 < len(product["sku"]) <= 32 and CODE.fullmatch(product["sku"]), product["sku"]
        assert product["barcode"].startswith("893") and ean13_is_valid(product["barcode"]), product


def test_products_carry_every_ocop_field(network):
    fields = {"sku", "barcode", "name", "unit", "price_vnd", "ocop_stars", "ocop_group", "producer_id",
              "origin_commune", "origin_district", "certificate_no", "certificate_issued_on",
              "certificate_expires_on"}
    producer_ids = {p["id"] for p in network["producers"]}
    for product in network["products"]:
        assert set(product) == fields, product["sku"]
        assert product["name"].strip() and product["unit"].strip(), product
        assert type(product["price_vnd"]) is int and 1000 <= product["price_vnd"] <= 5_000_000, product
        assert product["ocop_stars"] in (3, 4, 5), product
        assert product["ocop_group"] in OCOP_GROUPS, product
        assert product["producer_id"] in producer_ids, product
        assert product["origin_commune"].strip() and product["origin_district"].strip(), product
        assert re.fullmatch(r"\d+/QĐ-[A-ZĐ]+", product["certificate_no"]), product


def test_every_ocop_group_has_products_and_a_few_have_five_stars(network):
    groups = Counter(p["ocop_group"] for p in network["products"])
    assert set(groups) == OCOP_GROUPS
    assert all(count >= 2 for count in groups.values()), groups
    stars = Counter(p["ocop_stars"] for p in network["products"])
    assert 2 <= stars[5] <= len(network["products"]) // 10, stars


def test_every_producer_makes_something(network):
    assert {p["producer_id"] for p in network["products"]} == {p["id"] for p in network["producers"]}


def test_certificates_run_36_months_from_a_past_issue_date(network):
    for product in network["products"]:
        issued = date.fromisoformat(product["certificate_issued_on"])
        expires = date.fromisoformat(product["certificate_expires_on"])
        assert issued <= TODAY, product
        assert expires == plus_months(issued, 36), product


def test_some_certificates_expire_soon_and_some_have_expired(network):
    expiry = [date.fromisoformat(p["certificate_expires_on"]) for p in network["products"]]
    expired = [day for day in expiry if day < TODAY]
    expiring = [day for day in expiry if TODAY <= day <= TODAY + timedelta(days=90)]
    assert len(expiring) >= 5
    assert len(expired) >= 2
    assert len(expired) + len(expiring) < len(expiry) // 2


def test_the_kiosk_demo_products_are_in_central_unchanged(network, kiosk_catalogue):
    central = {p["sku"]: p for p in network["products"]}
    assert len(kiosk_catalogue["products"]) == 24
    for kiosk_product in kiosk_catalogue["products"]:
        expected = {k: v for k, v in kiosk_product.items() if k != "stock"}
        assert central.get(kiosk_product["sku"]) == expected


def test_the_kiosks_incoming_transfer_names_known_skus(network, kiosk_catalogue):
    skus = {p["sku"] for p in network["products"]}
    assert {line["sku"] for line in kiosk_catalogue["incoming_transfer"]["lines"]} <= skus


def test_warehouse_stock_and_demo_users(network):
    assert type(network["warehouse_stock"]["default_qty"]) is int
    assert network["warehouse_stock"]["default_qty"] >= 50
    assert network["users"] == [
        {"username": "admin", "password": "quantri-demo", "role": "admin"},
        {"username": "reviewer", "password": "xemxet-demo", "role": "reviewer"},
    ]
