"""Reading a request: the body (capped in size) as JSON, then each field checked for its type.

All of this happens in the server, before any worker starts, so that a malformed request
costs nothing; what a field *means* (is the code Python, is the spec a network) is the
worker's question. Names that reach a file name or a MODEL argument are checked strictly:
a request never names a file of the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterable

from symbackprop.readers.examples import EXAMPLES
from symbackprop.serve.refusals import BadRequest, BodyTooLarge, NotJson

# A body over the limit is still read to its end (and thrown away) up to this many times
# the limit, so that the client reads the 413 rather than a reset connection.
DRAIN_FACTOR = 16

FUNCTION_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?")  # relu_backward, Net.step
FILE_NAME = re.compile(r"[\w-][\w.-]{0,99}\.py")  # layers.py, as an uploaded file was named
MODEL_FIELDS = ("example", "spec", "code")


async def read_json(chunks: AsyncIterable[bytes], content_type: str, limit: int) -> dict:
    """The JSON object of a body of at most ``limit`` bytes, sent as ``application/json``:
    a page of another site can send a form to this server, but not JSON without asking."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise NotJson("send the body as JSON, with Content-Type: application/json")
    body = bytearray()
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size <= limit:
            body += chunk
        elif size > DRAIN_FACTOR * limit:
            break
    if size > limit:
        raise BodyTooLarge(f"the request body is over the limit of {limit} bytes")
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise BadRequest(f"the request body is not JSON: {_reason(error)}") from None
    if not isinstance(data, dict):
        raise BadRequest('the request body must be a JSON object such as {"code": "..."}')
    return data


def _reason(error: Exception) -> str:
    return "nested too deeply" if isinstance(error, RecursionError) else str(error)


def check_request(data: dict) -> dict:
    """``{"code": ..., "function": optional, "filename", "loss", "params", "matrix"}``, or
    ``{"formulas": [...], "aliases": [...]}`` with a model's fields."""
    if "formulas" in data:
        request = model_request(data, extra=("formulas", "aliases"))
        request["formulas"] = _strings(data, "formulas", required=True)
        request["aliases"] = _strings(data, "aliases")
        return request
    request = {"code": _text(data, "code", required=True)}
    request.update(_code_options(data))
    request["matrix"] = _strings(data, "matrix", split=True)
    return _known(data, request)


def model_request(data: dict, extra: tuple[str, ...] = ()) -> dict:
    """One of ``{"example": NAME}``, ``{"spec": TOML}``, ``{"code": PYTHON, "function"}``;
    ``param`` (explain one parameter) besides."""
    given = [field for field in MODEL_FIELDS if field in data]
    if len(given) != 1:
        raise BadRequest(
            'name one model: "example" (a built-in, see GET /api/examples), "spec" (TOML '
            'text) or "code" (Python text, with "function" naming the forward function)'
        )
    field = given[0]
    request: dict = {field: _text(data, field, required=True)}
    if field == "example" and request["example"] not in EXAMPLES:
        raise BadRequest(
            f"no built-in example {request['example']!r}: see GET /api/examples for the names"
        )
    request.update(_code_options(data))
    request["param"] = _strings(data, "param")
    return _known(data, request, extra)


def _code_options(data: dict) -> dict:
    options: dict = {"params": _strings(data, "params", split=True)}
    for field, pattern in (("function", FUNCTION_NAME), ("filename", FILE_NAME)):
        value = _text(data, field)
        if value is not None and not pattern.fullmatch(value):
            raise BadRequest(f'"{field}" is not a plain {field} name: {value[:100]!r}')
        options[field] = value
    options["loss"] = _text(data, "loss")
    return options


def _known(data: dict, request: dict, extra: tuple[str, ...] = ()) -> dict:
    unknown = sorted(set(data) - set(request) - set(extra))
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r} in the request")
    return request


def _text(data: dict, field: str, required: bool = False) -> str | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f'"{field}" must be a string' + (" (it is required)" if required else ""))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate written as \ud800 in the JSON
        raise BadRequest(f'"{field}" is not valid Unicode text') from None
    return value


def _strings(data: dict, field: str, required: bool = False, split: bool = False) -> list[str]:
    """A list of strings; one string is a list of one, or with ``split`` of its
    comma-separated names (``"W1,b1"``, as the command line's ``--params``)."""
    value = data.get(field)
    if value is None and not required:
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()] if split else [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f'"{field}" must be a list of strings')
    if required and not value:
        raise BadRequest(f'"{field}" must not be empty')
    return [_text({field: item}, field, required=True) for item in value]
