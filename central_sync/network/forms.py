from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import Regexp

from central_sync.forms import text
from central_sync.models import LOCATION_KINDS
from central_sync.ui import LABELS

LOCATION_CODE = Regexp(r"^[A-Z0-9][A-Z0-9-]{1,15}$", message=_l("2 to 16 capital letters, digits or dashes."))


class LocationForm(FlaskForm):
    """A location; its ``code`` only when it is created."""

    code = text(_l("Code"), 16, optional=False, filters=[lambda value: value.strip().upper() if value else value])
    name = text(_l("Name"), 200, optional=False)
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind, LABELS["location_kind"][kind])
                                             for kind in LOCATION_KINDS])
    market = text(_l("Market"), 200)
    district = text(_l("District (former)"), 100)
    commune = text(_l("Commune"), 100)

    def validate_code(self, field):
        LOCATION_CODE(self, field)

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in ("name", "kind", "market", "district", "commune")}
