"""Receipts on ESC/POS thermal printers, in correct Vietnamese (DESIGN.md "Receipts")."""
from pathlib import Path

from config import ConfigError
from kiosk.printing.api import bp as api
from kiosk.printing.devices import parse_printer_url
from kiosk.printing.encode import MODES
from kiosk.printing.views import bp as views

__all__ = ["api", "check_config", "views"]


def check_config(config) -> None:
    """Refuse to start with a printer set-up that can never print, saying what to fix."""
    try:
        parse_printer_url(config["PRINTER_URL"])
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if config["PRINTER_PAPER_MM"] not in (58, 80):
        raise ConfigError("PRINTER_PAPER_MM must be 58 or 80")
    if config["PRINTER_MODE"] not in MODES:
        raise ConfigError(f"PRINTER_MODE must be one of {', '.join(MODES)}")
    for name in ("RECEIPT_FONT", "RECEIPT_FONT_BOLD"):
        if not Path(config[name]).is_file():
            raise ConfigError(f"{name}: no font file at {config[name]} (install fonts-dejavu-core, or point it "
                              "at a TTF font with Vietnamese glyphs)")

