"""JSON request bodies parsed into pydantic models, with the contract's 400 and 422 answers."""
import re
from typing import TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from central_sync.protocol.errors import BadRequest, ValidationFailed

M = TypeVar("M", bound=BaseModel)
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}
_NUL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u0000")  # the escape \u0000, not an escaped backslash before u0000


class Body(BaseModel):
    """Base of every request body: exact JSON types, unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


def parse_body(model: type[M], raw: bytes | None = None) -> M:  # raw: the body already read (and unzipped)
    raw = request.get_data(cache=True) if raw is None else raw
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A streamed (chunked) body is cut at the limit rather than refused: refuse it here.
        raise RequestEntityTooLarge()
    if _NUL.search(raw or b""):
        raise ValidationFailed("Text may not contain the NUL character (\\u0000).")
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
