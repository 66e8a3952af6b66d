"""The streaming API's server side: which connected client gets which event.

Mastodon's streaming server subscribes to Redis channels its web processes and Sidekiq
workers publish to (``timeline:<account>``, ``timeline:public``, ``timeline:hashtag:<tag>``)
and writes each message to the connections subscribed to that stream. Here the events are
the ones that already drive fan-out, so a status reaches a stream exactly when it reaches
timelines:

- ``status`` (a new status or reblog) — published by whoever applies the outbox event: the
  app's own `FanoutWorker` in the embedded mode, the ``twitterdesign worker`` processes in
  the cluster (after the push, from the shared log);
- ``status.update`` — published by the app when a status is edited (routed as a new
  status is: to whoever may see it);
- ``delete`` — published by the app when a status or reblog is deleted;
- ``notification`` — published by the app when one is stored.

A `StreamBus` carries them: `InProcessStreamBus` in one process, `RedisStreamBus`
(``storage.redis``) between the processes of a cluster, so a client connected to any
instance sees every event. Each process's `StreamingService` takes the bus's events on
a thread of its own through a bounded queue (fan-out never waits for streaming; a burst
beyond the queue is dropped and counted, as a real-time feed drops rather than lags) and
routes each to its `Listener` s — one per connected client — applying the visibility rules
per listener: a ``user`` stream gets the statuses of accounts its owner follows and their
own, each re-checked with `StatusService.get_visible`; ``public`` and ``hashtag`` streams
get public statuses, without replies to others (as Mastodon's public timelines); a
``list`` stream (its owner's only) gets exactly the statuses its list timeline shows
(`ListService.contains`: a member's, visible to the owner, per the reply policy). A
``direct`` status goes to the ``direct`` streams of its author and the accounts it
mentions, as a ``conversation`` event, and to no other stream (its deletion likewise). No
subscriber gets a status (or a reblog of one) by an account it blocks, mutes or is blocked
by, nor a notification hidden from it (`NotificationService`).

References:
    Mastodon, "streaming API methods", https://docs.joinmastodon.org/methods/streaming/
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from twitterdesign.reference_app.errors import AppError
from twitterdesign.reference_app.storage import StatusRecord, Store
from twitterdesign.reference_app.storage.stream_bus import (
    InProcessStreamBus,
    StreamBus,
    StreamEvent,
)

if TYPE_CHECKING:
    from twitterdesign.reference_app.log import LogEntry
    from twitterdesign.reference_app.services.fanout import FanoutOutcome
    from twitterdesign.reference_app.services.filters import FilterMatcher, FilterService
    from twitterdesign.reference_app.services.lists import ListService
    from twitterdesign.reference_app.services.notifications import (
        Notification,
        NotificationService,
    )
    from twitterdesign.reference_app.services.statuses import StatusService

__all__ = [
    "PUBLIC_STREAMS",
    "STREAMS",
    "InProcessStreamBus",
    "Listener",
    "StreamBus",
    "StreamEvent",
    "StreamingService",
    "publish_applied",
]

_log = logging.getLogger("twitterdesign.streaming")

STREAMS = (
    "user",
    "user:notification",
    "public",
    "public:local",
    "hashtag",
    "hashtag:local",
    "list",
    "direct",
)
"""Stream names a client may subscribe to (``hashtag`` ones take a tag, ``list`` a list id)."""

PUBLIC_STREAMS = frozenset({"public", "public:local", "hashtag", "hashtag:local"})
"""Streams that need no access token (public statuses only)."""


class Listener(Protocol):
    """One connected client, as the router sees it (the API implements it)."""

    @property
    def account_id(self) -> int | None:
        """The authenticated account, None for an anonymous public stream."""
        ...

    def subscriptions(self) -> frozenset[tuple[str, str]]:
        """The streams it listens to now: ``(name, tag)``: the tag of a hashtag stream, the
        list id of a list stream, empty for the others."""
        ...

    def deliver(self, stream: list[str], event: str, item: StatusRecord | Notification) -> None:
        """Take one message (render and queue it; never block, never raise)."""
        ...

    def deliver_delete(self, stream: list[str], status_id: int) -> None:
        """Take one ``delete`` message."""
        ...

    @property
    def token_key(self) -> int | None:
        """The key of the access token it connected with (`token_cache.token_key`)."""
        ...

    def revoked(self) -> None:
        """End the connection: its token was revoked (never block, never raise)."""
        ...


class StreamingService:
    """Route bus events to this process's listeners, on a dispatcher thread.

    Args:
        store: Reads the status of an event and the follow graph.
        statuses: Checks what each listener may see.
        notifications: Loads a notification for its owner.
        bus: Where events come from (and go to, see `publish`).
        max_queued: Events waiting for the dispatcher before new ones are dropped.
        lists: Says which lists hold an author and what their timelines show (None: no
            ``list`` stream gets anything).
    """

    def __init__(
        self,
        store: Store,
        statuses: StatusService,
        notifications: NotificationService,
        bus: StreamBus,
        *,
        max_queued: int = 10_000,
        lists: ListService | None = None,
    ) -> None:
        self._store = store
        self._lists = lists
        self._statuses = statuses
        self._notifications = notifications
        self.bus = bus
        self._queue: queue.Queue[StreamEvent | None] = queue.Queue(max_queued)
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.filters: FilterService | None = None
        """The subscribers' ``hide`` filters (home on ``user``, public on the others)."""
        self.dropped = 0  # events the dispatcher could not keep up with
        self.routed = 0
        # Called on the bus thread with every revoked token's key (the token cache).
        self.on_token_revoked: Callable[[int], None] | None = None

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """Subscribe to the bus and start the dispatcher thread (idempotent)."""
        if self._thread is not None:
            return
        self._unsubscribe = self.bus.subscribe(self._enqueue)
        self._thread = threading.Thread(target=self._run, name="td-streaming", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Unsubscribe and stop the dispatcher (events still queued are dropped)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            while True:  # make room for the stop marker
                try:
                    self._queue.put_nowait(None)
                    break
                except queue.Full:
                    self._queue.get_nowait()
            self._thread.join(5.0)
            self._thread = None

    # --- listeners -----------------------------------------------------------------
    def add(self, listener: Listener) -> None:
        """Start routing events to ``listener``."""
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: Listener) -> None:
        """Stop routing to ``listener`` (a disconnected client)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def listener_count(self) -> int:
        """Connected clients in this process."""
        with self._lock:
            return len(self._listeners)

    # --- events in -----------------------------------------------------------------
    def publish(self, event: StreamEvent) -> None:
        """Publish an event the app made (a delete, a notification) on the bus."""
        self.bus.publish(event)

    def status_created(self, status_id: int, author_id: int) -> None:
        """Publish a status just fanned out (new, or a reblog)."""
        self.publish(StreamEvent("status", status_id, author_id))

    def status_edited(self, status: StatusRecord) -> None:
        """Publish the edit of ``status`` (a ``status.update`` to whoever may see it)."""
        self.publish(StreamEvent("status.update", status.id, status.account_id))

    def status_deleted(self, status: StatusRecord) -> None:
        """Publish the deletion of ``status``."""
        audience = status.mention_ids if status.visibility == "direct" else ()
        self.publish(
            StreamEvent("delete", status.id, status.account_id, status.visibility, audience)
        )

    def notification_added(self, notification_id: int, owner: int) -> None:
        """Publish a new notification for ``owner``."""
        self.publish(StreamEvent("notification", notification_id, owner))

    def token_revoked(self, key: int, account_id: int | None) -> None:
        """Publish a token's revocation: every process forgets it and ends its streams."""
        self.publish(StreamEvent("revoke", key, account_id or 0))

    def _enqueue(self, event: StreamEvent) -> None:
        if event.kind == "revoke":  # at once, never dropped behind a full queue
            self._revoke(event.id)
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                self.route(event)
            except Exception:  # the database is away for a moment: this event is lost
                self.dropped += 1

    def _revoke(self, key: int) -> None:
        if self.on_token_revoked is not None:
            self.on_token_revoked(key)
        with self._lock:
            ending = [listener for listener in self._listeners if listener.token_key == key]
        for listener in ending:
            listener.revoked()

    # --- routing -------------------------------------------------------------------
    def route(self, event: StreamEvent) -> None:
        """Deliver ``event`` to every listener that may see it (the dispatcher calls this)."""
        with self._lock:
            listeners = list(self._listeners)
        if not listeners:
            return
        self.routed += 1
        if event.kind in ("status", "status.update"):
            self._route_status(event, listeners)
        elif event.kind == "delete":
            self._route_delete(event, listeners)
        else:
            self._route_notification(event, listeners)

    def _followers_among(self, author: int, listeners: Iterable[Listener]) -> set[int]:
        users = {
            listener.account_id
            for listener in listeners
            if listener.account_id is not None and ("user", "") in listener.subscriptions()
        }
        if not users:
            return set()
        return self._store.followed_by_set(author, users) | ({author} & users)

    def _route_status(self, event: StreamEvent, listeners: list[Listener]) -> None:
        status = self._store.get_statuses([event.id]).get(event.id)
        if status is None:
            return
        if status.visibility == "direct":
            self._route_direct(status, listeners)
            return
        # A new status is an ``update`` message; an edited one a ``status.update``.
        name_of_event = "update" if event.kind == "status" else "status.update"
        home = self._followers_among(status.account_id, listeners)
        # Reblogs go to home streams only (Mastodon's public timelines leave them out).
        public = _is_public_timeline(status) and status.reblog_of_id is None
        tags = set(status.tags) if public else set()
        hides = self._hider(status)
        filtered = self._filter_check(status)
        for listener in listeners:
            if hides(listener.account_id):  # blocked or muted, per subscriber
                continue
            subs = listener.subscriptions()
            if (
                listener.account_id in home
                and ("user", "") in subs
                and not filtered(listener.account_id, "home")
                and self._may_see(listener.account_id, status)
            ):
                _safely(listener.deliver, ["user"], name_of_event, status)
            if not public or filtered(listener.account_id, "public"):
                continue
            for name in ("public", "public:local"):
                if (name, "") in subs:
                    _safely(listener.deliver, [name], name_of_event, status)
            for name, tag in subs:
                if name in ("hashtag", "hashtag:local") and tag in tags:
                    _safely(listener.deliver, [name, tag], name_of_event, status)
        self._route_lists(status, listeners, name_of_event, hides, filtered)

    def _list_subscribers(self, listeners: list[Listener]) -> dict[int, list[Listener]]:
        """Return ``{list id: its listeners}`` (a list stream is only its owner's)."""
        out: dict[int, list[Listener]] = {}
        for listener in listeners:
            for name, key in listener.subscriptions():
                if name == "list" and key.isdigit():
                    out.setdefault(int(key), []).append(listener)
        return out

    def _route_lists(
        self,
        status: StatusRecord,
        listeners: list[Listener],
        name_of_event: str,
        hides: Callable[[int | None], bool],
        filtered: Callable[[int | None, str], bool],
    ) -> None:
        """A list stream gets what its timeline shows, minus what its owner hides (blocks,
        mutes, and ``hide`` filters of the ``home`` context, where Mastodon files lists)."""
        subscribed = self._list_subscribers(listeners)
        if not subscribed or self._lists is None:
            return
        for list_id in sorted(self._lists.holding(list(subscribed), status.account_id)):
            if not self._lists.contains(list_id, status.id):
                continue
            for listener in subscribed[list_id]:
                viewer = listener.account_id
                if hides(viewer) or filtered(viewer, "home") or not self._may_see(viewer, status):
                    continue
                _safely(listener.deliver, ["list", str(list_id)], name_of_event, status)

    def _hider(self, status: StatusRecord) -> Callable[[int | None], bool]:
        """Return "does this subscriber block, mute or get blocked by the status's authors"."""
        authors = {status.account_id}
        if status.reblog_of_id is not None:
            original = self._store.get_statuses([status.reblog_of_id]).get(status.reblog_of_id)
            if original is not None:
                authors.add(original.account_id)
        answers: dict[int, bool] = {}

        def hides(viewer: int | None) -> bool:
            if viewer is None:
                return False
            if viewer not in answers:
                hidden = self._statuses.relations(viewer).hidden_in_timelines()
                answers[viewer] = not authors.isdisjoint(hidden)
            return answers[viewer]

        return hides

    def _filter_check(self, status: StatusRecord) -> Callable[[int | None, str], bool]:
        """Return "does this subscriber's ``hide`` filter of a context match the status"."""
        matchers: dict[int, FilterMatcher] = {}

        def filtered(viewer: int | None, context: str) -> bool:
            if viewer is None or self.filters is None:
                return False
            if viewer not in matchers:
                matchers[viewer] = self.filters.matcher(viewer)
            return not matchers[viewer].drop_hidden([status], context)

        return filtered

    def _route_direct(self, status: StatusRecord, listeners: list[Listener]) -> None:
        """Send a direct status to its author's and mentioned accounts' ``direct`` streams."""
        audience = {status.account_id, *status.mention_ids}
        for listener in listeners:
            if (
                listener.account_id not in audience
                or ("direct", "") not in listener.subscriptions()
            ):
                continue
            if self._may_see(listener.account_id, status):
                _safely(listener.deliver, ["direct"], "conversation", status)

    def _may_see(self, viewer: int | None, status: StatusRecord) -> bool:
        try:
            self._statuses.get_visible(viewer, status.id)
        except AppError:
            return False
        return True

    def _route_delete(self, event: StreamEvent, listeners: list[Listener]) -> None:
        if event.visibility == "direct":
            audience = {event.account_id, *event.audience}
            for listener in listeners:
                if listener.account_id in audience and ("direct", "") in listener.subscriptions():
                    _safely(listener.deliver_delete, ["direct"], event.id)
            return
        home = self._followers_among(event.account_id, listeners)
        public = event.visibility == "public"
        for listener in listeners:
            subs = listener.subscriptions()
            if listener.account_id in home and ("user", "") in subs:
                _safely(listener.deliver_delete, ["user"], event.id)
            if public:
                for name, tag in subs:
                    if name in PUBLIC_STREAMS:
                        _safely(listener.deliver_delete, [name, tag] if tag else [name], event.id)
        subscribed = self._list_subscribers(listeners)
        if subscribed and self._lists is not None:
            for list_id in sorted(self._lists.holding(list(subscribed), event.account_id)):
                for listener in subscribed[list_id]:
                    _safely(listener.deliver_delete, ["list", str(list_id)], event.id)

    def _route_notification(self, event: StreamEvent, listeners: list[Listener]) -> None:
        owners = [x for x in listeners if x.account_id == event.account_id]
        if not owners:
            return
        try:
            notification = self._notifications.get(event.account_id, event.id)
        except AppError:  # hidden from its owner (a status they may no longer see)
            return
        for listener in owners:
            subs = listener.subscriptions()
            for name in ("user", "user:notification"):
                if (name, "") in subs:
                    _safely(listener.deliver, [name], "notification", notification)


def _safely(deliver: Callable[..., None], *args: Any) -> None:
    """Deliver to one listener; its failure (a render that could not read) skips it only."""
    try:
        deliver(*args)
    except Exception:
        _log.debug("a streaming listener failed to take an event", exc_info=True)


def _is_public_timeline(status: StatusRecord) -> bool:
    """Whether a status belongs on the public timelines (Mastodon: no replies to others)."""
    if status.visibility != "public":
        return False
    return status.in_reply_to_account_id in (None, status.account_id)


def publish_applied(bus: StreamBus) -> Callable[[LogEntry, FanoutOutcome], None]:
    """Return a `FanoutConsumer.on_entry` hook that publishes each applied status on ``bus``.

    What ``twitterdesign worker`` installs: in a cluster the statuses reach the streams
    when the worker has pushed them into timelines, whichever app instance a client is
    connected to.
    """

    def on_entry(entry: LogEntry, outcome: FanoutOutcome) -> None:
        if entry.status_id is not None and outcome.kind in ("pushed", "pulled"):
            bus.publish(StreamEvent("status", entry.status_id, entry.account_id))

    return on_entry
