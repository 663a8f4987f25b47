"""The central inventory and sync server."""
from flask import Flask

import config


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    config.configure(app, config.CentralConfig, test_config)

    from central_sync import cli, database, home, protocol
    from central_sync.extensions import db, migrate

    app.config["SQLALCHEMY_DATABASE_URI"] = database.normalise_url(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    with app.app_context():
        database.configure(db.engine)
    migrate.init_app(app, db, directory=str(config.BASE_DIR / "migrations" / "central_sync"))
    protocol.register_error_handlers(app)

    from central_sync import auth, network, openapi, reports, stock
    for domain in (auth, network, stock, reports, openapi):
        app.register_blueprint(domain.api, url_prefix="/api/v1")
    app.register_blueprint(home.bp)

    cli.register(app)
    return app
