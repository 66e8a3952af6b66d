"""CORS as Mastodon serves it: a web client on any origin may call the API with a token.

Mastodon (``config/initializers/cors.rb``, rack-cors) allows every origin on ``/api/*``
(methods GET, POST, PUT, PATCH, DELETE, OPTIONS; any request header; ``Link`` and the
rate-limit headers exposed), on ``POST /oauth/token`` and ``/oauth/revoke``, and GET on
``/.well-known/*`` and ``/nodeinfo/*`` — always *without credentials*: a browser sends no
cookies with such calls, and the API authenticates by bearer token only, so allowing every
origin gives a page nothing it could not already do with a token it holds. Pages that a
user's browser session would act on (``/oauth/authorize``) get no CORS headers at all.

The lesson's API (``/lesson/v1/``) is treated as ``/api/``. Browsers' preflights
(``OPTIONS`` with ``Access-Control-Request-Method``) are answered here, before the rate
limits and the routes; responses of every status, 4xx and 5xx included, carry the headers
so a web client can read the error. The work is done by Starlette's ``CORSMiddleware``;
this module only decides which paths it covers and with which rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware

from twitterdesign.reference_app._asgi import ASGIApp, Receive, Scope, Send

__all__ = ["EXPOSED_HEADERS", "PathCorsMiddleware"]

EXPOSED_HEADERS = (
    "Link",
    "X-RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-Request-Id",
)
"""Response headers a cross-origin page may read (Mastodon's list)."""

_API_PREFIXES = ("/api/", "/lesson/")
_API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_TOKEN_PATHS = frozenset({"/oauth/token", "/oauth/revoke"})
_READ_PREFIXES = ("/.well-known/", "/nodeinfo/")
_MAX_AGE_S = 7200  # how long a browser may cache a preflight (rack-cors' default)


class PathCorsMiddleware:
    """Add CORS to the API, token and discovery paths; leave every other path alone.

    Args:
        app: The application to wrap.
        origins: Allowed origins: ``("*",)`` for any (Mastodon's choice), or exact
            origins such as ``"https://elk.zone"``; empty turns CORS off.
    """

    def __init__(self, app: ASGIApp, *, origins: Sequence[str]) -> None:
        self._app = app
        self._on = bool(origins)

        def cors(methods: Sequence[str], expose: Sequence[str] = ()) -> CORSMiddleware:
            return CORSMiddleware(
                app,
                allow_origins=list(origins),
                allow_methods=list(methods),
                allow_headers=["*"],
                allow_credentials=False,
                expose_headers=list(expose),
                max_age=_MAX_AGE_S,
            )

        self._api = cors(_API_METHODS, EXPOSED_HEADERS)
        self._token = cors(("POST", "OPTIONS"))
        self._read = cors(("GET", "OPTIONS"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route an HTTP request through the CORS rules of its path, if it has any."""
        if not self._on or scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(_API_PREFIXES):
            await self._api(scope, receive, send)
        elif path in _TOKEN_PATHS:
            await self._token(scope, receive, send)
        elif path.startswith(_READ_PREFIXES):
            await self._read(scope, receive, send)
        else:
            await self._app(scope, receive, send)
