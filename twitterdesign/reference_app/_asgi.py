"""The raw ASGI types and the one JSON error answer shared by the app's middlewares.

The gateway, the input guard, the last-resort error handler and the multi-process front
all answer some requests before (or instead of) any route, so they speak ASGI directly.
They answer errors alike: ``{"error": message}`` as JSON with an exact length.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_json_error(
    send: Send, status: int, message: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Send a whole ``{"error": message}`` response with ``status`` and extra ``headers``."""
    body = json.dumps({"error": message}, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
