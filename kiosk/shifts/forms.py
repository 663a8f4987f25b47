from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from kiosk.forms import MoneyField


class OpenShiftForm(FlaskForm):
    opening_cash_vnd = MoneyField(_l("Cash in the drawer at the start (float)"))


class CloseShiftForm(FlaskForm):
    counted_cash_vnd = MoneyField(_l("Cash counted in the drawer"))
