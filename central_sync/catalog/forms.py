from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, Regexp, ValidationError

from central_sync.forms import MoneyField, text
from central_sync.protocol import OCOP_GROUPS, PRODUCER_KINDS
from central_sync.ui import LABELS

SKU_FORMAT = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message=_l("Letters, digits, dots, dashes or underscores."))
TAX_CODE = Regexp(r"^\d{10}(-\d{3})?$", message=_l("A tax code is 10 digits (or 10 digits, a dash and 3 more)."))
BARCODE = Regexp(r"^\d{8,14}$", message=_l("A barcode is 8 to 14 digits."))


def choices(kind: str, codes) -> list[SelectChoice]:
    return [SelectChoice(code, LABELS[kind][code]) for code in codes]


class ProducerForm(FlaskForm):
    name = text(_l("Name"), 200, optional=False)
    kind = SelectField(_l("Kind"), choices=choices("producer_kind", PRODUCER_KINDS))
    tax_code = text(_l("Tax code"), 20)
    commune = text(_l("Commune"), 100)
    district = text(_l("District (former)"), 100)

    def validate_tax_code(self, field):
        if field.data:
            TAX_CODE(self, field)

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in ("name", "kind", "tax_code", "commune", "district")}


class ProductForm(FlaskForm):
    """Every OCOP field of a product; ``sku`` and ``price_vnd`` only when it is created."""

    sku = text(_l("SKU"), 32, optional=False)
    name = text(_l("Name"), 200, optional=False)
    barcode = text(_l("Barcode"), 32)
    unit = text(_l("Unit"), 32, optional=False)
    ocop_stars = SelectField(_l("OCOP stars"), choices=[SelectChoice(str(n), "★" * n) for n in (3, 4, 5)])
    ocop_group = SelectField(_l("OCOP group"), choices=choices("ocop_group", OCOP_GROUPS))
    producer_id = SelectField(_l("Producer"), coerce=int, validate_choice=True)
    origin_commune = text(_l("Origin: commune"), 100)
    origin_district = text(_l("Origin: district (former)"), 100)
    certificate_no = text(_l("Certificate decision number"), 64)
    certificate_issued_on = DateField(_l("Certificate issued on"), validators=[Optional()])
    certificate_expires_on = DateField(_l("Certificate expires on"), validators=[Optional()])
    price_vnd = MoneyField(_l("Price"))

    FIELDS = ("name", "barcode", "unit", "ocop_stars", "ocop_group", "producer_id", "origin_commune",
              "origin_district", "certificate_no", "certificate_issued_on", "certificate_expires_on")

    def validate_sku(self, field):
        SKU_FORMAT(self, field)

    def validate_barcode(self, field):
        if field.data:
            BARCODE(self, field)

    def validate_certificate_expires_on(self, field):
        issued = self.certificate_issued_on.data
        if field.data and issued and field.data < issued:
            raise ValidationError(_l("The certificate cannot expire before it was issued."))

    def data_for_service(self) -> dict:
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["ocop_stars"] = int(data["ocop_stars"])
        return data


class PriceForm(FlaskForm):
    """A new version of a price: for every location (location empty) or an override for one."""

    price_vnd = MoneyField(_l("New price"))
    location = SelectField(_l("Where"), validate_choice=True)
