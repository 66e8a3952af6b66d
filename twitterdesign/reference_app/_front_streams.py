"""The front's long-lived connections: server-sent events and websockets, proxied live.

Ordinary requests go through `BalancedTransport`, which reads each answer whole (so a
failed one can be retried elsewhere). A stream never ends, so it cannot be buffered or
retried: the front picks an app process that is up, opens the stream there and copies
bytes (SSE) or messages (websocket) both ways until either side closes. Whichever
process a client is connected to, it sees every event: in a cluster the processes share
them through Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from twitterdesign.reference_app._asgi import Receive, Scope, Send, send_json_error

if TYPE_CHECKING:
    import httpx

__all__ = ["STREAMING_PREFIX", "proxy_event_stream", "proxy_websocket"]

STREAMING_PREFIX = "/api/v1/streaming"
"""Paths whose responses the front streams instead of buffering."""

_SKIP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def proxy_event_stream(
    client: httpx.AsyncClient,
    url: str,
    headers: list[tuple[str, str]],
    receive: Receive,
    send: Send,
) -> None:
    """Forward a GET whose answer streams (SSE) and copy it chunk by chunk.

    Stops when the client disconnects or the app process ends the stream.
    """
    import httpx

    try:
        async with client.stream("GET", url, headers=headers) as reply:
            out = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in reply.headers.multi_items()
                if k.lower() not in _SKIP
            ]
            await send({"type": "http.response.start", "status": reply.status_code,
                        "headers": out})  # fmt: skip
            pump = asyncio.ensure_future(_copy_body(reply, send))
            gone = asyncio.ensure_future(_until_disconnect(receive))
            await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
            for task in (pump, gone):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                    await task
    except httpx.HTTPError:
        await send_json_error(send, 502, "the app process did not open the stream")
        return
    with contextlib.suppress(Exception):  # the client may be gone already
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _copy_body(reply: httpx.Response, send: Send) -> None:
    async for chunk in reply.aiter_raw():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def proxy_websocket(backend: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Open the same websocket on ``backend`` (``http://host:port``) and relay messages.

    The handshake's ``Authorization`` and ``Sec-WebSocket-Protocol`` (the token) go to
    the app process; a refusal there (an invalid token) is a refusal here, with its code.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

    opened = await receive()
    if opened["type"] != "websocket.connect":
        return
    url = backend.replace("http", "ws", 1) + scope["path"]
    if scope.get("query_string"):
        url += "?" + scope["query_string"].decode("latin-1")
    headers = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
    }
    extra = {"authorization": headers["authorization"]} if "authorization" in headers else {}
    protocols = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p]
    try:
        upstream = await connect(
            url,
            additional_headers=extra,
            subprotocols=protocols or None,
            open_timeout=10,
        )
    except InvalidStatus:
        await send({"type": "websocket.close", "code": 1008})
        return
    except (OSError, WebSocketException, TimeoutError):
        await send({"type": "websocket.close", "code": 1011})
        return
    await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})

    async def downstream() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in upstream:
                key = "text" if isinstance(message, str) else "bytes"
                await send({"type": "websocket.send", key: message})
        code = upstream.close_code or 1000
        with contextlib.suppress(Exception):
            await send({"type": "websocket.close", "code": code})

    async def from_client() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text") if message.get("text") is not None else message.get("bytes")
            if data is not None:
                await upstream.send(data)

    tasks = [asyncio.ensure_future(downstream()), asyncio.ensure_future(from_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await task
        await upstream.close()
