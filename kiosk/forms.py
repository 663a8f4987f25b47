"""Form pieces shared by the pages: amounts and quantities as people type them, messages in their language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, StopValidation

from central_sync.protocol import parse_money


def _limits() -> tuple[int, int]:
    """The API's bounds (imported late: kiosk.sales imports the views that import this module)."""
    from kiosk.sales.schemas import MAX_QTY, MAX_VND
    return MAX_QTY, MAX_VND


def required():
    return DataRequired(message=_l("This field is required."))


def answer_required():
    """Like ``required``, but 0 is an answer (DataRequired takes 0 for missing)."""
    return InputRequired(message=_l("This field is required."))


class _NumberField(IntegerField):
    """A number typed by hand: text that is no number gets its one message, not also "Out of range."
    (left empty, the validators say whether it may be)."""

    def pre_validate(self, form):
        if self.process_errors and self.raw_data and self.raw_data[0].strip():
            raise StopValidation()


class MoneyField(_NumberField):
    """A whole, non-negative number of đồng, typed with or without thousands separators."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).update(inputmode="numeric", autocomplete="off")
        validators = validators or [answer_required(),
                                    NumberRange(min=0, max=_limits()[1], message=_l("Out of range."))]
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
                raise ValueError(_l("Type an amount in đồng, for example 500.000."))


class QtyField(_NumberField):
    """A whole quantity of goods (``optional``: may be left empty; ``signed``: may be negative)."""

    def __init__(self, label=None, optional=False, signed=False, **kwargs):
        limit = 100 * _limits()[0]
        validators = [Optional() if optional else answer_required(),
                      NumberRange(min=-limit if signed else 0, max=limit, message=_l("Out of range."))]
        kwargs.setdefault("render_kw", {}).update(autocomplete="off", inputmode="text" if signed else "numeric")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Type a whole number.")) from None
