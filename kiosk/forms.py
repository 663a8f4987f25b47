"""The kiosk pages' amounts and quantities, within the API's bounds (the fields are in central_sync.protocol)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from central_sync import protocol
from central_sync.protocol import required  # noqa: F401 (the pages' forms import it from here)


def _limits() -> tuple[int, int]:
    """The API's bounds (imported late: kiosk.sales imports the views that import this module)."""
    from kiosk.sales.schemas import MAX_QTY, MAX_VND
    return MAX_QTY, MAX_VND


class MoneyField(protocol.MoneyField):
    not_money = _l("Type an amount in đồng, for example 500.000.")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, maximum=_limits()[1], **kwargs)


class QtyField(protocol.QtyField):
    """A whole quantity of goods (``optional``: may be left empty; ``signed``: may be negative)."""

    def __init__(self, label=None, optional=False, signed=False, **kwargs):
        limit = 100 * _limits()[0]
        super().__init__(label, optional, -limit if signed else 0, limit, **kwargs)
