"""What the kiosk and central say to each other and to API clients (CONTRACT.md): the JSON error
envelope and its one Flask handler, and the parsing of JSON bodies into pydantic models with the
contract's 400 and 422 answers; and the few helpers both apps' pages share (money, time, language, a
form's one commit). The pages' login (Flask-Login) and form fields are here too.
The only module the kiosk imports from central_sync; it imports nothing of either app."""
from __future__ import annotations

import re
from typing import TypeVar

from functools import wraps

from flask import abort, current_app, flash, g, jsonify, redirect, request, session
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import models_json_schema
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from wtforms import FieldList, FormField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, StopValidation

GENERIC_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "bad_request",
    422: "validation_error", 429: "too_many_attempts",
}


class DomainError(Exception):
    """A request that cannot be done, with the contract's status and code."""

    status = 422
    code = "validation_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.extra = extra

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        error.update(self.extra)
        return {"error": error}


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class ValidationFailed(DomainError):
    status, code = 422, "validation_error"


class InvalidCredentials(DomainError):
    status, code = 401, "invalid_credentials"


class TooManyAttempts(DomainError):
    status, code = 429, "too_many_attempts"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def json_error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


def register_error_handlers(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return jsonify(error.body()), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not wants_json():
            return error
        status = error.code or 500
        return json_error(status, GENERIC_CODES.get(status, "error"), error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "internal_error", "Something went wrong on the server; nothing was saved.")
        return "Internal error", 500

M = TypeVar("M", bound=BaseModel)
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


class Body(BaseModel):
    """Base of every request body: exact JSON types, unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


def parse_body(model: type[M], raw: bytes | None = None) -> M:  # raw: the body already read (and unzipped)
    raw = request.get_data(cache=True) if raw is None else raw
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A streamed (chunked) body is cut at the limit rather than refused: refuse it here.
        raise RequestEntityTooLarge()
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise BadRequest("The body is not valid JSON in UTF-8.") from None
        if first["type"] in _NOT_AN_OBJECT and not first["loc"]:
            raise BadRequest("The body must be a JSON object.") from None
        field = ".".join(str(part) for part in first["loc"])
        raise ValidationFailed(f"{field}: {first['msg']}", field=field) from None


class LoginBody(Body):
    """`POST /api/v1/login` of both apps."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


API_PREFIX = "/api/v1"
_PATH_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")  # <sale_id>, <int:device_id>
_JSON_TYPES = {"int": "integer", "float": "number"}  # other converters match strings
_ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}


def openapi_document(app, title: str, bodies: dict[str, type[BaseModel]], queries: dict[str, list[dict]],
                     public: set[str]) -> dict:
    """`GET /api/v1/openapi.json` of either app: OpenAPI 3.1 for every route of its URL map under /api/v1.
    ``bodies``: endpoint -> the model its JSON body is parsed into; ``queries``: endpoint -> its (optional)
    query parameters; ``public``: the endpoints that need no bearer token."""
    _, schemas = models_json_schema([(model, "validation") for model in bodies.values()],
                                    ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        path = _PATH_ARGUMENT.sub(r"{\g<name>}", rule.rule.removeprefix(API_PREFIX))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, bodies.get(rule.endpoint),
                                                                    queries.get(rule.endpoint, []),
                                                                    rule.endpoint in public)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1"},
        "servers": [{"url": API_PREFIX}],
        "paths": paths,
        "components": {
            "schemas": {**schemas.get("$defs", {}), "Error": _ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(rule, body: type[BaseModel] | None, queries: list[dict], public: bool) -> dict:
    error = {"description": "The contract's error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    operation = {
        "operationId": rule.endpoint,
        "parameters": [{"name": name, "in": "path", "required": True,
                        "schema": {"type": _JSON_TYPES.get(converter, "string")}}
                       for converter, name in _PATH_ARGUMENT.findall(rule.rule)]
                      + [{"in": "query", "required": False, **query} for query in queries],
        "responses": {"2XX": {"description": "Success (see CONTRACT.md)"}, "4XX": error},
        "security": [] if public else [{"bearer": []}],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}
    return operation


# The catalogue's vocabulary, as it travels down to the kiosks.
PRODUCER_KINDS = ("cooperative", "company", "household")
OCOP_GROUPS = ("food", "beverage", "herbal", "textile", "handicraft", "tourism")  # Decision 148/QĐ-TTg


# What both apps' pages share: money and time as people read them, the language, a form's one commit.
# (Here because the kiosk imports nothing else of central_sync.)
_MONEY = re.compile(r"(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*(k|nghìn|ngàn)?", re.IGNORECASE)


def vnd(amount: int | None) -> str:
    """45000 -> '45.000 ₫' (dot thousands separator, as Vietnamese write it)."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " ₫"


def parse_money(text: str) -> int | None:
    """'45.000', '45,000', '45 000 ₫', '45000' and '45k' are all 45000 đồng; anything else is None."""
    cleaned = text.strip().removesuffix("₫").removesuffix("đ").strip()
    match = _MONEY.fullmatch(cleaned)
    if match is None:
        return None
    value = int(re.sub(r"\D", "", match.group(1)))
    return value * 1000 if match.group(2) else value


def local_time(value, fmt: str = "dd/MM/yyyy HH:mm") -> str:
    """A UTC moment in the reader's time zone (BABEL_DEFAULT_TIMEZONE: Asia/Ho_Chi_Minh)."""
    return format_datetime(value, fmt) if value else ""


def select_locale() -> str:
    """The language chosen in the session, else the default (Vietnamese)."""
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


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


def init_login(login_manager, db, user_model, login_view: str) -> None:
    """The pages' Flask-Login: an active user's session (the API keeps its bearer tokens); others to ``login_view``."""
    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(user_model, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    login_manager.login_view = login_view
    login_manager.login_message = _l("Please log in first.")
    login_manager.localize_callback = str  # translated when flashed, in the reader's language
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never `//host` or a full URL) may be the page to go back to after login."""
    return target if target and target.startswith("/") and not target.startswith(("//", "/\\")) else None


def new_session() -> None:
    """A fresh session (at login and logout) that keeps only the language chosen."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def log_in(form, authenticate, db_session, flash_error, home: str):
    """The login form's POST: the redirect to the page asked for (else ``home``) once logged in, or None
    (the form again, with the refusal flashed; a wrong password is committed: it counts towards the limit)."""
    if not form.validate_on_submit():
        return None
    try:
        user = authenticate(form.username.data, form.password.data, request.remote_addr or "", current_app.config)
    except DomainError as error:  # wrong credentials, or too many attempts
        if isinstance(error, InvalidCredentials):
            db_session.commit()
        flash_error(error)
        return None
    db_session.commit()
    new_session()
    login_user(user)
    return redirect(safe_next(request.args.get("next")) or home)


def page_login_required(login_manager):
    """The pages' guard ``(*roles)``: to the login page without a session, 403 for a role not in ``roles``."""
    def required(*roles: str):
        def decorator(view):
            @wraps(view)
            def wrapped(*args, **kwargs):
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
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
