"""What the kiosk and central say to each other and to API clients (CONTRACT.md), and the few helpers both
apps' pages share. The only package the kiosk imports from central_sync; it imports nothing of either app.

- errors: the JSON error envelope, the exceptions services raise, the one Flask handler;
- bodies: JSON bodies parsed into pydantic models with the contract's 400 and 422 answers;
- sync: the sync wire format (push envelope, pull answer) and its gzip bodies;
- openapi: `GET /api/v1/openapi.json` of either app;
- display, web, login: money, time and language on the pages; forms, form fields, the login guard; the
  page login and its sessions;
- security: the security headers (Content-Security-Policy ...) of every answer, NUL refused in any input;
- logs, metrics: the JSON log lines (a line per request) and `GET /metrics` in Prometheus's text format;
- backup: either app's `backup` and `restore` commands (SQLite's online backup, pg_dump and pg_restore)."""
from central_sync.protocol.bodies import Body, LoginBody, parse_body
from central_sync.protocol.display import (OCOP_GROUPS, PRODUCER_KINDS, local_time, parse_money, select_locale,
                                           vnd)
from central_sync.protocol.errors import (GENERIC_CODES, BadRequest, Conflict, DomainError, Forbidden,
                                          InvalidCredentials, NotFound, TooManyAttempts, Unauthorized,
                                          ValidationFailed, json_error, register_error_handlers, wants_json)
from central_sync.protocol.login import PageLogin, new_session, safe_next
from central_sync.protocol.openapi import openapi_document
from central_sync.protocol.web import (MoneyField, NumberField, QtyField, answer_required, commit_or_flash,
                                       flash_form_errors, page_login_required, required, same_site_referrer,
                                       validate_or_flash)

__all__ = [
    "GENERIC_CODES", "OCOP_GROUPS", "PRODUCER_KINDS", "BadRequest", "Body", "Conflict", "DomainError", "Forbidden",
    "InvalidCredentials", "LoginBody", "MoneyField", "NotFound", "NumberField", "PageLogin", "QtyField",
    "TooManyAttempts", "Unauthorized", "ValidationFailed", "answer_required", "commit_or_flash", "flash_form_errors",
    "json_error", "local_time", "new_session", "openapi_document", "page_login_required", "parse_body",
    "parse_money", "register_error_handlers", "required", "safe_next", "same_site_referrer", "select_locale",
    "validate_or_flash", "vnd", "wants_json",
]
