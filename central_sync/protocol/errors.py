"""The contract's JSON error envelope: the exceptions services raise and the one handler that answers them."""
from flask import current_app, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from central_sync.protocol import logs


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

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError):
        """SQLite's one writer still busy after its timeout: a moment's overload, not a fault. A client
        tries again later (a kiosk's sync does: nothing is lost)."""
        if "locked" not in str(error.orig).lower():
            return unexpected_error(error)
        current_app.logger.warning("database busy on %s %s", request.method, request.path,
                                   extra=logs.request_fields())
        answer, status = json_error(503, "busy", "The server is busy; try again in a few seconds.")
        answer.headers["Retry-After"] = "5"
        return answer, status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path,
                                     extra=logs.request_fields())  # the traceback, once, with the request id
        if wants_json():
            return json_error(500, "internal_error", "Something went wrong on the server; nothing was saved.")
        return "Internal error", 500
