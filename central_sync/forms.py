"""Form pieces shared by the admin pages: required fields, money and quantities as people type them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from central_sync import protocol
from central_sync.protocol import required

MAX_VND = 10**9  # a product dearer than a billion đồng is a typing mistake
MAX_QTY = 1_000_000  # the API's bound for one transfer line
TOO_LONG = _l("Too long.")
QTY_LIMIT = f"{MAX_QTY:,}".replace(",", ".")


def text(label, max_length: int, optional: bool = True, filters=(), **kwargs) -> StringField:
    """A trimmed text field of at most ``max_length`` characters; empty means None when ``optional``."""
    validators = [Optional() if optional else required(), Length(max=max_length, message=TOO_LONG)]
    return StringField(label, validators=validators,
                       filters=[_trimmed_or_none if optional else _trimmed, *filters], **kwargs)


def _trimmed(value):
    return value.strip() if isinstance(value, str) else value


def _trimmed_or_none(value):
    return _trimmed(value) or None


class MoneyField(protocol.MoneyField):
    def __init__(self, label=None, **kwargs):
        super().__init__(label, maximum=MAX_VND, **kwargs)


class QtyField(protocol.QtyField):
    """A whole quantity of goods from 1 (``optional``: may be left empty)."""

    def __init__(self, label=None, optional=False, **kwargs):
        super().__init__(label, optional, 1, MAX_QTY, _l("From 1 to %(max)s.", max=QTY_LIMIT), **kwargs)
