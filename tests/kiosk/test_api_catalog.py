"""GET /api/v1/products: the catalogue, its search (case and diacritics ignored) and barcode lookup."""
from datetime import date, timedelta
from urllib.parse import quote

import pytest

from tests.kiosk.apitools import DEMO, assert_error, sale_body, sell, set_product

ALL_SKUS = {p["sku"] for p in DEMO["products"]}
CONTRACT_FIELDS = {"sku", "barcode", "name", "unit", "price_vnd", "ocop_stars", "ocop_group", "producer", "origin",
                   "stock_qty", "certificate_expires_on"}


@pytest.fixture
def reader(shared_kiosk):
    """A vendor of a kiosk shared by the tests that only read the catalogue."""
    return shared_kiosk.vendor


def skus(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {p["sku"] for p in response.get_json()["products"]}


def search(api, q):
    return skus(api.get("/products", query_string={"q": q}))


def test_without_q_the_whole_catalogue(reader):
    assert skus(reader.get("/products")) == ALL_SKUS
    assert search(reader, "") == ALL_SKUS
    assert search(reader, "   ") == ALL_SKUS


@pytest.mark.parametrize("q", ["ca phe", "cà phê", "CÀ PHÊ", "Ca Phe", "CA PHE", "ca  phe", " ca phe "])
def test_search_ignores_case_and_diacritics(reader, q):
    found = search(reader, q)
    assert {"CF-CB-500", "CF-CB-HAT", "CF-BM-CHON", "CF-BM-PHIN", "CF-BM-HOATAN"} <= found
    assert found == {p["sku"] for p in DEMO["products"] if "Cà phê" in p["name"] or "cà phê" in p["name"]
                     or p["producer_id"] == 2}  # "Công ty TNHH Cà phê Ban Mê" makes the rest


@pytest.mark.parametrize("q", ["MAT ONG", "mật ong", "Mật Ong", "MẬT ONG"])
def test_search_honey_without_accents(reader, q):
    assert search(reader, q) == {"MO-CP-500", "MO-CP-250", "MO-NGHE", "DL-EH-GUNG"}


def test_d_with_stroke_matches_d(reader):
    # "Đắk Lắk" is in product names, "Công ty CP Ong mật Đắk Lắk" is a producer.
    found = search(reader, "đắk")
    assert found == search(reader, "dak") == search(reader, "ĐẮK") == search(reader, "DAK")
    assert {"MO-CP-500", "MO-CP-250", "CC-KA-SOCOLA"} <= found


def test_decomposed_unicode_finds_the_same_as_composed(reader):
    composed = "Cà phê"
    decomposed = "Ca\u0300 phe\u0302"  # what some keyboards send
    assert search(reader, decomposed) == search(reader, composed)


@pytest.mark.parametrize("q, expected", [
    ("CF-BM", {"CF-BM-CHON", "CF-BM-PHIN", "CF-BM-HOATAN"}),
    ("cf-bm-chon", {"CF-BM-CHON"}),
    ("DIEU-HY-500", {"DIEU-HY-500"}),
    ("Hải Yến", {"DIEU-HY-500", "DIEU-HY-TOI"}),  # the producer, "Cơ sở Hạt điều Hải Yến"
    ("hai yen", {"DIEU-HY-500", "DIEU-HY-TOI"}),
    ("ako dhong", {"TC-AKO-KHAN", "TC-AKO-TUI"}),  # producer "HTX Dệt thổ cẩm Buôn Ako Dhong"
    ("krông pắc", {"SR-KP-SAY", "SR-KP-KEM"}),
    ("no such thing", set()),
])
def test_search_matches_sku_and_producer(reader, q, expected):
    assert search(reader, q) == expected


@pytest.mark.parametrize("q, expected", [
    ("%", {"CC-KA-SOCOLA"}),  # only "Sô-cô-la đen 70% ca cao Đắk Lắk" has a literal %
    ("70%", {"CC-KA-SOCOLA"}),
    ("7_%", set()),
    ("_", set()),
    ("c_", set()),
    ("%%", set()),
    ("ca%phe", set()),
    ("\\", set()),
    ("\\%", set()),
    ("'", {"DL-EH-GUNG", "DL-EH-SA"}),  # "Ea H'leo"
    ("' OR 1=1 --", set()),
])
def test_like_wildcards_are_literal(reader, q, expected):
    assert search(reader, q) == expected


def test_a_product_with_a_literal_underscore_is_found_by_it(app, vendor):
    set_product(app, "TIEU-CS-DO", search_text="tieu do_dac biet tieu-cs-do")
    assert search(vendor, "o_d") == {"TIEU-CS-DO"}


def test_search_of_100_characters_is_fine_and_more_is_422(reader):
    assert search(reader, "a" * 100) == set()
    assert_error(reader.get("/products", query_string={"q": "a" * 101}), 422, "validation_error", "q")
    assert_error(reader.get("/products", query_string={"q": "%" * 100_000}), 422, "validation_error", "q")


@pytest.mark.parametrize("q, expected", [
    ("\ud800", set()), ("💩", set()), ("\u202e", set()), ("\t\n", ALL_SKUS),
])
def test_odd_characters_in_q_do_not_fail(reader, q, expected):
    assert skus(reader.get("/products?q=" + quote(q.encode("utf-8", "surrogatepass")))) == expected


@pytest.mark.parametrize("q", ["a\x00b", "ca\x00phe", "\x00"])
def test_a_nul_in_q_is_400_as_in_any_input(reader, q):
    assert_error(reader.get("/products?q=" + quote(q)), 400, "bad_request")


def test_barcode_lookup(reader):
    response = reader.get("/products", query_string={"barcode": "8936003000070"})
    assert [p["sku"] for p in response.get_json()["products"]] == ["MO-CP-250"]


@pytest.mark.parametrize("barcode", ["0000000000000", "893600300007", "8936003000070 1", "%", "", "a" * 100])
def test_an_unknown_barcode_is_an_empty_list(reader, barcode):
    response = reader.get("/products", query_string={"barcode": barcode})
    assert response.status_code == 200
    assert response.get_json() == {"products": []}


def test_products_carry_the_contract_fields(app, vendor):
    set_product(app, "CF-CB-500", certificate_expires_on=date.today() + timedelta(days=400))
    [product] = vendor.get("/products", query_string={"barcode": "8936001000010"}).get_json()["products"]
    assert CONTRACT_FIELDS <= set(product)
    demo = next(p for p in DEMO["products"] if p["sku"] == "CF-CB-500")
    producer = next(p for p in DEMO["producers"] if p["id"] == demo["producer_id"])
    assert product["sku"] == "CF-CB-500"
    assert product["barcode"] == "8936001000010"
    assert product["name"] == demo["name"]
    assert product["unit"] == demo["unit"]
    assert product["price_vnd"] == 145_000 and isinstance(product["price_vnd"], int)
    assert product["ocop_stars"] == demo["ocop_stars"] and product["ocop_stars"] in (3, 4, 5)
    assert product["ocop_group"] == demo["ocop_group"]
    assert product["producer"] == producer["name"]
    assert demo["origin_commune"] in product["origin"]
    assert product["stock_qty"] == demo["stock"]
    assert date.fromisoformat(product["certificate_expires_on"]) == date.today() + timedelta(days=400)
    assert product["certificate_expired"] is False


def test_an_expired_certificate_is_flagged(app, vendor):
    set_product(app, "MO-CP-500", certificate_expires_on=date.today() - timedelta(days=2))
    [product] = vendor.get("/products", query_string={"q": "MO-CP-500"}).get_json()["products"]
    assert product["certificate_expired"] is True
    assert product["certificate_expires_on"] == (date.today() - timedelta(days=2)).isoformat()


def test_stock_qty_follows_sales(vendor, open_shift):
    sell(vendor, sale_body(("MO-CP-250", 4), payments=[{"method": "cash", "amount_vnd": 392_000}]))
    [product] = vendor.get("/products", query_string={"q": "MO-CP-250"}).get_json()["products"]
    assert product["stock_qty"] == 45 - 4


def test_inactive_products_are_not_listed(app, vendor):
    set_product(app, "SR-KP-KEM", active=False)
    assert skus(vendor.get("/products")) == ALL_SKUS - {"SR-KP-KEM"}
    assert search(vendor, "kem sau rieng") == set()
    assert skus(vendor.get("/products", query_string={"barcode": "8936010000223"})) == set()


def test_products_need_a_login(anonymous):
    assert_error(anonymous.get("/products"), 401, "unauthorized")
