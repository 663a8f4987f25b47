"""Drawing a receipt as a 1-bit image at the printer's dot width, in a TTF font with Vietnamese glyphs.

Text printed as an image comes out right on any ESC/POS printer, whatever its code pages.
"""
from __future__ import annotations

from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont

from kiosk.printing.document import QR, Receipt, Row, Rule

MARGIN = 8
LINE_GAP = 4


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


class Fonts:
    """The regular and bold faces at the body and large sizes for one paper width."""

    def __init__(self, regular: str, bold: str, width_dots: int):
        self.size = 22 if width_dots <= 384 else 26
        self.regular, self.bold = regular, bold

    def get(self, bold: bool = False, large: bool = False) -> ImageFont.FreeTypeFont:
        return _font(self.bold if bold else self.regular, self.size + 8 if large else self.size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def qr_image(payload: str, width_dots: int) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=1)
    qr.add_data(payload)
    qr.make(fit=True)
    modules = qr.make_image().get_image().convert("1")
    scale = max(1, min(8, (width_dots * 2 // 3) // modules.width))
    return modules.resize((modules.width * scale, modules.height * scale), Image.NEAREST)


def render(receipt: Receipt, width_dots: int, font_regular: str, font_bold: str) -> Image.Image:
    fonts = Fonts(font_regular, font_bold, width_dots)
    inner = width_dots - 2 * MARGIN
    ops: list[tuple] = []  # (kind, y, ...) laid out first, so the canvas is made once at its height
    y = MARGIN
    for block in receipt.blocks:
        if isinstance(block, Rule):
            ops.append(("rule", y + 6))
            y += 14
        elif isinstance(block, QR):
            image = qr_image(block.payload, width_dots)
            ops.append(("image", (width_dots - image.width) // 2, y, image))
            y += image.height + LINE_GAP
        elif isinstance(block, Row):
            font = fonts.get(bold=block.bold)
            right_width = font.getlength(block.right)
            height = font.size + LINE_GAP
            lines = _wrap(block.left, font, inner)
            for line in lines:
                ops.append(("text", MARGIN, y, line, font))
                y += height
            if font.getlength(lines[-1]) + 12 + right_width <= inner:
                y -= height  # the amount fits on the label's last line
            ops.append(("text", int(width_dots - MARGIN - right_width), y, block.right, font))
            y += height
        else:
            font = fonts.get(bold=block.bold, large=block.large)
            for line in _wrap(block.text, font, inner):
                x = MARGIN if block.align == "left" else int((width_dots - font.getlength(line)) // 2)
                ops.append(("text", max(x, 0), y, line, font))
                y += font.size + LINE_GAP
    height = y + MARGIN + 40  # a little paper after the last line, before the cut

    canvas = Image.new("L", (width_dots, height), 255)
    draw = ImageDraw.Draw(canvas)
    for op in ops:
        if op[0] == "rule":
            draw.line((MARGIN, op[1], width_dots - MARGIN, op[1]), fill=0, width=2)
        elif op[0] == "image":
            canvas.paste(op[3].convert("L"), (op[1], op[2]))
        else:
            draw.text((op[1], op[2]), op[3], font=op[4], fill=0)
    return canvas.point(lambda v: 0 if v < 160 else 255, mode="1")
