from kiosk.auth.api import bp as api
from kiosk.auth.views import bp as views

__all__ = ["api", "views"]
