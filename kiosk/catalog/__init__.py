from kiosk.catalog.api import bp as api
from kiosk.catalog.views import bp as views

__all__ = ["api", "views"]
