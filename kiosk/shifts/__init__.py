from kiosk.shifts.api import bp as api
from kiosk.shifts.views import bp as views

__all__ = ["api", "views"]
