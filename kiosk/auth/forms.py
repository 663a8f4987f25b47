from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from central_sync.protocol.passwords import MAX_LENGTH, MIN_LENGTH
from kiosk.forms import required

TOO_LONG = _l("Too long.")
SHORT_PASSWORD = _l("A password has at least %(n)d characters.", n=MIN_LENGTH)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[required(), Length(max=64, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[required(), Length(max=256, message=TOO_LONG)])


def new_password():
    return [required(), Length(min=MIN_LENGTH, max=MAX_LENGTH, message=SHORT_PASSWORD)]


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[required(), Length(max=64, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=new_password())
    role = SelectField(_l("Role"), choices=[SelectChoice("vendor", _l("Vendor")),
                                                SelectChoice("manager", _l("Manager"))])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=new_password())
