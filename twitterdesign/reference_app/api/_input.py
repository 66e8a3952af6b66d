"""Guards on what a request carries, applied once at the parsing boundary for every route.

Routes parse their own parameters (Mastodon's query, form or JSON, or the lesson's
pydantic bodies), but some inputs break every parser alike. `InputGuardMiddleware`
rejects them before any route runs, the same way on every route:

- a JSON body nested deeper than `MAX_JSON_DEPTH` levels (400); Python's parser would
  otherwise raise ``RecursionError`` somewhere past a thousand levels;
- a string in a JSON body that holds a lone surrogate (``"\\ud800"``): legal JSON escapes,
  but no Unicode text — it cannot be stored or sent back as UTF-8 (422, naming the field);
- a query string or an ``application/x-www-form-urlencoded`` body whose percent-escapes
  are not UTF-8, such as ``%ED%A0%80`` (the surrogate again): Starlette would silently turn
  them into U+FFFD (422, naming the parameter).

`load_json` is the one JSON loader: the guard hands the parsed body on in the request's
scope, where the Mastodon routes' `Params` pick it up (`json_body_of`) instead of parsing
it again. The lesson's pydantic routes let FastAPI parse the (now checked) body again.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from twitterdesign.reference_app._asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    send_json_error,
)
from twitterdesign.reference_app.api._errors import http_status
from twitterdesign.reference_app.errors import AppError, BadRequest, Unprocessable

__all__ = ["MAX_JSON_DEPTH", "InputGuardMiddleware", "json_body_of", "load_json"]


MAX_JSON_DEPTH = 100
"""The deepest nesting of arrays and objects a JSON body may have: Ruby's JSON default
``max_nesting``, so Mastodon (Rails) refuses deeper bodies too."""

_SCOPE_KEY = "twitterdesign.json_body"
_SURROGATE = re.compile("[\ud800-\udfff]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _printable(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")


def _check_tree(root: Any) -> None:
    """Raise for nesting past `MAX_JSON_DEPTH` or a string holding a lone surrogate."""
    # Iterative, depth first, so the check itself cannot recurse too deeply.
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                field = _printable(where) or "request body"
                raise Unprocessable(
                    f"{field} is not valid Unicode text: it contains a lone surrogate"
                )
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise BadRequest(
                    f"request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    path = f"{where}.{key}" if where else key
                    stack.append((key, path, depth + 1))
                    stack.append((item, path, depth + 1))
            else:
                stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))


def load_json(raw: bytes) -> Any:
    """Parse a request body as strict JSON and check its depth and strings.

    Args:
        raw: The body bytes (UTF-8, UTF-16 or UTF-32, as RFC 8259 allows).

    Returns:
        The parsed value.

    Raises:
        AppError: 400 for a body that is not JSON (``NaN`` and ``Infinity`` are not) or
            that nests deeper than `MAX_JSON_DEPTH`; 422 naming the field for a string
            with a lone surrogate.

    Examples:
        >>> load_json(b'{"status": "hello"}')
        {'status': 'hello'}
        >>> load_json(b'{"status": "x\\\\ud800y"}')
        Traceback (most recent call last):
        ...
        twitterdesign.reference_app.errors.Unprocessable: status is not valid \
Unicode text: it contains a lone surrogate
    """
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest(
            f"request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON") from None
    _check_tree(value)
    return value


def json_body_of(scope: Scope, raw: bytes) -> Any:
    """Return the JSON body `InputGuardMiddleware` already parsed, or parse ``raw``."""
    if _SCOPE_KEY in scope:
        return scope[_SCOPE_KEY]
    return load_json(raw)


def _check_pairs(encoded: bytes) -> None:
    """Raise 422 for the first ``name=value`` pair whose percent-escapes are not UTF-8."""
    if encoded.isascii() and b"%" not in encoded:
        return  # nothing escaped: plain ASCII is UTF-8
    for pair in encoded.split(b"&"):
        name, _, value = pair.partition(b"=")
        raw_name = unquote_to_bytes(name.replace(b"+", b" "))
        try:
            raw_name.decode("utf-8")
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            shown = raw_name.decode("utf-8", "backslashreplace")
            raise Unprocessable(f"{shown} is not valid UTF-8 text") from None


def _media_type(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return str(value.decode("latin-1")).split(";")[0].strip().lower()
    return ""


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class InputGuardMiddleware:
    """Reject hostile input (deep JSON, lone surrogates, non-UTF-8 escapes) for every route.

    A JSON or URL-encoded body is read whole (the gateway outside has already bounded its
    size), checked, and replayed to the app; a JSON body is handed on parsed, so the route
    does not parse it again. Other bodies (multipart uploads) stream through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        media_type = _media_type(scope)
        form = media_type == "application/x-www-form-urlencoded"
        reads_body = scope.get("method") in _BODY_METHODS and (form or _is_json(media_type))
        try:
            _check_pairs(scope.get("query_string", b""))
            if reads_body:
                body, disconnected = await _read_body(receive)
                if form:
                    _check_pairs(body)
                elif body.strip():
                    # In place, not a copy: the router records the matched route in this
                    # scope, and the gateway outside labels its metrics with it.
                    scope[_SCOPE_KEY] = load_json(body)
                receive = _replay(body, disconnected, receive)
        except AppError as exc:  # includes the gateway's 413 raised from ``receive``
            await send_json_error(send, http_status(exc), exc.message)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if disconnected:
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the client to disconnect

    return replay
