from kiosk.stock.api import bp as api
from kiosk.stock.views import bp as views

__all__ = ["api", "views"]
