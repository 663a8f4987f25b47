"""The contract's errors, as the kiosk raises them (defined with the wire format in central_sync.protocol)."""
from central_sync.protocol import (GENERIC_CODES, BadRequest, Conflict, DomainError, Forbidden, InvalidCredentials,
                                   NotFound, TooManyAttempts, Unauthorized, ValidationFailed, json_error,
                                   register_error_handlers, wants_json)

__all__ = ["GENERIC_CODES", "BadRequest", "Conflict", "DomainError", "Forbidden", "InvalidCredentials", "NotFound",
           "TooManyAttempts", "Unauthorized", "ValidationFailed", "json_error", "register_error_handlers", "wants_json"]
