"""A large made-up OCOP catalogue for the search measure: Vietnamese names with diacritics, ~70 producers."""
from __future__ import annotations

import random
from datetime import date, timedelta

from kiosk.catalog import services as catalog
from kiosk.extensions import db
from kiosk.stock.services import record_movement

# (name, OCOP group, unit, base price in VND)
GOODS = (
    ("Cà phê bột nguyên chất", "beverage", "gói", 145_000), ("Cà phê hạt rang mộc", "beverage", "gói", 155_000),
    ("Cà phê chồn", "beverage", "hộp", 650_000), ("Cà phê hòa tan 3 trong 1", "beverage", "hộp", 65_000),
    ("Mật ong hoa cà phê", "food", "chai", 180_000), ("Mật ong rừng", "food", "chai", 320_000),
    ("Mật ong hoa nhãn", "food", "chai", 160_000), ("Hạt điều rang muối", "food", "hũ", 120_000),
    ("Hạt điều rang tỏi ớt", "food", "hũ", 105_000), ("Hạt mắc ca sấy nứt vỏ", "food", "túi", 210_000),
    ("Tiêu đen Chư Sê", "food", "gói", 90_000), ("Tiêu sọ trắng", "food", "gói", 150_000),
    ("Bột ca cao nguyên chất", "beverage", "hộp", 135_000), ("Sô-cô-la đen 70%", "food", "thanh", 75_000),
    ("Sầu riêng sấy giòn", "food", "gói", 175_000), ("Bơ sáp sấy dẻo", "food", "gói", 85_000),
    ("Rượu cần Ê Đê", "beverage", "ché", 280_000), ("Rượu ngô men lá", "beverage", "chai", 120_000),
    ("Khăn thổ cẩm dệt tay", "textile", "chiếc", 250_000), ("Túi thổ cẩm", "textile", "chiếc", 190_000),
    ("Gạo ST25 Buôn Đôn", "food", "túi", 140_000), ("Trà mãng cầu", "beverage", "hộp", 95_000),
    ("Măng le khô", "food", "gói", 110_000), ("Tinh dầu sả chanh", "herbal", "chai", 78_000),
    ("Cao đinh lăng", "herbal", "hũ", 230_000), ("Đông trùng hạ thảo sấy", "herbal", "hộp", 890_000),
    ("Gùi mây tre đan", "handicraft", "chiếc", 350_000), ("Chuốt gỗ cà phê", "handicraft", "bộ", 160_000),
)
SIZES = ("100g", "200g", "250g", "500g", "1kg", "250ml", "500ml", "hộp quà", "túi zip", "loại đặc biệt")
PLACES = (("Ea Kiết", "Cư M'gar"), ("Ea Tu", "Buôn Ma Thuột"), ("Hòa Thắng", "Buôn Ma Thuột"),
          ("Phước An", "Krông Pắc"), ("Ea Yông", "Krông Pắc"), ("Buôn Trấp", "Krông Ana"),
          ("Quảng Phú", "Cư M'gar"), ("Ea Drăng", "Ea H'leo"), ("Krông Năng", "Krông Năng"),
          ("Liên Sơn", "Lắk"), ("Ea Súp", "Ea Súp"), ("Ea Pốk", "Cư M'gar"), ("Buôn Đôn", "Buôn Đôn"),
          ("M'Đrắk", "M'Đrắk"), ("Krông Kmar", "Krông Bông"), ("Ea Knốp", "Ea Kar"), ("Dray Bhăng", "Cư Kuin"))
KINDS = (("HTX Nông nghiệp", "cooperative"), ("Công ty TNHH", "company"), ("Công ty CP", "company"),
         ("Hộ kinh doanh", "household"), ("Cơ sở", "household"), ("HTX Dịch vụ", "cooperative"))
FAMILY = ("Hoàng", "Nguyễn", "Trần", "Lê", "Phạm", "Võ", "Đặng", "Y Bluên", "H'Hen", "Ama Thuột", "Bùi", "Đỗ")
BRANDS = ("Xanh", "Thành Công", "Tây Nguyên", "Ban Mê", "Hưng Phát", "Đại Ngàn", "Bazan", "Hoa Sen", "Cao Nguyên")
PRODUCERS = 70
FIRST_PRODUCER_ID = 1000


def producers() -> list[dict]:
    rng = random.Random(7)
    made = []
    for n in range(PRODUCERS):
        prefix, kind = KINDS[n % len(KINDS)]
        commune, _district = PLACES[n % len(PLACES)]
        name = f"{prefix} {rng.choice(FAMILY if kind == 'household' else BRANDS)} {commune}"
        made.append({"id": FIRST_PRODUCER_ID + n, "name": name, "kind": kind, "tax_code": f"60{n:08d}"})
    return made


def products(count: int, makers: list[dict]) -> list[dict]:
    rng = random.Random(11)
    made = []
    for n in range(count):
        good, group, unit, price = GOODS[n % len(GOODS)]
        maker = makers[rng.randrange(len(makers))]
        commune, district = PLACES[maker["id"] % len(PLACES)]
        issued = date(2023, 1, 1) + timedelta(days=rng.randrange(1000))
        made.append({
            "sku": f"BN-{n:05d}", "barcode": ean13(f"893{n:09d}"),
            "name": f"{good} {commune} {rng.choice(SIZES)}",
            "unit": unit, "price_vnd": price + 5_000 * rng.randrange(-4, 10), "ocop_stars": rng.choice((3, 3, 4, 4, 5)),
            "ocop_group": group, "producer_id": maker["id"], "origin_commune": commune,
            "origin_district": district, "certificate_no": f"{rng.randrange(1, 999)}/QĐ-UBND",
            "certificate_issued_on": issued, "certificate_expires_on": issued + timedelta(days=3 * 365),
        })
    return made


def ean13(first12: str) -> str:
    odd, even = sum(int(d) for d in first12[::2]), sum(int(d) for d in first12[1::2])
    return first12 + str((10 - (odd + 3 * even) % 10) % 10)


def load(count: int) -> None:
    """Add ``count`` products (and their producers and opening stock) in the caller's transaction."""
    makers = producers()
    for producer in makers:
        catalog.upsert_producer(producer)
    db.session.flush()
    for item in products(count, makers):
        product = catalog.upsert_product(item)
        db.session.flush()
        record_movement(product.id, 20, "transfer_in", ref="bench-opening-stock")
