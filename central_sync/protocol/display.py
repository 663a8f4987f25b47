"""The catalogue's vocabulary and what both apps' pages show: money and time as people read them, the language."""
import re

from flask import current_app, session
from flask_babel import format_datetime

# The catalogue's vocabulary, as it travels down to the kiosks.
PRODUCER_KINDS = ("cooperative", "company", "household")
OCOP_GROUPS = ("food", "beverage", "herbal", "textile", "handicraft", "tourism")  # Decision 148/QĐ-TTg


# What both apps' pages share: money and time as people read them, the language, a form's one commit.
# (Here because the kiosk imports nothing else of central_sync.)
_MONEY = re.compile(r"(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*(k|nghìn|ngàn)?", re.IGNORECASE)


def vnd(amount: int | None) -> str:
    """45000 -> '45.000 ₫' (dot thousands separator, as Vietnamese write it)."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " ₫"


def parse_money(text: str) -> int | None:
    """'45.000', '45,000', '45 000 ₫', '45000' and '45k' are all 45000 đồng; anything else is None."""
    cleaned = text.strip().removesuffix("₫").removesuffix("đ").strip()
    match = _MONEY.fullmatch(cleaned)
    if match is None:
        return None
    value = int(re.sub(r"\D", "", match.group(1)))
    return value * 1000 if match.group(2) else value


def local_time(value, fmt: str = "dd/MM/yyyy HH:mm") -> str:
    """A UTC moment in the reader's time zone (BABEL_DEFAULT_TIMEZONE: Asia/Ho_Chi_Minh)."""
    return format_datetime(value, fmt) if value else ""


def select_locale() -> str:
    """The language chosen in the session, else the default (Vietnamese)."""
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
