from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import Length

from central_sync.forms import TOO_LONG, required, text


class LoginForm(FlaskForm):
    username = text(_l("Username"), 64, optional=False)
    password = PasswordField(_l("Password"), validators=[required(), Length(max=256, message=TOO_LONG)])
