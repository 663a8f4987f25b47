"""What a receipt looks like: text, image and ESC/POS bytes, in every mode."""
import io

import pytest
from escpos.codepages import CodePages
from PIL import Image

from kiosk.printing import devices, document
from kiosk.printing.encode import Layout, ascii_text, encode, encode_tcvn3

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SALE = {"lines": [{"sku": "CF-CB-500", "qty": 2, "discount_vnd": 10_000}, {"sku": "TC-AKO-KHAN", "qty": 1}],
        "payments": [{"method": "cash", "amount_vnd": 600_000}]}


def layout(mode="image", width=576):
    return Layout(mode=mode, width_dots=width, profile=None, font_regular=FONT, font_bold=BOLD)


@pytest.fixture
def sale(vendor, open_shift):
    response = vendor.post("/sales", SALE)
    assert response.status_code == 201
    return response.get_json()


def test_text_receipt_has_every_vietnamese_name_exactly(vendor, sale):
    response = vendor.get(f"/sales/{sale['id']}/receipt?format=text")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    for expected in ("Cà phê bột nguyên chất Công Bằng 500g", "Khăn thổ cẩm Ê Đê dệt tay", "HÓA ĐƠN BÁN HÀNG",
                     sale["number"], "TỔNG CỘNG", "530.000 ₫", "Tiền thừa trả khách", "70.000 ₫", "Giảm giá",
                     "-10.000 ₫", "★★★★ OCOP", "Điểm bán OCOP Đắk Lắk", "Thu ngân:", "vendor"):
        assert expected in text, expected
    assert max(len(line) for line in text.splitlines()) <= 48


@pytest.mark.parametrize("paper_mm, width", [(80, 576), (58, 384)])
def test_png_receipt_is_one_bit_at_the_printers_dot_width(app, client, demo_data, paper_mm, width):
    from tests.kiosk.conftest import Api, login

    app.config["PRINTER_PAPER_MM"] = paper_mm
    api = Api(client, login(client, *demo_data["vendor"]))
    api.post("/shifts", {"opening_cash_vnd": 0})
    sale_id = api.post("/sales", SALE).get_json()["id"]
    response = api.get(f"/sales/{sale_id}/receipt?format=png")
    assert response.content_type == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.width == width
    assert image.mode == "1"
    inked_rows = sum(1 for y in range(image.height) if image.crop((0, y, width, y + 1)).getextrema()[0] == 0)
    assert inked_rows > 150  # about twenty lines of text, each many rows of dots


def test_receipt_formats_and_errors(vendor, sale):
    escpos = vendor.get(f"/sales/{sale['id']}/receipt?format=escpos")
    assert escpos.content_type == "application/octet-stream"
    assert escpos.data.startswith(b"\x1b@") and b"\x1dv0" in escpos.data
    bad = vendor.get(f"/sales/{sale['id']}/receipt?format=pdf")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "format"
    assert vendor.get("/sales/no-such-sale/receipt").status_code == 404


def test_tcvn3_switches_code_pages_and_round_trips():
    text = "Cà phê Đắk Lắk ộặờ ƯỚ"
    data = encode_tcvn3(text)
    tables = {30: "".join(CodePages.get_encoding("TCVN-3-1")["data"]),
              31: "".join(CodePages.get_encoding("TCVN-3-2")["data"])}
    decoded, page, i = [], None, 0
    while i < len(data):
        if data[i:i + 2] == b"\x1bt":
            page, i = data[i + 2], i + 3
            continue
        decoded.append(chr(data[i]) if data[i] < 128 else tables[page][data[i] - 128])
        i += 1
    assert "".join(decoded).replace("Ð", "Đ") == text


def test_ascii_fallback_strips_tones():
    assert ascii_text("Cà phê Đắk Lắk: 45.000 ₫ ★★★") == b"Ca phe Dak Lak: 45.000 d ***"


@pytest.mark.parametrize("mode", ["tcvn3", "ascii"])
def test_text_modes_print_text_and_the_qr_as_an_image(mode):
    receipt = document.Receipt((document.Text("Mật ong hoa cà phê", bold=True), document.Row("TỔNG", "45.000 ₫"),
                                document.QR("000201"), document.Rule()), open_drawer=True)
    data = encode(receipt, layout(mode))
    assert data.startswith(b"\x1b@")
    assert (b"M\x1bt\x1e" in data) if mode == "tcvn3" else (b"Mat ong hoa ca phe" in data)
    assert b"\x1dv0" in data  # the QR
    assert b"\x1bp" in data  # the drawer kick


@pytest.mark.parametrize("url, expected", [
    ("network://192.0.2.10:9100", devices.PrinterTarget("network", host="192.0.2.10", port=9100)),
    ("network://printer.local", devices.PrinterTarget("network", host="printer.local", port=9100)),
    ("usb://04b8:0202", devices.PrinterTarget("usb", vendor_id=0x04B8, product_id=0x0202)),
    ("serial:///dev/ttyUSB0?baudrate=19200", devices.PrinterTarget("serial", path="/dev/ttyUSB0", baudrate=19200)),
    ("file:///dev/usb/lp0", devices.PrinterTarget("file", path="/dev/usb/lp0")),
    ("preview", devices.PrinterTarget("preview")),
    ("none", devices.PrinterTarget("none")),
])
def test_printer_urls(url, expected):
    assert devices.parse_printer_url(url) == expected


@pytest.mark.parametrize("url", ["", "lpt1", "network://", "usb://zz:01", "serial:///dev/x?baudrate=fast",
                                 "http://printer"])
def test_bad_printer_urls_are_refused_with_a_message(url):
    with pytest.raises(ValueError, match="PRINTER_URL"):
        devices.parse_printer_url(url)


def test_the_app_refuses_a_printer_it_cannot_use(tmp_path):
    from config import ConfigError
    from tests.conftest import kiosk_app

    with pytest.raises(ConfigError, match="PRINTER_URL"):
        kiosk_app(tmp_path, PRINTER_URL="lpt1")
    with pytest.raises(ConfigError, match="RECEIPT_FONT"):
        kiosk_app(tmp_path, PRINTER_URL="preview", RECEIPT_FONT=str(tmp_path / "missing.ttf"))
