"""Settings: defaults, then the environment; unsafe or unusable settings refuse to start, saying why."""
import pytest

import config
from kiosk import create_app
from tests.conftest import kiosk_app


def settings(config_class=config.KioskConfig, **overrides):
    values = {name: getattr(config_class, name) for name in dir(config_class) if name.isupper()}
    values.update(overrides)
    return values


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(config.ConfigError, match="SECRET_KEY is not set"):
        config.load(settings(), str(tmp_path), {"APP_ENV": "production"})


def test_production_cookies_are_secure_unless_told_otherwise(tmp_path):
    values = settings()
    config.load(values, str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "x" * 64})
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    lan = settings()
    config.load(lan, str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "x" * 64,
                                     "SESSION_COOKIE_SECURE": "false"})
    assert lan["SESSION_COOKIE_SECURE"] is False


def test_development_makes_a_key_once_and_keeps_it_out_of_the_repository(tmp_path):
    first, second = settings(), settings()
    config.load(first, str(tmp_path), {})
    config.load(second, str(tmp_path), {})
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "kiosk_secret_key").stat().st_mode & 0o077 == 0


def test_the_two_apps_never_share_cookies_or_a_development_key(tmp_path):
    kiosk, central = settings(), settings(config.CentralConfig)
    config.load(kiosk, str(tmp_path), {})
    config.load(central, str(tmp_path), {})
    assert kiosk["SECRET_KEY"] != central["SECRET_KEY"]
    assert kiosk["SESSION_COOKIE_NAME"] != central["SESSION_COOKIE_NAME"]
    assert kiosk["REMEMBER_COOKIE_NAME"] != central["REMEMBER_COOKIE_NAME"]


def test_the_environment_overrides_the_defaults(tmp_path):
    values = settings()
    config.load(values, str(tmp_path), {"DATABASE_URL": "sqlite:////tmp/other.sqlite3", "KIOSK_CODE": "EAKAR01",
                                        "PRINTER_PAPER_MM": "58", "PRINTER_TIMEOUT": "2.5"})
    assert values["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/other.sqlite3"
    assert (values["KIOSK_CODE"], values["PRINTER_PAPER_MM"], values["PRINTER_TIMEOUT"]) == ("EAKAR01", 58, 2.5)


@pytest.mark.parametrize("env, message", [
    ({"APP_ENV": "staging"}, "APP_ENV"),
    ({"PRINTER_PAPER_MM": "wide"}, "PRINTER_PAPER_MM must be a number"),
    ({"SESSION_COOKIE_SECURE": "maybe"}, "true or false"),
])
def test_malformed_settings_are_named(tmp_path, env, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load(settings(), str(tmp_path), env)


@pytest.mark.parametrize("overrides, message", [
    ({"KIOSK_CODE": "chợ 1"}, "KIOSK_CODE"),
    ({"KIOSK_CODE": "A" * 17}, "KIOSK_CODE"),
    ({"VIETQR_BANK_BIN": "VCB"}, "BIN"),
    ({"VIETQR_ACCOUNT_NO": "0011-0041"}, "VIETQR_ACCOUNT_NO"),
])
def test_settings_that_would_break_sales_refuse_to_start(tmp_path, overrides, message):
    with pytest.raises(config.ConfigError, match=message):
        kiosk_app(tmp_path, **overrides)


def test_the_app_reads_the_environment_when_not_testing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("KIOSK_CODE", "BMT01")
    app = create_app()
    assert app.config["KIOSK_CODE"] == "BMT01"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")
