from kiosk.audit.views import bp as views

__all__ = ["views"]
