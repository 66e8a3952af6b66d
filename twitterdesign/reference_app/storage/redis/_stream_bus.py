"""`RedisStreamBus`: the streaming API's events between the processes of a cluster.

Redis pub/sub, as Mastodon's streaming server uses it: one channel,
``<prefix>streaming``, that fan-out workers and app instances publish to and every app
instance subscribes to. Pub/sub keeps nothing: an instance that is disconnected misses
what was published meanwhile, which is what a live feed promises (clients catch up
through the REST timelines). The subscriber reconnects by itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from twitterdesign.reference_app.storage.redis._connection import RedisConnection
from twitterdesign.reference_app.storage.stream_bus import StreamEvent

__all__ = ["RedisStreamBus"]

_log = logging.getLogger("twitterdesign.streaming")


class RedisStreamBus:
    """A `StreamBus` over one Redis pub/sub channel.

    Args:
        client_or_url: A ``redis://`` URL (this bus owns its connections) or a client.
        prefix: Key prefix of the app (the channel is ``<prefix>streaming``).
        connect_timeout_s: Seconds to wait for the server when connecting.

    Examples:
        >>> import queue, uuid
        >>> bus = RedisStreamBus(
        ...     "redis://127.0.0.1:6379/0", prefix=f"td_doctest:{uuid.uuid4().hex}:")
        >>> heard: queue.Queue[StreamEvent] = queue.Queue()
        >>> stop = bus.subscribe(heard.put)
        >>> while bus.received == 0:  # published until the listener has subscribed
        ...     bus.publish(StreamEvent("status", 1, 2))
        ...     try:
        ...         event = heard.get(timeout=0.2)
        ...         break
        ...     except queue.Empty:
        ...         pass
        >>> event
        StreamEvent(kind='status', id=1, account_id=2, visibility='', audience=())
        >>> stop(); bus.close()
    """

    def __init__(
        self,
        client_or_url: str | redis.Redis,
        *,
        prefix: str = "td:",
        connect_timeout_s: float = 5.0,
    ) -> None:
        self._conn = RedisConnection(
            client_or_url, connect_timeout_s=connect_timeout_s, check=False
        )
        self.channel = f"{prefix}streaming"
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[StreamEvent], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False
        self.published = self.received = 0

    def publish(self, event: StreamEvent) -> None:
        """Publish ``event`` to every subscribed process; a Redis error is logged once."""
        try:
            self._conn.client.publish(self.channel, event.to_json())
            self.published += 1
        except redis.RedisError as exc:
            if not self._warned:
                self._warned = True
                _log.warning("streaming events are not published (%s): %s", self._conn.url, exc)

    def subscribe(self, callback: Callable[[StreamEvent], None]) -> Callable[[], None]:
        """Call ``callback`` on the listener thread for every event; start it if needed."""
        with self._lock:
            self._callbacks.append(callback)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen, name="td-stream-bus", daemon=True
                )
                self._thread.start()

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def _listen(self) -> None:
        while not self._stop.is_set():
            pubsub = self._conn.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is not None and message.get("type") == "message":
                        self._dispatch(message["data"])
            except redis.RedisError as exc:  # the server restarts: reconnect shortly
                _log.warning("streaming bus lost %s (%s); reconnecting", self._conn.url, exc)
                self._stop.wait(1.0)
            finally:
                pubsub.close()

    def _dispatch(self, data: str | bytes) -> None:
        event = StreamEvent.from_json(data)
        if event is None:
            return
        self.received += 1
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback(event)

    def close(self) -> None:
        """Stop the listener thread and close the connections this bus opened."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self._conn.close()
