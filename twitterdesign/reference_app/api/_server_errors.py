"""Unexpected errors become a 500 JSON response on a connection that stays usable.

Starlette's ``ServerErrorMiddleware`` sends the 500 response and then re-raises the
exception "so that servers can log it". Uvicorn does log it, and then closes the
connection because a response had started — without ``Connection: close``, so a
keep-alive client sends its next request into a closed socket (``ECONNRESET``).
`UnexpectedErrorMiddleware` answers and logs the error itself and returns normally,
so the server keeps the connection open for the next request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["UnexpectedErrorMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = logging.getLogger("twitterdesign.reference_app")
_BODY = json.dumps({"error": "internal server error"}, separators=(",", ":")).encode()


class UnexpectedErrorMiddleware:
    """Turn an exception escaping the app into a logged 500 ``{"error": ...}`` response.

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
        except Exception:
            _log.exception(
                "unexpected error on %s %s", scope.get("method", "?"), scope.get("path", "?")
            )
            if complete:
                return
            if started:
                raise
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(_BODY)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _BODY})
