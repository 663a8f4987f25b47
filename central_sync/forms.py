"""Form pieces shared by the admin pages: required fields, money and quantities as people type them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from central_sync.protocol import parse_money

MAX_VND = 10**9  # a product dearer than a billion đồng is a typing mistake
MAX_QTY = 1_000_000  # the API's bound for one transfer line
TOO_LONG = _l("Too long.")
QTY_LIMIT = f"{MAX_QTY:,}".replace(",", ".")


def required():
    return DataRequired(message=_l("This field is required."))


def text(label, max_length: int, optional: bool = True, filters=(), **kwargs) -> StringField:
    """A trimmed text field of at most ``max_length`` characters; empty means None when ``optional``."""
    validators = [Optional() if optional else required(), Length(max=max_length, message=TOO_LONG)]
    return StringField(label, validators=validators,
                       filters=[_trimmed_or_none if optional else _trimmed, *filters], **kwargs)


def _trimmed(value):
    return value.strip() if isinstance(value, str) else value


def _trimmed_or_none(value):
    return _trimmed(value) or None


class _NumberField(IntegerField):
    """A number typed by hand: text that is no number gets its one message, not also "Out of range."."""

    def pre_validate(self, form):
        if self.process_errors and self.raw_data and self.raw_data[0].strip():
            raise StopValidation()


class MoneyField(_NumberField):
    """A whole, non-negative number of đồng, typed with or without thousands separators."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("render_kw", {}).update(inputmode="numeric", autocomplete="off")
        validators = [InputRequired(message=_l("This field is required.")),
                      NumberRange(min=0, max=MAX_VND, message=_l("Out of range."))]
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:,}".replace(",", ".")

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_money(valuelist[0])
            if self.data is None:
                raise ValueError(_l("Type an amount in đồng, for example 45.000."))


class QtyField(_NumberField):
    """A whole quantity of goods from 1 (``optional``: may be left empty)."""

    def __init__(self, label=None, optional=False, **kwargs):
        validators = [Optional() if optional else InputRequired(message=_l("This field is required.")),
                      NumberRange(min=1, max=MAX_QTY, message=_l("From 1 to %(max)s.", max=QTY_LIMIT))]
        kwargs.setdefault("render_kw", {}).update(autocomplete="off", inputmode="numeric")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Type a whole number.")) from None
