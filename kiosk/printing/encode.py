"""ESC/POS bytes for a receipt, built with python-escpos.

``image`` (the default) prints the whole receipt as a raster image; ``tcvn3`` prints text in the
Epson TCVN-3 code pages; ``ascii`` strips the tones for printers where both fail.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.catalog.search import strip_diacritics
from kiosk.printing.document import QR, Receipt, Row, Rule, _row_lines, wrap

if TYPE_CHECKING:
    from escpos.printer import Dummy

MODES = ("image", "tcvn3", "ascii")
ESC = b"\x1b"


@dataclass(frozen=True)
class Layout:
    """How one printer prints: its mode, dot width, python-escpos profile and font files."""

    mode: str
    width_dots: int
    profile: str | None
    font_regular: str
    font_bold: str

    @property
    def columns(self) -> int:
        return self.width_dots // 12  # Font A is 12 dots wide

    def render(self, receipt: Receipt):
        from kiosk.printing import raster  # Pillow loads with the first receipt, not with the app

        return raster.render(receipt, self.width_dots, self.font_regular, self.font_bold)


def _tcvn3_table() -> dict[str, tuple[int, int]]:
    """Character -> (Epson code page number, byte) for the two TCVN-3 tables (their upper halves)."""
    from escpos.codepages import CodePages

    table: dict[str, tuple[int, int]] = {}
    for page, name in ((30, "TCVN-3-1"), (31, "TCVN-3-2")):
        for index, char in enumerate("".join(CodePages.get_encoding(name)["data"])):
            if char != " ":
                table.setdefault(char, (page, 128 + index))
    table["Đ"] = table["Ð"]  # the table writes capital Đ with the look-alike Ð (U+00D0)
    return table


_TCVN3: dict[str, tuple[int, int]] | None = None


def encode_tcvn3(text: str) -> bytes:
    """Text in TCVN-3, switching between Epson code pages 30 and 31 as the letters need."""
    global _TCVN3
    if _TCVN3 is None:
        _TCVN3 = _tcvn3_table()
    out, page = bytearray(), None
    for char in unicodedata.normalize("NFC", text):
        if ord(char) < 128:
            out.append(ord(char))
            continue
        page_byte = _TCVN3.get(char)
        if page_byte is None:
            out += ascii_text(char)
            continue
        if page_byte[0] != page:
            page = page_byte[0]
            out += ESC + b"t" + bytes((page,))
        out.append(page_byte[1])
    return bytes(out)


_ASCII_SYMBOLS = str.maketrans({"₫": "d", "★": "*"})


def ascii_text(text: str) -> bytes:
    """Tones stripped and đ written d: readable on any printer."""
    return strip_diacritics(text.translate(_ASCII_SYMBOLS)).encode("ascii", "replace")


def encode(receipt: Receipt, layout: Layout, image=None) -> bytes:
    """The receipt's ESC/POS bytes; ``image``, when given, is ``layout.render(receipt)`` made already."""
    from escpos.capabilities import get_profile
    from escpos.printer import Dummy

    printer = Dummy(profile=get_profile(layout.profile) if layout.profile else None)
    if not str(printer.profile.profile_data["media"]["width"].get("pixels", "")).isdigit():
        # A profile that does not know its paper: tell it ours (on this instance only), so that
        # python-escpos checks image widths against it rather than printing a warning per receipt.
        media = {**printer.profile.profile_data["media"], "width": {"pixels": layout.width_dots}}
        printer.profile.profile_data = {**printer.profile.profile_data, "media": media}
    printer.hw("INIT")
    if layout.mode == "image":
        printer.image(image or layout.render(receipt), impl="bitImageRaster")
    else:
        _print_text(printer, receipt, layout)
    printer.cut()
    if receipt.open_drawer:
        printer.cashdraw(2)
    return printer.output


def _print_text(printer: Dummy, receipt: Receipt, layout: Layout) -> None:
    encoder = encode_tcvn3 if layout.mode == "tcvn3" else ascii_text
    for block in receipt.blocks:
        if isinstance(block, QR):
            printer.set(align="center")
            from kiosk.printing.raster import qr_image

            printer.image(qr_image(block.payload, layout.width_dots), impl="bitImageRaster")
            continue
        bold = getattr(block, "bold", False)
        large = getattr(block, "large", False)
        printer.set(align=getattr(block, "align", "left"), bold=bold, double_height=large, normal_textsize=not large)
        if isinstance(block, Rule):
            lines = ["-" * layout.columns]
        elif isinstance(block, Row):
            lines = _row_lines(block.left, block.right, layout.columns)
        else:
            lines = wrap(block.text, layout.columns)
        for line in lines:
            printer._raw(encoder(line) + b"\n")
    printer.set(align="left", bold=False, normal_textsize=True)
