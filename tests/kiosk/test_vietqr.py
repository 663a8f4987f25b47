"""kiosk.payments.vietqr: the NAPAS VietQR (EMVCo) payload and its CRC, checked against published payloads."""
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from kiosk.payments.vietqr import crc16_ccitt_false, parse, payload, svg, tlv

# VietQR payloads published by others, each ending in the CRC its author's generator computed
# (and that bank apps accepted): if our CRC agrees on all of them, it is the one banks use.
PUBLISHED = [
    # github.com/subiz/vietqr README: 120,000 đồng to VietinBank (970415) account 0011001932418.
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN"
    "62170813ung ho lu lut6304C15C",
    # pub.dev vietqr_gen README: a static QR (tag 01 = 11, no amount) for Techcombank (970407).
    "00020101021138540010A00000072701240006970407011096020919960208QRIBFTTA53037045802VN630434A0",
    # pkg.go.dev thanhtinhpas1/vietqr-parser README: Vietcombank (970436), no amount.
    "00020001021238570010A00000072701270006970436011308810004580860208QRIBFTTA53037045802VN6304CD60",
    # npm vietnam-qr-pay README: 1,000 đồng to ACB (970416), "Chuyen tien".
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN"
    "62150811Chuyen tien6304BBB8",
    # A sample quoted from the NAPAS specification in a parser's test: 100,000 đồng, "nhan tien".
    "00020101021238570010A00000072701270006970436011300110018008790208QRIBFTTA530370454061000005802VN"
    "62130809nhan tien6304D1EF",
]


def test_crc16_ccitt_false_check_value():
    # The catalogue check value of CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout).
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF
    assert crc16_ccitt_false(b"A") == 0xB915


@pytest.mark.parametrize("published", PUBLISHED)
def test_our_crc_validates_published_payloads(published):
    body, crc = published[:-4], published[-4:]
    assert body.endswith("6304")
    assert f"{crc16_ccitt_false(body.encode('ascii')):04X}" == crc


@pytest.mark.parametrize("published", PUBLISHED)
def test_a_changed_character_breaks_the_crc(published):
    body, crc = published[:-4], published[-4:]
    tampered = body.replace("VN", "VM")
    assert f"{crc16_ccitt_false(tampered.encode('ascii')):04X}" != crc


def test_the_payload_layout():
    text = payload("970436", "0011004123456", 435_000, "DEMO01-000042")
    fields = parse(text)
    assert list(fields) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert fields["00"] == "01"
    assert fields["01"] == "12"  # dynamic: a QR for one payment of a fixed amount
    merchant = parse(fields["38"])
    assert merchant == {"00": "A000000727", "01": "000697043601130011004123456", "02": "QRIBFTTA"}
    assert parse(merchant["01"]) == {"00": "970436", "01": "0011004123456"}
    assert fields["53"] == "704"
    assert fields["54"] == "435000"
    assert fields["58"] == "VN"
    assert parse(fields["62"]) == {"01": "DEMO01-000042", "08": "OCOP DEMO01-000042"}  # bill number, purpose
    # The CRC covers everything up to and including "6304", and is 4 upper-case hex digits.
    assert text[-8:-4] == "6304"
    assert text[-4:] == f"{crc16_ccitt_false(text[:-4].encode('ascii')):04X}"
    assert text == text.strip() and text.isascii()


def test_our_payload_matches_a_published_one_field_for_field():
    # The same bank, account and amount as the subiz/vietqr example: everything before the
    # additional data (tag 62, where that example puts a message and we put the bill number) is identical.
    ours = payload("970415", "0011001932418", 120_000, "X")
    published = PUBLISHED[0]
    prefix = published[:published.index("5802VN") + len("5802VN")]
    assert ours.startswith(prefix)
    assert {k: v for k, v in parse(ours).items() if k not in ("62", "63")} == \
        {k: v for k, v in parse(published).items() if k not in ("62", "63")}


def test_lengths_are_two_digits_and_counted_in_characters():
    assert tlv("54", "5") == "54015"
    assert tlv("62", "x" * 99) == "6299" + "x" * 99
    with pytest.raises(ValueError):
        tlv("62", "x" * 100)


@pytest.mark.parametrize("amount", [1, 9, 10, 99_999, 1_000_000, 10**12])
def test_amounts_are_plain_digits(amount):
    assert parse(payload("970436", "123", amount, "S-1"))["54"] == str(amount)


@pytest.mark.parametrize("bank_bin, account, amount", [
    ("97043", "123", 1), ("9704366", "123", 1), ("97O436", "123", 1), ("970436", "", 1),
    ("970436", "1" * 20, 1), ("970436", "12 3", 1), ("970436", "123", 0), ("970436", "123", -5),
    ("970436", "123", 10**13),
])
def test_bad_settings_or_amounts_are_refused(bank_bin, account, amount):
    with pytest.raises(ValueError):
        payload(bank_bin, account, amount, "S-1")


def test_parse_reads_what_payload_writes():
    text = payload("970422", "VQRQAENYI0529", 10_000, "BMT02-000001")
    assert parse(text)["63"] == text[-4:]
    assert "".join(tlv(tag, value) for tag, value in parse(text).items()) == text


def test_the_svg_scans_back_to_the_payload():
    text = payload("970422", "VQRQAENYI0529", 145_000, "BMT02-000001")
    root = ElementTree.fromstring(svg(text))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    size = int(root.get("viewBox").split()[2])
    # Draw the path's unit squares ("Mx,yH..V..H..z") 8 pixels each on white, and let a scanner read it.
    picture = Image.new("L", (size * 8, size * 8), 255)
    draw = ImageDraw.Draw(picture)
    squares = re.findall(r"M(\d+),(\d+)H", root.find("{http://www.w3.org/2000/svg}path").get("d"))
    assert squares
    for x, y in squares:
        draw.rectangle((int(x) * 8, int(y) * 8, int(x) * 8 + 7, int(y) * 8 + 7), fill=0)
    [read] = zxingcpp.read_barcodes(picture)
    assert (read.format, read.text) == (zxingcpp.BarcodeFormat.QRCode, text)


def test_the_app_loads_qrcode_only_when_a_qr_is_drawn(tmp_path):
    loaded = subprocess.run([sys.executable, "-c", (
        "import sys; from kiosk import create_app; from kiosk.payments import vietqr; "
        f"create_app({{'INSTANCE_PATH': {str(tmp_path)!r}}}); before = 'qrcode' in sys.modules; "
        "vietqr.svg('1'); print(before, 'qrcode' in sys.modules)")],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2]).stdout
    assert loaded.split() == ["False", "True"]
