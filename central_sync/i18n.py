"""Language choice (Vietnamese first, English available) and the display filters, shared with the kiosk."""
from central_sync.protocol import local_time, select_locale, vnd

__all__ = ["local_time", "register", "select_locale", "vnd"]


def register(app) -> None:
    app.add_template_filter(vnd)
    app.add_template_filter(local_time)
