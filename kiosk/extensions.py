"""Flask extensions, created unbound; ``create_app`` binds them."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from kiosk.models.base import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def init_migrations(app) -> None:
    """Flask-Migrate, bound only where migrations run (the CLI, set-up, tests): Alembic costs a
    serving kiosk 10 MB of its 80 MB memory budget for nothing."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from config import BASE_DIR

    Migrate(app, db, directory=str(BASE_DIR / "migrations" / "kiosk"), render_as_batch=True)
