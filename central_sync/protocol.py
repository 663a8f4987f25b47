"""What the kiosk and central say to each other and to API clients (CONTRACT.md): the JSON error
envelope and its one Flask handler, and the parsing of JSON bodies into pydantic models with the
contract's 400 and 422 answers. The only module the kiosk imports from central_sync; it imports
nothing of either app."""
from __future__ import annotations

from typing import TypeVar

from flask import current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

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


def parse_body(model: type[M]) -> M:
    raw = request.get_data(cache=True)
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


# The catalogue's vocabulary, as it travels down to the kiosks.
PRODUCER_KINDS = ("cooperative", "company", "household")
OCOP_GROUPS = ("food", "beverage", "herbal", "textile", "handicraft", "tourism")  # Decision 148/QĐ-TTg
