from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField
from wtforms.validators import ValidationError

from central_sync.forms import QtyField, text

LINE_ROWS = 10  # rows on the page; empty ones are ignored


class TransferLineForm(Form):
    sku = text(_l("SKU"), 32)
    qty = QtyField(_l("Quantity"), optional=True)

    def validate_sku(self, field):
        if not (self.qty.raw_data and self.qty.raw_data[0].strip()):
            raise ValidationError(_l("Give the quantity of %(sku)s.", sku=field.data))

    def validate_qty(self, field):
        if not self.sku.data:
            raise ValidationError(_l("Give the SKU of this quantity."))


class TransferForm(FlaskForm):
    from_location = SelectField(_l("From"), validate_choice=True)
    to_location = SelectField(_l("To"), validate_choice=True)
    lines = FieldList(FormField(TransferLineForm), _l("Lines"), min_entries=LINE_ROWS, max_entries=LINE_ROWS)

    def validate_lines(self, field):
        if not self.quantities():
            raise ValidationError(_l("Add at least one line: a SKU and its quantity."))

    def quantities(self) -> dict[str, int]:
        """{SKU: quantity} of the filled-in lines; the same SKU twice ships their sum (as in the API)."""
        wanted: dict[str, int] = {}
        for entry in self.lines.entries:
            sku, qty = entry.form.sku.data, entry.form.qty.data
            if sku and isinstance(qty, int):
                wanted[sku] = wanted.get(sku, 0) + qty
        return wanted
