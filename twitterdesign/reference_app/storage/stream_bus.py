"""The streaming seam: how stream events travel between the processes that serve clients.

A `StreamEvent` is what the streaming API's router needs to hear of (a new status, a
deletion, a notification) in as few bytes as a bus message can be; a `StreamBus` carries
it to every app process. `InProcessStreamBus` serves one process (the embedded mode);
`twitterdesign.reference_app.storage.redis.RedisStreamBus` (Redis pub/sub) serves a
cluster. `twitterdesign.reference_app.services.streaming.StreamingService` routes the
events to connected clients.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["InProcessStreamBus", "StreamBus", "StreamEvent"]

_KINDS = ("status", "status.update", "delete", "notification", "revoke")


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """Something a stream may carry, as small as a bus message can be.

    Attributes:
        kind: ``status`` (new status or reblog), ``status.update`` (an edited status),
            ``delete``, ``notification``, or ``revoke`` (an access token was revoked:
            forget it, end its streams).
        id: The status or notification id; for ``revoke``, the token's key
            (`twitterdesign.reference_app.services.token_cache.token_key`).
        account_id: The author (``status``, ``status.update``, ``delete``), the owner
            (``notification``, ``revoke``; 0 for an app-only token).
        visibility: For ``delete``: the deleted status's visibility (who may hear of it).
        audience: For the ``delete`` of a direct status: the accounts it mentioned (with
            its author, the only ones who may hear of it).
    """

    kind: str
    id: int
    account_id: int
    visibility: str = ""
    audience: tuple[int, ...] = ()

    def to_json(self) -> str:
        """Encode for a bus message."""
        fields: list[object] = [self.kind, self.id, self.account_id, self.visibility]
        if self.audience:
            fields.append(list(self.audience))
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str | bytes) -> StreamEvent | None:
        """Decode a bus message; None for anything malformed (a bus is not trusted input).

        Examples:
            >>> StreamEvent.from_json(StreamEvent("status", 7, 3).to_json())
            StreamEvent(kind='status', id=7, account_id=3, visibility='', audience=())
            >>> StreamEvent.from_json("not json") is None
            True
        """
        try:
            kind, event_id, account_id, visibility, *rest = json.loads(text)
        except (ValueError, TypeError):
            return None
        if kind not in _KINDS or not isinstance(event_id, int) or not isinstance(account_id, int):
            return None
        audience = rest[0] if len(rest) == 1 else []
        if len(rest) > 1 or not isinstance(audience, list):
            return None
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in audience):
            return None
        return cls(kind, event_id, account_id, str(visibility), tuple(audience))


@runtime_checkable
class StreamBus(Protocol):
    """Carries stream events to every app process (best effort, no replay)."""

    def publish(self, event: StreamEvent) -> None:
        """Send ``event`` to every subscriber, in every process; never raises."""
        ...

    def subscribe(self, callback: Callable[[StreamEvent], None]) -> Callable[[], None]:
        """Call ``callback`` (on a bus thread) with every event; return an unsubscriber."""
        ...

    def close(self) -> None:
        """Stop delivering and release connections."""
        ...


class InProcessStreamBus:
    """A `StreamBus` within one process: publish calls the subscribers directly.

    Examples:
        >>> bus = InProcessStreamBus()
        >>> seen = []
        >>> stop = bus.subscribe(seen.append)
        >>> bus.publish(StreamEvent("status", 1, 2))
        >>> stop(); bus.publish(StreamEvent("status", 3, 2))
        >>> [e.id for e in seen]
        [1]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[StreamEvent], None]] = []

    def publish(self, event: StreamEvent) -> None:
        """Call every subscriber now, in this thread."""
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback(event)

    def subscribe(self, callback: Callable[[StreamEvent], None]) -> Callable[[], None]:
        """Add ``callback``; the returned function removes it."""
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def close(self) -> None:
        """Forget every subscriber."""
        with self._lock:
            self._callbacks.clear()
