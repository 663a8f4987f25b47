from kiosk.sales.api import bp as api
from kiosk.sales.views import bp as views

__all__ = ["api", "views"]
