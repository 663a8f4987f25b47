"""What a receipt says, as a list of blocks that every output (image, text, ESC/POS) lays out.

Paper is Vietnamese whatever the screen's language: the customer reads it.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.clock import LOCAL_TZ
from kiosk.i18n import vnd
from kiosk.models import Sale

METHOD_LABELS = {"cash": "Tiền mặt", "transfer": "Chuyển khoản", "card": "Thẻ"}


@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"  # left, center
    bold: bool = False
    large: bool = False


@dataclass(frozen=True)
class Row:
    """A label on the left and an amount on the right."""

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class QR:
    payload: str


Block = Text | Row | Rule | QR


@dataclass(frozen=True)
class Receipt:
    blocks: tuple[Block, ...]
    open_drawer: bool = False


@dataclass(frozen=True)
class Shop:
    """The sale point as printed on its receipts."""

    name: str
    address: str
    footer: str
    bank_bin: str
    account_no: str
    account_name: str

    @classmethod
    def from_config(cls, config) -> "Shop":
        return cls(config["KIOSK_NAME"], config["KIOSK_ADDRESS"], config["RECEIPT_FOOTER"],
                   config["VIETQR_BANK_BIN"], config["VIETQR_ACCOUNT_NO"], config["VIETQR_ACCOUNT_NAME"])


def _header(shop: Shop, title: str, reprint: bool) -> list[Block]:
    blocks: list[Block] = [Text(shop.name, "center", bold=True, large=True), Text(shop.address, "center"), Rule(),
                           Text(title, "center", bold=True, large=True)]
    if reprint:
        blocks.append(Text("*** IN LẠI - BẢN SAO ***", "center", bold=True))
    return blocks


def sale_receipt(sale: Sale, shop: Shop, reprint: bool = False) -> Receipt:
    when = sale.created_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    blocks = _header(shop, "HÓA ĐƠN BÁN HÀNG", reprint)
    blocks += [Row("Số:", sale.number), Row("Ngày:", when), Row("Thu ngân:", sale.cashier.username), Rule()]
    for line in sale.lines:
        blocks.append(Text(f"{line.name} ({'★' * line.ocop_stars} OCOP)", bold=True))
        blocks.append(Row(f"  {line.qty} x {vnd(line.unit_price_vnd)}", vnd(line.qty * line.unit_price_vnd)))
        if line.discount_vnd:
            blocks.append(Row("  Giảm giá", vnd(-line.discount_vnd)))
    blocks += [Rule(), Row("TỔNG CỘNG", vnd(sale.total_vnd), bold=True)]
    blocks += [Row(METHOD_LABELS[p.method], vnd(p.amount_vnd)) for p in sale.payments]
    if sale.change_vnd:
        blocks.append(Row("Tiền thừa trả khách", vnd(sale.change_vnd)))
    if sale.vietqr:
        transfer = sum(p.amount_vnd for p in sale.payments if p.method == "transfer")
        blocks += [Rule(), Text(f"Quét VietQR để chuyển {vnd(transfer)}", "center", bold=True), QR(sale.vietqr),
                   Text(f"{shop.account_name} - STK {shop.account_no}", "center")]
    blocks += [Rule(), Text(shop.footer, "center")]
    # The drawer opens for cash, and not again for a reprint.
    return Receipt(tuple(blocks), open_drawer=not reprint and any(p.method == "cash" for p in sale.payments))


def z_report_receipt(report: dict, shop: Shop, opened_at, closed_at, closed_by: str) -> Receipt:
    def when(value):
        return value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M") if value else ""

    by_method = report["by_method"]
    blocks = _header(shop, "BÁO CÁO CHỐT CA (Z)", reprint=False)
    blocks += [
        Row("Mở ca:", when(opened_at)), Row("Chốt ca:", when(closed_at)), Row("Người chốt:", closed_by), Rule(),
        Row("Số đơn bán", str(report["sales_count"])), Row("Doanh thu", vnd(report["gross_vnd"])),
        Row("Hoàn tiền", vnd(report["refunds_vnd"])), Row("Doanh thu thuần", vnd(report["net_vnd"]), bold=True),
        Rule(),
        Row("Tiền mặt (thu - thối)", vnd(by_method["cash"])), Row("Chuyển khoản", vnd(by_method["transfer"])),
        Row("Thẻ", vnd(by_method["card"])), Rule(),
        Row("Tiền đầu ca", vnd(report["opening_cash_vnd"])), Row("Tiền mặt phải có", vnd(report["expected_cash_vnd"])),
        Row("Tiền mặt đếm được", vnd(report["counted_cash_vnd"])),
        Row("Chênh lệch", vnd(report["variance_vnd"]), bold=True),
    ]
    return Receipt(tuple(blocks))


def to_text(receipt: Receipt, columns: int) -> str:
    """The receipt as plain UTF-8 text, ``columns`` characters wide (QR codes as their payload)."""
    out: list[str] = []
    for block in receipt.blocks:
        if isinstance(block, Rule):
            out.append("-" * columns)
        elif isinstance(block, Row):
            out.extend(_row_lines(block.left, block.right, columns))
        elif isinstance(block, QR):
            out.append(f"[VietQR] {block.payload}")
        else:
            for line in wrap(block.text, columns):
                out.append(line.center(columns).rstrip() if block.align == "center" else line)
    return "\n".join(out) + "\n"


def _row_lines(left: str, right: str, columns: int) -> list[str]:
    lines = wrap(left, max(columns - len(right) - 1, 8))
    last = lines[-1]
    if len(last) + 1 + len(right) > columns:
        return lines + [right.rjust(columns)]
    return lines[:-1] + [last + " " * (columns - len(last) - len(right)) + right]


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by character count; words longer than a line are cut."""
    lines, current = [], ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines
