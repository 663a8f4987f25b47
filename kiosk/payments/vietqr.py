"""NAPAS VietQR (EMVCo merchant-presented QR) payloads for a bank transfer of a fixed amount."""
from __future__ import annotations

import re

NAPAS_GUID = "A000000727"
TRANSFER_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMV field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def payload(bank_bin: str, account_no: str, amount_vnd: int, bill_number: str) -> str:
    if not re.fullmatch(r"\d{6}", bank_bin):
        raise ValueError("VIETQR_BANK_BIN is the bank's 6-digit BIN")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account_no):
        raise ValueError("VIETQR_ACCOUNT_NO is 1 to 19 letters or digits")
    if not 0 < amount_vnd < 10**13:
        raise ValueError("a VietQR amount is a positive whole number of đồng")
    if not re.fullmatch(r"[0-9A-Za-z-]{1,20}", bill_number):
        raise ValueError("a VietQR bill number is 1 to 20 ASCII letters, digits or dashes")
    beneficiary = tlv("00", bank_bin) + tlv("01", account_no)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", TRANSFER_TO_ACCOUNT)
    body = (tlv("00", "01") + tlv("01", "12") + tlv("38", merchant) + tlv("53", CURRENCY_VND)
            + tlv("54", str(amount_vnd)) + tlv("58", "VN") + tlv("62", tlv("01", bill_number) + tlv("08", f"OCOP {bill_number}")) + "6304")
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse(text: str) -> dict[str, str]:
    """Top-level EMV fields of a payload, tag to value (for tests and for checking a printed QR)."""
    fields, i = {}, 0
    while i < len(text):
        tag, length = text[i:i + 2], int(text[i + 2:i + 4])
        fields[tag] = text[i + 4:i + 4 + length]
        i += 4 + length
    return fields


def svg(text: str) -> str:
    """The payload as a QR code in SVG, for a screen to show (4 modules of quiet zone around it)."""
    import qrcode  # only here: a serving kiosk loads it with the first QR it draws
    from qrcode.image.svg import SvgPathImage

    return qrcode.make(text, image_factory=SvgPathImage, box_size=10, border=4).to_string(encoding="unicode")
