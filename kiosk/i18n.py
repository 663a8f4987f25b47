"""Language choice (Vietnamese first, English available) and the display filters."""
from datetime import datetime

from flask import current_app, session
from flask_babel import format_datetime


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def vnd(amount: int | None) -> str:
    """45000 -> '45.000 ₫' (dot thousands separator, as Vietnamese write it)."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " ₫"


def local_time(value: datetime | None, fmt: str = "dd/MM/yyyy HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def register(app) -> None:
    app.add_template_filter(vnd)
    app.add_template_filter(local_time)
