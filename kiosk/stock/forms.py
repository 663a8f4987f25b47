from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from kiosk.forms import QtyField
from kiosk.models import ADJUSTMENT_REASONS
from kiosk.ui import LABELS


class AdjustmentForm(FlaskForm):
    sku = SelectField(_l("Product"), choices=[])  # the catalogue, set by the page
    direction = RadioField(_l("Add or remove"), default="remove",
                           choices=[SelectChoice("remove", _l("Remove from stock")),
                                    SelectChoice("add", _l("Add to stock"))])
    qty = QtyField(_l("Quantity"))
    reason = SelectField(_l("Reason"), choices=[SelectChoice(r, LABELS["adjustment_reason"][r])
                                                  for r in ADJUSTMENT_REASONS])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200, message=_l("Too long."))])

    def validate_qty(self, field):
        if field.data == 0:
            raise ValidationError(_l("An adjustment changes the stock by at least 1."))

    @property
    def delta(self) -> int:
        return self.qty.data if self.direction.data == "add" else -self.qty.data


class CountLineForm(Form):
    sku = HiddenField()
    counted = QtyField(_l("Counted"), optional=True)


class CountForm(FlaskForm):
    """A counted quantity per product; the ones left empty were not counted."""

    lines = FieldList(FormField(CountLineForm))

    def counted(self) -> dict[str, int]:
        return {entry.sku.data: entry.counted.data for entry in self.lines if entry.counted.data is not None}


class ReceiveLineForm(Form):
    sku = HiddenField()
    received_qty = QtyField(_l("Received"))


class ReceiveForm(FlaskForm):
    lines = FieldList(FormField(ReceiveLineForm))

    def received(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for entry in self.lines:
            totals[entry.sku.data] = totals.get(entry.sku.data, 0) + entry.received_qty.data
        return totals
