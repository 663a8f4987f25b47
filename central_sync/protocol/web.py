"""What both apps' pages share: a form's one commit, its errors flashed, the login guard, form fields."""
from functools import wraps

from flask import abort, flash, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import FieldList, FormField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, StopValidation

from central_sync.protocol.display import parse_money
from central_sync.protocol import logs
from central_sync.protocol.errors import DomainError


def commit_or_flash(db_session, call, message_for):
    """Run ``call`` (a service call), commit (the route's one commit) and return its result; when the
    service refuses (a DomainError), roll back, flash ``message_for(error)`` and return None."""
    try:
        result = call()
    except DomainError as error:
        db_session.rollback()
        flash(message_for(error), "error")
        return None
    db_session.commit()
    return result


def _field_errors(fields):
    for field in fields:
        if isinstance(field, FieldList):
            # the list's own messages (its entries' errors are lists, walked below)
            yield from ((field.label.text, message) for message in field.errors if not isinstance(message, list))
            yield from _field_errors(field.entries)
        elif isinstance(field, FormField):
            yield from _field_errors(field.form)
        else:
            for message in field.errors:
                yield field.label.text, message


def flash_form_errors(form) -> None:
    """One flash per invalid field (sub-forms included), prefixed with the field's label."""
    for text, message in _field_errors(form):
        flash(f"{text}: {message}", "error")


def validate_or_flash(form) -> bool:
    """Whether the posted form is valid; if it is not, one flash per invalid field."""
    if form.validate():
        return True
    flash_form_errors(form)
    return False


def same_site_referrer() -> str | None:
    return request.referrer if (request.referrer or "").startswith(request.host_url) else None


def page_login_required(login_manager):
    """The pages' guard ``(*roles)``: to the login page without a session, 403 for a role not in ``roles``."""
    def required(*roles: str):
        def decorator(view):
            @wraps(view)
            def wrapped(*args, **kwargs):
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                logs.identify(user=current_user)
                if roles and current_user.role not in roles:
                    abort(403)
                g.user = current_user._get_current_object()
                return view(*args, **kwargs)

            return wrapped

        return decorator

    return required


# Form fields both apps' pages use: required answers, money and quantities as people type them.
def required():
    return DataRequired(message=_l("This field is required."))


def answer_required():
    """Like ``required``, but 0 is an answer (DataRequired takes 0 for missing)."""
    return InputRequired(message=_l("This field is required."))


class NumberField(IntegerField):
    """A whole number typed by hand: text that is no number gets its one message, not also "Out of range."."""

    def pre_validate(self, form):
        if self.process_errors and self.raw_data and self.raw_data[0].strip():
            raise StopValidation()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Type a whole number.")) from None


class MoneyField(NumberField):
    """A whole, non-negative number of đồng up to ``maximum``, typed with or without thousands separators."""

    not_money = _l("Type an amount in đồng, for example 45.000.")

    def __init__(self, label=None, validators=None, maximum: int = 10**9, **kwargs):
        kwargs.setdefault("render_kw", {}).update(inputmode="numeric", autocomplete="off")
        validators = validators or [answer_required(), NumberRange(min=0, max=maximum, message=_l("Out of range."))]
        super().__init__(label, validators, **kwargs)

    def _value(self):
        return self.raw_data[0] if self.raw_data else "" if self.data is None else f"{self.data:,}".replace(",", ".")

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_money(valuelist[0])
            if self.data is None:
                raise ValueError(self.not_money)


class QtyField(NumberField):
    """A whole quantity of goods from ``minimum`` to ``maximum`` (``optional``: may be left empty)."""

    def __init__(self, label, optional: bool, minimum: int, maximum: int, message=_l("Out of range."), **kwargs):
        kwargs.setdefault("render_kw", {}).update(autocomplete="off", inputmode="text" if minimum < 0 else "numeric")
        super().__init__(label, [Optional() if optional else answer_required(),
                                 NumberRange(min=minimum, max=maximum, message=message)], **kwargs)
