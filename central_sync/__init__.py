"""The central inventory and sync server."""
from flask import Flask

import config


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    config.configure(app, config.CentralConfig, test_config)

    from central_sync import cli, database, home, i18n, protocol, ui
    from central_sync.protocol import logs, security
    from central_sync.extensions import CentralSession, babel, csrf, db, login_manager, migrate
    from central_sync.sync import changes

    logs.init_app(app)  # LOG_LEVEL, JSON lines, one per request
    app.config["SQLALCHEMY_DATABASE_URI"] = database.normalise_url(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    with app.app_context():
        database.configure(db.engine)
    changes.listen(CentralSession)  # what the kiosks pull is noted at each commit
    migrate.init_app(app, db, directory=str(config.BASE_DIR / "migrations" / "central_sync"))
    protocol.register_error_handlers(app)
    security.register(app)  # CSP, frame denial, nosniff on every answer
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    i18n.register(app)
    ui.register(app)  # CSRF on the pages' forms only: the API authenticates with bearer tokens

    from central_sync import auth, network, openapi, reports, stock, sync
    for domain in (auth, network, stock, reports, sync, openapi):
        app.register_blueprint(domain.api, url_prefix="/api/v1")
    app.register_blueprint(home.bp)
    from central_sync.auth import views as auth_views
    from central_sync.catalog import views as catalog_views
    from central_sync.network import views as network_views
    from central_sync.stock import views as stock_views
    for views in (auth_views, catalog_views, network_views, stock_views):
        app.register_blueprint(views.bp)  # the admin pages
    from central_sync.review import views_health
    app.register_blueprint(views_health.bp)  # kiosk health and alerts
    from central_sync.review import views_producer, views_stock
    app.register_blueprint(views_stock.bp), app.register_blueprint(views_producer.bp)  # stock review, producers
    from central_sync.review import views_sales
    app.register_blueprint(views_sales.bp)  # the sales review pages
    from central_sync.review import views_metrics
    app.register_blueprint(views_metrics.bp)  # GET /metrics: the kiosks' sync lag (Prometheus)

    cli.register(app)
    return app
