"""The kiosk point-of-sale app."""
import re

from flask import Flask

import config
from kiosk import printing
from kiosk.payments import vietqr


def check_settings(settings) -> None:
    """Refuse to start with kiosk settings that would fail sales later, saying what to fix."""
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{1,15}", settings["KIOSK_CODE"]):
        raise config.ConfigError("KIOSK_CODE is 2 to 16 capital letters, digits or dashes (it prefixes receipt numbers)")
    try:
        vietqr.payload(settings["VIETQR_BANK_BIN"], settings["VIETQR_ACCOUNT_NO"], 1, f"{settings['KIOSK_CODE']}-1")
    except ValueError as error:
        raise config.ConfigError(f"VietQR settings: {error}") from None


def _use_enrolled_location(app: Flask) -> None:
    """An enrolled kiosk is the location central says it is (its code numbers the receipts)."""
    from sqlalchemy.exc import OperationalError

    from kiosk.extensions import db
    from kiosk.sync import pull, state

    with app.app_context():
        try:
            pull.use_location(app.config, state.get(state.LOCATION))
        except OperationalError:  # no database yet: `db upgrade` or `seed-demo` makes it
            pass
        finally:
            db.session.rollback()


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    config.configure(app, config.KioskConfig, test_config)
    check_settings(app.config)
    printing.check_config(app.config)

    from central_sync.protocol import logs, security
    from kiosk import cli, database, errors, i18n
    from kiosk.extensions import babel, csrf, db, login_manager

    logs.init_app(app)  # LOG_LEVEL, JSON lines, one per request
    db.init_app(app)
    with app.app_context():
        database.configure_sqlite(db.engine)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    i18n.register(app)
    errors.register_error_handlers(app)
    security.register(app)  # CSP, frame denial, nosniff on every answer

    from kiosk import audit, auth, catalog, home, metrics, openapi, sales, shifts, stock
    for domain in (auth, catalog, shifts, sales, stock, printing):
        app.register_blueprint(domain.api, url_prefix="/api/v1")
        csrf.exempt(domain.api)  # the API checks CSRF itself for session callers (auth.guards)
    for domain in (auth, catalog, shifts, sales, stock, printing, audit):
        app.register_blueprint(domain.views)
    from kiosk.sync import api as sync_api, views as sync_views
    app.register_blueprint(sync_api.bp, url_prefix="/api/v1")
    csrf.exempt(sync_api.bp)
    app.register_blueprint(sync_views.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(metrics.bp)  # GET /metrics: sync backlog and age, print queue (Prometheus)
    app.register_blueprint(openapi.bp, url_prefix="/api/v1")
    _use_enrolled_location(app)

    cli.register(app)
    return app
