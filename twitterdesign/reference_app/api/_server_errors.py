"""Unexpected errors become a 500 JSON response on a connection that stays usable.

Starlette's ``ServerErrorMiddleware`` sends the 500 response and then re-raises the
exception "so that servers can log it". Uvicorn does log it, and then closes the
connection because a response had started — without ``Connection: close``, so a
keep-alive client sends its next request into a closed socket (``ECONNRESET``).
`UnexpectedErrorMiddleware` answers and logs the error itself and returns normally,
so the server keeps the connection open for the next request.
"""

from __future__ import annotations

import logging

from twitterdesign.reference_app._asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    send_json_error,
)
from twitterdesign.reference_app.api._errors import RETRY_AFTER_S, unavailable_error

__all__ = ["UnexpectedErrorMiddleware"]


_log = logging.getLogger("twitterdesign.reference_app")


class UnexpectedErrorMiddleware:
    """Turn an exception escaping the app into a logged 500 ``{"error": ...}`` response.

    A lost database connection is no bug: it answers 503 with ``Retry-After`` (logged
    as a warning, without a traceback) and the next request gets a fresh connection.

    If the response had already started, its status and length are on the wire and
    cannot be taken back: the exception is re-raised so the server drops the connection,
    the only honest end for a response cut short. If the response had completed (the
    error came later), the client has its answer and the connection stays open.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = complete = False

        async def tracked_send(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                complete = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            unavailable = unavailable_error(exc)
            if unavailable is not None and not started:
                _log.warning(
                    "database unavailable on %s %s: %s",
                    scope.get("method", "?"),
                    scope.get("path", "?"),
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                )
                retry = (b"retry-after", str(RETRY_AFTER_S).encode())
                await send_json_error(send, 503, unavailable.message, [retry])
                return
            _log.exception(
                "unexpected error on %s %s", scope.get("method", "?"), scope.get("path", "?")
            )
            if complete:
                return
            if started:
                raise
            await send_json_error(send, 500, "internal server error")
