"""Request helpers shared by the routers: parameters, authentication, pagination."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar, overload
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import HTTPConnection

from twitterdesign.reference_app.api._input import json_body_of
from twitterdesign.reference_app.api._render_cache import RenderCache
from twitterdesign.reference_app.errors import BadRequest, NotFound
from twitterdesign.reference_app.services import (
    AppError,
    Forbidden,
    Services,
    Unauthorized,
    Unprocessable,
    scope_allows,
)
from twitterdesign.reference_app.services._request_scope import request_scope
from twitterdesign.reference_app.storage import Page

__all__ = [
    "MAX_LIMIT",
    "RESOLVED_TOKEN",
    "Auth",
    "BadRequest",
    "Params",
    "User",
    "auth_optional",
    "base_url",
    "json_list",
    "json_page",
    "link_header",
    "off_loop_if_blocking",
    "page_from",
    "params",
    "parse_count",
    "parse_id",
    "render_cache",
    "require",
    "services",
    "set_link",
    "viewer_of",
]

MAX_LIMIT = 40
"""The most items one page returns, as in Mastodon."""

RESOLVED_TOKEN = "twitterdesign.resolved_token"
"""ASGI scope key under which the gateway leaves ``(token, TokenRecord)`` it looked up."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


def services(request: HTTPConnection) -> Services:
    """Return the app's `Services`."""
    found: Services = request.app.state.services
    return found


def off_loop_if_blocking(
    endpoint: Callable[_P, _R],
) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """Make a plain route function run on the event loop or in one thread-pool hop.

    Which one is decided per app by ``Services.blocking_io``: an embedded store (SQLite)
    answers in microseconds, so the body runs inline on the loop with no hop at all; a
    network store (PostgreSQL) blocks for round trips, so the whole body — every store
    call and the rendering that reads more — runs in one ``run_in_threadpool`` call and
    the loop keeps serving other requests. FastAPI sees an ``async def`` with the
    function's own signature (``functools.wraps``), so parameters and dependencies are
    declared as before. The function must take the ``request``.

    Raises:
        TypeError: At decoration, for a function without a ``request`` parameter.
    """
    # Annotations resolved now, in the route's module: FastAPI reads this signature
    # (whatever its version does with ``__wrapped__`` and ``__globals__``).
    signature = inspect.signature(endpoint, eval_str=True)
    if "request" not in signature.parameters:
        raise TypeError(f"{endpoint.__qualname__} needs a request parameter")

    def scoped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with request_scope():  # answers kept for this request only (a viewer's filters)
            return endpoint(*args, **kwargs)

    @functools.wraps(endpoint)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        request: Request = kwargs["request"]  # type: ignore[assignment]
        if request.app.state.blocking_io:
            return await run_in_threadpool(scoped, *args, **kwargs)
        return scoped(*args, **kwargs)

    run.__signature__ = signature  # type: ignore[attr-defined]
    return run


def render_cache(request: Request) -> RenderCache | None:
    """Return the app's memo of rendered JSON fragments, if it has one."""
    found: RenderCache | None = getattr(request.app.state, "render_cache", None)
    return found


def base_url(request: HTTPConnection) -> str:
    """Return the base URL for links: the configured one, or the request's own."""
    configured = services(request).settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


class Params:
    """Request parameters merged from the query string, a form body and a JSON body.

    Mastodon accepts parameters in any of these, and clients use all three; array
    parameters arrive as ``name[]`` (forms) or JSON lists.
    """

    def __init__(self, data: dict[str, Any], files: dict[str, UploadFile]) -> None:
        self._data = data
        self.files = files

    def raw(self, name: str) -> Any:
        """Return the raw value of ``name`` (or ``name[]``), or None."""
        if name in self._data:
            return self._data[name]
        return self._data.get(name + "[]")

    def text(self, name: str, default: str | None = None, *, max_len: int = 100_000) -> str | None:
        """Return a string parameter, or raise BadRequest for another type."""
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, (bool, int | float)):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if not isinstance(value, str):
            raise BadRequest(f"{name} must be a string")
        if len(value) > max_len:
            raise Unprocessable(f"{name} is too long")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """Return a boolean parameter (true/false/1/0), or raise BadRequest."""
        value = self.raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in {"true", "1", "on", "yes"}:
            return True
        if isinstance(value, str) and value.lower() in {"false", "0", "off", "no"}:
            return False
        raise BadRequest(f"{name} must be a boolean")

    def nested(self, name: str) -> Any:
        """Return a structured parameter: a JSON object or list, or ``name[a][b]`` form keys.

        Form keys become nested dicts (``fields_attributes[0][name]=x`` gives
        ``{"0": {"name": "x"}}``); None when the parameter is absent.
        """
        if name in self._data:
            return self._data[name]
        out: dict[str, Any] = {}
        prefix = name + "["
        for key, value in self._data.items():
            if not key.startswith(prefix):
                continue
            parts = _BRACKETS.findall(key[len(name) :])
            node = out
            for part in parts[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise BadRequest(f"{name} mixes a value and nested keys at {part!r}")
                node = child
            if parts:
                node[parts[-1]] = value[-1] if isinstance(value, list) and value else value
        return out or None

    def ids(self, name: str) -> list[int]:
        """Return a list-of-ids parameter (``name[]`` or a JSON list)."""
        value = self.raw(name)
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else [value]
        return [parse_id(v, name=name, bad=BadRequest) for v in items]


_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _merge_form_value(data: dict[str, Any], key: str, value: Any) -> None:
    if key.endswith("[]"):
        data.setdefault(key, []).append(value)
    elif key in data:
        current = data[key]
        data[key] = [*current, value] if isinstance(current, list) else [current, value]
    else:
        data[key] = value


async def params(request: Request) -> Params:
    """Dependency: parse query, form or JSON body into `Params`."""
    data: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        _merge_form_value(data, key, value)
    files: dict[str, UploadFile] = {}
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/json":
            raw = await request.body()
            if raw.strip():
                body = json_body_of(request.scope, raw)
                if not isinstance(body, dict):
                    raise BadRequest("request body must be a JSON object")
                data.update(body)
        elif ctype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            try:
                form = await request.form(max_files=8, max_fields=1000)
            except AppError:
                raise
            except Exception as exc:  # malformed multipart or too many parts
                raise BadRequest(f"could not parse form body: {exc}") from None
            for fkey, fvalue in form.multi_items():
                if isinstance(fvalue, str):
                    _merge_form_value(data, fkey, fvalue)
                else:
                    files[fkey] = fvalue
    return Params(data, files)


def parse_id(value: Any, *, name: str = "id", bad: type[AppError] = NotFound) -> int:
    """Parse a Snowflake id given as a string or int; raise ``bad`` if it is not one."""
    if isinstance(value, bool):
        raise bad(f"{name} is not a valid id" if bad is not NotFound else "Record not found")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        raise bad(f"{name} is not a valid id" if bad is not NotFound else "Record not found")
    if not 0 <= number < 2**63:
        raise bad(f"{name} is not a valid id" if bad is not NotFound else "Record not found")
    return number


_COUNT = re.compile(r"-?[0-9]{1,10}")


def parse_count(value: str, *, name: str, minimum: int = 0) -> int:
    """Parse a count or offset parameter: at most 10 ASCII digits, at least ``minimum``.

    Raises:
        BadRequest: For anything else (``--1``, ``1.5``, ``²``, 11 digits or more),
            naming the parameter, the value and what is allowed.

    Examples:
        >>> parse_count("40", name="limit", minimum=1)
        40
    """
    number = int(value) if _COUNT.fullmatch(value) else None
    if number is None or number < minimum:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise BadRequest(
            f"{name} must be an integer >= {minimum} of 10 digits at most, got {shown!r}"
        )
    return number


def page_from(request: Request, *, default_limit: int = 20, max_limit: int = MAX_LIMIT) -> Page:
    """Read ``max_id``, ``since_id``, ``min_id`` and ``limit`` from the query string.

    Raises:
        BadRequest: For a non-numeric id or limit, or a limit below 1. Limits above
            ``max_limit`` are clamped to it, as Mastodon does.
    """
    q = request.query_params

    def cursor(name: str) -> int | None:
        value = q.get(name)
        if value is None or value == "":
            return None
        return parse_id(value, name=name, bad=BadRequest)

    limit = default_limit
    raw = q.get("limit")
    if raw is not None and raw != "":
        limit = min(parse_count(raw, name="limit", minimum=1), max_limit)
    return Page(
        max_id=cursor("max_id"), since_id=cursor("since_id"), min_id=cursor("min_id"), limit=limit
    )


def json_list(request: Request, payload: list[dict[str, Any]], ids: Sequence[int]) -> Response:
    """Return a page of entities as JSON with Mastodon's ``Link`` header.

    The list goes straight to ``json.dumps`` instead of through FastAPI's response
    validation: pages of nested statuses are the hot path, and the renderer already
    produces exactly the documented shape.
    """
    link = link_header(request, ids)
    return JSONResponse(payload, headers={"Link": link} if link else None)


def json_page(request: Request, body: str, ids: Sequence[int]) -> Response:
    """Return an already serialized JSON page (see ``Renderer.statuses_json``) with ``Link``.

    The routes keep ``response_model`` for the OpenAPI schema; returning a ``Response``
    skips FastAPI's validation and re-serialization of what the renderer built.
    """
    link = link_header(request, ids)
    return Response(
        body.encode("utf-8"),
        media_type="application/json",
        headers={"Link": link} if link else None,
    )


def set_link(request: Request, response: Response, ids: Sequence[int]) -> None:
    """Set Mastodon's ``Link`` pagination header on ``response`` when the page has items."""
    link = link_header(request, ids)
    if link:
        response.headers["Link"] = link


def link_header(request: Request, ids: Sequence[int]) -> str | None:
    """Build Mastodon's ``Link`` header (next: ``max_id`` = oldest, prev: ``min_id`` = newest)."""
    if not ids:
        return None
    keep = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in {"max_id", "since_id", "min_id"}
    ]
    url = f"{base_url(request)}{request.url.path}"
    nxt = urlencode([*keep, ("max_id", str(min(ids)))])
    prev = urlencode([*keep, ("min_id", str(max(ids)))])
    return f'<{url}?{nxt}>; rel="next", <{url}?{prev}>; rel="prev"'


@dataclass(frozen=True, slots=True)
class Auth:
    """Who is calling: the account (None for an app-only token) and the token's scopes."""

    account_id: int | None
    app_id: int | None
    scopes: str
    token: str


@dataclass(frozen=True, slots=True)
class User(Auth):
    """A caller acting for an account: what ``require(scope)`` gives a route.

    ``account_id`` is an ``int``, checked when the object is made (not by ``assert``,
    which ``python -O`` strips), so a route never acts for "no account".

    Raises:
        TypeError: ``account_id`` is not an int.
    """

    account_id: int

    def __post_init__(self) -> None:
        if not isinstance(self.account_id, int) or isinstance(self.account_id, bool):
            raise TypeError(f"User needs an int account_id, got {self.account_id!r}")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    token = request.query_params.get("access_token")
    return token or None


async def auth_optional(request: Request) -> Auth | None:
    """Dependency: the caller's token if one was sent; an invalid one is a 401.

    The gateway's rate limiter usually looked the token up already and left the record
    in the scope; otherwise it is looked up here: from the process's token cache, or in
    a thread for a network store.
    """
    token = _bearer(request)
    if token is None:
        return None
    resolved = request.scope.get(RESOLVED_TOKEN)  # looked up by the rate limiter already
    accounts = services(request).accounts
    if resolved is not None and resolved[0] == token:
        record = resolved[1]
    elif not request.app.state.blocking_io:
        record = accounts.resolve_token(token)
    elif (record := accounts.cached_token(token)) is None:  # a hit needs no thread hop
        record = await run_in_threadpool(accounts.resolve_token, token)
    if record is None:
        raise Unauthorized("The access token is invalid")
    return Auth(record.account_id, record.app_id, record.scopes, token)


@overload
def require(scope: str) -> Callable[[Request], Awaitable[User]]: ...


@overload
def require(scope: str, *, user: Literal[True]) -> Callable[[Request], Awaitable[User]]: ...


@overload
def require(scope: str, *, user: Literal[False]) -> Callable[[Request], Awaitable[Auth]]: ...


def require(scope: str, *, user: bool = True) -> Callable[[Request], Awaitable[Auth]]:
    """Dependency factory: demand a valid token with ``scope`` (and a user, by default).

    With ``user`` (the default) the dependency returns a `User`, whose ``account_id`` is
    an ``int``: the check is an ``if``, not an ``assert``, so it holds under ``python -O``.

    Raises:
        Unauthorized: No token, or an invalid one.
        Unprocessable: ``user`` and an app-only token.
        Forbidden: The token lacks ``scope``.
    """

    async def dependency(request: Request) -> Auth:
        auth = await auth_optional(request)
        if auth is None:
            raise Unauthorized("The access token is invalid")
        if user and auth.account_id is None:
            raise Unprocessable("This method requires an authenticated user")
        if not scope_allows(auth.scopes, scope):
            raise Forbidden("This action is outside the authorized scopes")
        if not user or auth.account_id is None:  # None only when not ``user`` (see above)
            return auth
        return User(auth.account_id, auth.app_id, auth.scopes, auth.token)

    return dependency


def viewer_of(auth: Auth | None) -> int | None:
    """Return the viewing account id, or None for anonymous and app-only callers."""
    return None if auth is None else auth.account_id
