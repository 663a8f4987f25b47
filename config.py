"""Settings for both apps: defaults in classes, then the environment.

``create_app`` picks a class and calls :func:`load` once, at app creation;
nothing here reads the environment at import time.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
ENVIRONMENTS = ("development", "testing", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Config:
    APP_ENV = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: a SQLite file in instance/
    # A failed statement's parameters (a device token in the kiosk's settings, say) stay out of errors and logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A cashier's screen stays open all day: the CSRF token lives as long as the session.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_LIFETIME_SECONDS = 24 * 3600  # a page session ends a day after its login (an all-day shift fits)
    MAX_CONTENT_LENGTH = 1024 * 1024
    JSON_SORT_KEYS = False
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    LOGIN_MAX_FAILURES = 5  # per username ...
    LOGIN_MAX_FAILURES_PER_ADDRESS = 30  # ... and per address
    LOGIN_WINDOW_SECONDS = 300
    API_TOKEN_TTL_SECONDS = 12 * 3600
    DATABASE_FILE = "app.sqlite3"
    LOG_LEVEL = "INFO"  # DEBUG, INFO, WARNING, ERROR or CRITICAL: the apps' JSON log lines on stderr
    METRICS_TOKEN: str | None = None  # a scraper's bearer token for GET /metrics (besides the reading roles)


class KioskConfig(Config):
    DATABASE_FILE = "kiosk.sqlite3"
    # Each app its own cookies and development key: on one host a browser sends each app the other's cookies.
    SESSION_COOKIE_NAME = "kiosk_session"
    REMEMBER_COOKIE_NAME = "kiosk_remember_token"
    SECRET_KEY_FILE = "kiosk_secret_key"
    KIOSK_CODE = "DEMO01"
    KIOSK_NAME = "Điểm bán OCOP Đắk Lắk"
    KIOSK_ADDRESS = "Chợ Buôn Ma Thuột, phường Buôn Ma Thuột, Đắk Lắk"
    CENTRAL_URL: str | None = None  # when set, wins over the URL stored by `flask --app kiosk enroll`
    SYNC_INTERVAL = 30.0  # seconds between sync cycles while all is well (failures back off up to 10 minutes)
    SYNC_TIMEOUT = 30.0  # seconds for one request to central
    SYNC_BATCH = 500  # events a push request carries (the contract's most)
    PRINTER_URL = "preview"
    PRINTER_PAPER_MM = 80
    PRINTER_MODE = "image"  # image (Vietnamese always right), tcvn3 (Epson text), ascii (tones stripped)
    PRINTER_PROFILE: str | None = None  # a python-escpos profile name, e.g. TM-T88V, POS-5890
    PRINTER_TIMEOUT = 10.0  # seconds for connecting and for each write
    PRINTER_STATUS_TIMEOUT = 0.5  # seconds to wait for the paper sensor's answer; 0 skips the check
    RECEIPT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    RECEIPT_FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    RECEIPT_FOOTER = "Cảm ơn quý khách! Sản phẩm OCOP Đắk Lắk"
    # A sample account (Vietcombank's BIN); set the kiosk's own in production.
    VIETQR_BANK_BIN = "970436"
    VIETQR_ACCOUNT_NO = "0011004123456"
    VIETQR_ACCOUNT_NAME = "HTX NONG SAN OCOP DAK LAK"
    LOW_STOCK_THRESHOLD = 5


class CentralConfig(Config):
    DATABASE_FILE = "central.sqlite3"
    SESSION_COOKIE_NAME = "central_session"
    REMEMBER_COOKIE_NAME = "central_remember_token"
    SECRET_KEY_FILE = "central_secret_key"
    # pool_pre_ping: PostgreSQL connections dropped by a restart
    SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_pre_ping": True}
    SALES_PAGE_SIZE = 50
    CERTIFICATE_WARNING_DAYS = 90  # a certificate expiring within this many days is an alert
    LOW_STOCK_THRESHOLD = 5  # on hand at a sale point under this is a low_stock alert


class TestConfig:
    """Mixed into an app's config class by the tests: ``type("T", (TestConfig, KioskConfig), {})``."""

    APP_ENV = "testing"
    TESTING = True


# Environment variables each app reads, with the type to parse them as.
_COMMON = {
    "APP_ENV": str,
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "SESSION_COOKIE_SECURE": bool,
    "LOG_LEVEL": str,
    "METRICS_TOKEN": str,
}
_KIOSK = {
    "CENTRAL_URL": str,
    "SYNC_INTERVAL": float,
    "SYNC_TIMEOUT": float,
    "PRINTER_URL": str,
    "PRINTER_PAPER_MM": int,
    "PRINTER_MODE": str,
    "PRINTER_PROFILE": str,
    "PRINTER_TIMEOUT": float,
    "PRINTER_STATUS_TIMEOUT": float,
    "RECEIPT_FONT": str,
    "RECEIPT_FONT_BOLD": str,
    "VIETQR_BANK_BIN": str,
    "VIETQR_ACCOUNT_NO": str,
    "VIETQR_ACCOUNT_NAME": str,
    "KIOSK_CODE": str,
    "KIOSK_NAME": str,
    "KIOSK_ADDRESS": str,
    "RECEIPT_FOOTER": str,
}


class ConfigError(RuntimeError):
    """The settings cannot make a safe app; the message says what to set."""


def configure(app, config_class: type, test_config: dict | None) -> None:
    """An app's settings: ``config_class``, then the environment; or, for a test, ``TestConfig`` and
    ``test_config`` with the environment ignored. Also makes the instance folder."""
    app.config.from_object(config_class)
    if test_config is not None:
        app.config.from_object(TestConfig)
        app.config.update(test_config)
    load(app.config, app.instance_path, environ={} if test_config is not None else None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.json.sort_keys = False


def _parse(name: str, raw: str, kind: type):
    if kind is bool:
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    return raw


def load(config: dict, instance_path: str, environ=None) -> None:
    """Overlay environment variables on ``config`` and check the result."""
    environ = os.environ if environ is None else environ
    names = dict(_COMMON)
    if "KIOSK_CODE" in config:
        names.update(_KIOSK)
    from_env = {n: _parse(n, environ[n], kind) for n, kind in names.items() if environ.get(n)}
    if "DATABASE_URL" in from_env:
        config["SQLALCHEMY_DATABASE_URI"] = from_env.pop("DATABASE_URL")
    config.update(from_env)

    config["LOG_LEVEL"] = str(config.get("LOG_LEVEL") or "INFO").upper()
    if config["LOG_LEVEL"] not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {config['LOG_LEVEL']!r}")
    if config.get("METRICS_TOKEN") and len(config["METRICS_TOKEN"]) < 16:
        raise ConfigError("METRICS_TOKEN must be at least 16 characters (a long random string).")

    env = config["APP_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if env == "production":
        if not config.get("SECRET_KEY"):
            raise ConfigError(
                "SECRET_KEY is not set. In production the app refuses to start without it: "
                "set SECRET_KEY to a long random string (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if "SESSION_COOKIE_SECURE" not in from_env:
            config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = (_local_secret(Path(instance_path) / config["SECRET_KEY_FILE"])
                                if env == "development" else secrets.token_hex(32))
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(instance_path) / config["DATABASE_FILE"]
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"


def _local_secret(path: Path) -> str:
    """A development key made on first run and kept in instance/, never in the repository."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
