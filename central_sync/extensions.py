"""Flask extensions of the central app, created unbound; ``create_app`` binds them."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf.csrf import CSRFProtect

from central_sync.models.base import Base



class CentralSession(Session):
    """The central app's sessions: the sync's change log listens to these only (central_sync.sync.changes)."""


db = SQLAlchemy(model_class=Base, session_options={"class_": CentralSession})
# Bound at app creation (central is a server with memory to spare, unlike a kiosk): Flask-Migrate then adds
# its own `flask db` commands, reading migrations/central_sync.
migrate = Migrate(render_as_batch=True)
# The admin pages: sessions, CSRF on their forms (the JSON API uses bearer tokens), Vietnamese first.
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
