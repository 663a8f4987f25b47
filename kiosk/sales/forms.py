from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, StringField
from wtforms.validators import Length

from kiosk.forms import QtyField, required


class RefundLineForm(Form):
    qty = QtyField(_l("Quantity to refund"), optional=True)


class RefundForm(FlaskForm):
    """One quantity per line of the sale, in the sale's line order, and a reason."""

    lines = FieldList(FormField(RefundLineForm))
    reason = StringField(_l("Reason"), validators=[required(), Length(max=200, message=_l("Too long."))])

    def quantities(self, sale_lines) -> dict[str, int]:
        """SKU to quantity asked back, for the lines with a quantity above zero."""
        wanted: dict[str, int] = {}
        for entry, line in zip(self.lines, sale_lines):
            if entry.qty.data:
                wanted[line.sku] = wanted.get(line.sku, 0) + entry.qty.data
        return wanted
