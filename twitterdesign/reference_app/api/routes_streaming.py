"""The streaming API: Mastodon's websocket and server-sent events, fed by fan-out.

- ``GET /api/v1/streaming`` (websocket): one connection, many streams; the client sends
  ``{"type": "subscribe", "stream": "hashtag", "tag": "python"}`` (or ``unsubscribe``)
  and receives ``{"stream": ["hashtag", "python"], "event": "update", "payload": "<JSON
  string>"}``; errors are ``{"error": "...", "status": 4xx}``. The token comes as
  ``access_token=`` in the query, as the ``Sec-WebSocket-Protocol`` (browsers cannot set
  headers on a websocket) or as an ``Authorization`` header.
- ``GET /api/v1/streaming/<stream>`` (SSE): one stream per request — ``user``,
  ``user/notification``, ``public``, ``public/local``, ``hashtag?tag=``,
  ``hashtag/local?tag=``, ``direct`` — as ``event: update\\ndata: {...}`` blocks, with a
  ``:thump`` comment every 15 s so proxies keep the connection open.
- ``GET /api/v1/streaming/health``: ``OK``.

Events are ``update`` (a status: the full Status entity, rendered for the subscriber),
``delete`` (a status id), ``notification`` and, on the ``direct`` stream only,
``conversation`` (a Conversation entity whose ``last_status`` is the direct status).
Each connection has a bounded queue: a client that does not read fast enough is
disconnected (websocket close code 1013, "try
again later"; the SSE response ends) rather than slowing anyone else or growing memory.

References:
    Mastodon, "streaming API methods", https://docs.joinmastodon.org/methods/streaming/
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from twitterdesign.reference_app.api._deps import Auth, auth_optional, base_url, services
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._render_conversations import conversation_json
from twitterdesign.reference_app.api._render_notifications import notifications_json
from twitterdesign.reference_app.errors import BadRequest, Forbidden, Unauthorized
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.services.accounts import hash_secret, scope_allows
from twitterdesign.reference_app.services.streaming import PUBLIC_STREAMS, STREAMS
from twitterdesign.reference_app.services.token_cache import token_key
from twitterdesign.reference_app.storage import StatusRecord

__all__ = ["router"]

router = APIRouter(tags=["streaming"])

MAX_QUEUED = 1_000
"""Messages a connection may have waiting before it is dropped as too slow."""

HEARTBEAT_S = 15.0
"""Seconds between SSE heartbeat comments (Mastodon's streaming server: 15 s)."""

_CLOSE = object()  # queued when the client fell too far behind
_REVOKED = object()  # queued when the connection's token was revoked
_SCOPES = {
    "user": "read:statuses",
    "user:notification": "read:notifications",
    "direct": "read:statuses",
}


class StreamConnection:
    """One client of the streaming API: its subscriptions and its outgoing queue.

    A `twitterdesign.reference_app.services.streaming.Listener`: the dispatcher thread
    calls `deliver`, which renders the message for this viewer and hands it to the
    event loop; the connection's writer sends it.
    """

    def __init__(
        self,
        svc: Services,
        base: str,
        auth: Auth | None,
        loop: asyncio.AbstractEventLoop,
        *,
        max_queued: int | None = None,
    ) -> None:
        self._svc = svc
        self._base = base
        self._auth = auth
        self._loop = loop
        self._subs: frozenset[tuple[str, str]] = frozenset()
        self.queue: asyncio.Queue[Any] = asyncio.Queue()  # bounded by `_put`
        self._max = MAX_QUEUED if max_queued is None else max_queued
        self.too_slow = False
        self.token_key = None if auth is None else token_key(hash_secret(auth.token))

    @property
    def account_id(self) -> int | None:
        """The authenticated account, None for anonymous public streams."""
        return None if self._auth is None else self._auth.account_id

    def subscriptions(self) -> frozenset[tuple[str, str]]:
        """The streams this client listens to now."""
        return self._subs

    def subscribe(self, stream: str, tag: str = "") -> tuple[str, str]:
        """Add a stream after checking the caller may read it; return its key.

        Raises:
            BadRequest: An unknown stream, or a hashtag stream without a tag.
            Unauthorized: A user stream without a token for a user.
            Forbidden: The token lacks the stream's scope.
        """
        key = self._check(stream, tag)
        self._subs = self._subs | {key}
        return key

    def unsubscribe(self, stream: str, tag: str = "") -> None:
        """Remove a stream (nothing happens if it was not subscribed)."""
        name, tag = stream, tag.lstrip("#").lower() if stream.startswith("hashtag") else ""
        self._subs = self._subs - {(name, tag)}

    def _check(self, stream: str, tag: str) -> tuple[str, str]:
        if stream not in STREAMS:
            raise BadRequest(f"Unknown stream type {stream!r}; known: {', '.join(STREAMS)}")
        if stream.startswith("hashtag"):
            tag = tag.lstrip("#").lower()
            if not tag:
                raise BadRequest("A hashtag stream needs a tag")
            return stream, tag
        if stream not in PUBLIC_STREAMS:
            if self._auth is None or self._auth.account_id is None:
                raise Unauthorized("This stream requires an access token for a user")
            if not scope_allows(self._auth.scopes, _SCOPES[stream]):
                raise Forbidden("This stream is outside the authorized scopes")
        return stream, ""

    # --- called by the dispatcher thread ---------------------------------------------
    def deliver(self, stream: list[str], event: str, item: Any) -> None:
        """Render one message for this viewer and queue it (never blocks).

        Rendering reads the database; should that fail, the router skips this listener.
        """
        renderer = Renderer(self._svc, self._base, self.account_id)
        if event == "conversation":
            conversation = conversation_json(renderer, item)
            payload = [] if conversation is None else [conversation]
        elif isinstance(item, StatusRecord):
            payload = renderer.statuses([item])
        else:
            payload = notifications_json(renderer, [item])
        if payload:
            self._queue(stream, event, json.dumps(payload[0], separators=(",", ":")))

    def deliver_delete(self, stream: list[str], status_id: int) -> None:
        """Queue a ``delete`` message."""
        self._queue(stream, "delete", str(status_id))

    def revoked(self) -> None:
        """End this connection: its token was revoked (Mastodon's streaming does too)."""
        try:
            self._loop.call_soon_threadsafe(self._end)
        except RuntimeError:  # the server is shutting down: its loop is closed
            self.too_slow = True

    def _end(self) -> None:
        self.too_slow = True  # nothing more is queued after the end
        self.queue.put_nowait(_REVOKED)

    def _queue(self, stream: list[str], event: str, payload: str) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, (stream, event, payload))
        except RuntimeError:  # the server is shutting down: its loop is closed
            self.too_slow = True

    def _put(self, message: tuple[list[str], str, str]) -> None:
        if self.too_slow:
            return
        if self.queue.qsize() >= self._max:
            self.too_slow = True
            self.queue.put_nowait(_CLOSE)  # the one slot kept free for it
            return
        self.queue.put_nowait(message)


def _token_of(headers: Any, query: Any) -> tuple[str | None, str | None]:
    """Return (token, the subprotocol to echo) from a websocket handshake."""
    header = headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None, None
    protocol = headers.get("sec-websocket-protocol", "").strip()
    if protocol and "," not in protocol:
        return protocol, protocol
    return query.get("access_token") or None, None


async def _resolve(svc: Services, token: str | None) -> Auth | None:
    if token is None:
        return None
    record = svc.accounts.cached_token(token)
    if record is None:
        record = (
            await run_in_threadpool(svc.accounts.resolve_token, token)
            if svc.blocking_io
            else svc.accounts.resolve_token(token)
        )
    if record is None:
        raise Unauthorized("The access token is invalid")
    return Auth(record.account_id, record.app_id, record.scopes, token)


@router.get(
    "/api/v1/streaming/health",
    summary="Is the streaming API up",
    response_class=PlainTextResponse,
)
def streaming_health() -> PlainTextResponse:
    """Answer ``OK`` (Mastodon's streaming server does the same)."""
    return PlainTextResponse("OK")


@router.websocket("/api/v1/streaming")
async def streaming_websocket(websocket: WebSocket) -> None:
    """Serve the multiplexed websocket stream."""
    svc: Services = websocket.app.state.services
    token, protocol = _token_of(websocket.headers, websocket.query_params)
    try:
        auth = await _resolve(svc, token)
    except Unauthorized:
        await websocket.close(code=1008, reason="The access token is invalid")  # policy
        return
    # Links in the statuses sent point at the web, not at this websocket's ws:// URL.
    base = base_url(websocket).replace("ws", "http", 1)
    conn = StreamConnection(svc, base, auth, asyncio.get_running_loop())
    first = websocket.query_params.get("stream")
    if first:
        try:
            conn.subscribe(first, websocket.query_params.get("tag", ""))
        except (BadRequest, Unauthorized, Forbidden) as exc:
            await websocket.close(code=1008, reason=exc.message[:120])
            return
    await websocket.accept(subprotocol=protocol)
    svc.streaming.add(conn)
    writer = asyncio.create_task(_write_websocket(websocket, conn))
    try:
        while True:
            message = await websocket.receive_text()
            error = _apply_command(conn, message)
            if error is not None:
                await websocket.send_text(json.dumps(error))
    except WebSocketDisconnect:
        pass
    finally:
        svc.streaming.remove(conn)
        writer.cancel()


def _apply_command(conn: StreamConnection, text: str) -> dict[str, Any] | None:
    """Apply a subscribe/unsubscribe command; return an error message for the client."""
    try:
        command = json.loads(text)
    except ValueError:
        return {"error": "Could not parse the message as JSON", "status": 400}
    if not isinstance(command, dict) or command.get("type") not in ("subscribe", "unsubscribe"):
        return {"error": "Expected type subscribe or unsubscribe", "status": 400}
    stream, tag = str(command.get("stream", "")), str(command.get("tag", ""))
    if command["type"] == "unsubscribe":
        conn.unsubscribe(stream, tag)
        return None
    try:
        conn.subscribe(stream, tag)
    except BadRequest as exc:
        return {"error": exc.message, "status": 400}
    except Unauthorized as exc:
        return {"error": exc.message, "status": 401}
    except Forbidden as exc:
        return {"error": exc.message, "status": 403}
    return None


async def _write_websocket(websocket: WebSocket, conn: StreamConnection) -> None:
    while True:
        message = await conn.queue.get()
        if message is _CLOSE:
            await websocket.close(code=1013, reason="The client did not keep up")
            return
        if message is _REVOKED:
            await websocket.close(code=1008, reason="The access token was revoked")
            return
        stream, event, payload = message
        await websocket.send_text(
            json.dumps({"stream": stream, "event": event, "payload": payload})
        )


def _sse_route(path: str, stream: str) -> None:
    async def sse(request: Request) -> StreamingResponse:
        svc = services(request)
        auth = await auth_optional(request)
        conn = StreamConnection(svc, base_url(request), auth, asyncio.get_running_loop())
        conn.subscribe(stream, request.query_params.get("tag", ""))
        svc.streaming.add(conn)
        return StreamingResponse(
            _sse_body(svc, conn),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    sse.__name__ = f"stream_{stream.replace(':', '_')}"
    sse.__doc__ = f"Server-sent events of the ``{stream}`` stream."
    router.add_api_route(path, sse, methods=["GET"], summary=f"The {stream} stream (SSE)")


async def _sse_body(svc: Services, conn: StreamConnection) -> AsyncIterator[str]:
    try:
        yield ":)\n\n"
        while True:
            try:
                message = await asyncio.wait_for(conn.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                yield ":thump\n\n"
                continue
            if message is _CLOSE or message is _REVOKED:
                return
            _stream, event, payload = message
            yield f"event: {event}\ndata: {payload}\n\n"
    finally:
        svc.streaming.remove(conn)


for _path, _stream in (
    ("/api/v1/streaming/user", "user"),
    ("/api/v1/streaming/user/notification", "user:notification"),
    ("/api/v1/streaming/public", "public"),
    ("/api/v1/streaming/public/local", "public:local"),
    ("/api/v1/streaming/hashtag", "hashtag"),
    ("/api/v1/streaming/hashtag/local", "hashtag:local"),
    ("/api/v1/streaming/direct", "direct"),
):
    _sse_route(_path, _stream)
