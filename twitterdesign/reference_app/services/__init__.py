"""Services: the reference app's business logic, between the API and storage.

`Services` wires one instance of each service around a `Store`, a `TimelineStore` and a
`BlobStore` (opened from the settings' URLs by ``_factory`` unless injected); the API
layer holds one ``Services`` per app. Each lesson building block has a counterpart here:
the sequencer (`Snowflake`), pub-sub and timeline caches
(`TimelineService`), the blob store (`MediaService`), counters and trends
(`TrendsService`), rate limits (`RateLimiter`, one per token, account and client IP).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from twitterdesign.errors import InvalidParameterError
from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import (
    AppError,
    BadRequest,
    ConflictError,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    Unprocessable,
)
from twitterdesign.reference_app.services._factory import (
    check_settings_urls,
    counters_deferred,
    open_blob_store,
    open_rankings,
    open_rate_limiters,
    open_status_counters,
    open_store,
    open_stream_bus,
    open_timeline_store,
    redis_prefix_of,
    url_scheme,
)
from twitterdesign.reference_app.services._text import request_fingerprint
from twitterdesign.reference_app.services.accounts import (
    AccountService,
    hash_secret,
    normalize_scopes,
    scope_allows,
)
from twitterdesign.reference_app.services.counters import StatusCounts
from twitterdesign.reference_app.services.curation import CurationService, SavedPage, TagInfo
from twitterdesign.reference_app.services.edits import StatusEditService, StatusSource
from twitterdesign.reference_app.services.engagement import EngagementService
from twitterdesign.reference_app.services.fanout import FanoutWorker
from twitterdesign.reference_app.services.filters import FilterService
from twitterdesign.reference_app.services.graph import GraphService, Relationship
from twitterdesign.reference_app.services.internals import InternalsService, StatusInternals
from twitterdesign.reference_app.services.lists import ListService
from twitterdesign.reference_app.services.media import MediaService, sniff_image_type
from twitterdesign.reference_app.services.notification_groups import (
    GroupPage,
    NotificationGroup,
)
from twitterdesign.reference_app.services.notifications import (
    Notification,
    NotificationPage,
    NotificationService,
)
from twitterdesign.reference_app.services.profiles import ProfileService
from twitterdesign.reference_app.services.ranking import RankingService
from twitterdesign.reference_app.services.ratelimit import (
    Limiter,
    RateLimitDecision,
    RateLimiter,
    SharedRateLimiter,
    client_key,
)
from twitterdesign.reference_app.services.search import SearchResults, SearchService
from twitterdesign.reference_app.services.statuses import (
    StatusService,
    extract_hashtags,
    extract_mentions,
)
from twitterdesign.reference_app.services.streaming import StreamingService
from twitterdesign.reference_app.services.timelines import FanoutStats, TimelineService
from twitterdesign.reference_app.services.token_cache import TokenCache
from twitterdesign.reference_app.services.trends import (
    TrendingStatus,
    TrendingTag,
    TrendsService,
)
from twitterdesign.reference_app.settings import Settings
from twitterdesign.reference_app.storage import (
    BlobStore,
    Store,
    TimelineStore,
    ViewCounterStore,
)
from twitterdesign.reference_app.storage.stream_bus import InProcessStreamBus, StreamBus

__all__ = [
    "AccountService",
    "AppError",
    "BadRequest",
    "ConflictError",
    "CurationService",
    "EngagementService",
    "FanoutStats",
    "FanoutWorker",
    "FilterService",
    "Forbidden",
    "GraphService",
    "GroupPage",
    "InternalsService",
    "Limiter",
    "ListService",
    "MediaService",
    "NotFound",
    "Notification",
    "NotificationGroup",
    "NotificationPage",
    "NotificationService",
    "ProfileService",
    "RateLimitDecision",
    "RateLimited",
    "RateLimiter",
    "Relationship",
    "SavedPage",
    "SearchResults",
    "SearchService",
    "Services",
    "SharedRateLimiter",
    "StatusCounts",
    "StatusEditService",
    "StatusInternals",
    "StatusService",
    "StatusSource",
    "TagInfo",
    "TimelineService",
    "TrendingStatus",
    "TrendingTag",
    "TrendsService",
    "Unauthorized",
    "Unprocessable",
    "client_key",
    "extract_hashtags",
    "extract_mentions",
    "hash_secret",
    "normalize_scopes",
    "open_blob_store",
    "open_store",
    "open_timeline_store",
    "request_fingerprint",
    "scope_allows",
    "sniff_image_type",
]


if TYPE_CHECKING:
    from twitterdesign.reference_app.log import RedisStreamLog
    from twitterdesign.reference_app.services.counter_worker import CounterWorker
    from twitterdesign.reference_app.storage.redis import RedisStatusCounters


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Services:
    """One of each service, sharing a store, an id generator and a clock.

    Args:
        settings: The app's settings.
        store: Persistence; opened from ``settings.database_url`` (a `SQLiteStore` in
            ``settings.data_dir`` by default) if None.
        timeline_store: Home timelines; opened from ``settings.cache_url`` (this
            process's memory by default) if None.
        blob_store: Media bytes; opened from ``settings.blob_url`` (``media/`` in
            ``settings.data_dir`` by default) if None.
        view_counter: Where flushed view counts are added; the store if None (the Redis
            shards in the deferred counters mode).
        clock_ms: Current Unix time in milliseconds (tests may pass a fake).

    The counter mode follows the store: a PostgreSQL store opened with
    ``deferred_counters`` (what ``counter_mode="auto"`` does with a Redis ``cache_url``)
    gets the Redis shards (`status_counters`), and `counts` adds them to every rendered
    count; with ``fanout_in_app`` this process also runs a `CounterWorker` (apply and
    flush), else ``twitterdesign worker`` processes do.

    Raises:
        InvalidParameterError: A settings URL with a scheme this version cannot open
            (checked before anything is opened), or ``counter_mode="deferred"`` without
            PostgreSQL and Redis.

    Examples:
        >>> import tempfile
        >>> s = Services(Settings(data_dir=tempfile.mkdtemp(), argon2_memory_kib=8,
        ...                       argon2_time_cost=1))
        >>> ada = s.accounts.register("ada", "ada@example.org", "correct horse")
        >>> s.statuses.create(ada.id, "Hello #world").tags
        ('world',)
        >>> s.close()
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        timeline_store: TimelineStore | None = None,
        blob_store: BlobStore | None = None,
        view_counter: ViewCounterStore | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self.clock_ms = clock_ms or _now_ms
        check_settings_urls(settings)
        deferred = counters_deferred(settings)
        self.store: Store = store or open_store(
            settings.resolved_database_url,
            synchronous=settings.sqlite_synchronous,
            pool_size=settings.database_pool_size,
            deferred_counters=deferred,
        )
        self.status_counters: RedisStatusCounters | None = None
        if getattr(self.store, "deferred_counters", False):
            if not deferred:  # its events would never reach a column
                raise InvalidParameterError(
                    "store",
                    "a store with deferred_counters",
                    "an inline store, unless cache_url is Redis and counter_mode is not 'inline'",
                )
            self.status_counters = open_status_counters(settings.resolved_cache_url)
        self.timeline_store: TimelineStore = timeline_store or open_timeline_store(
            settings.resolved_cache_url,
            capacity=settings.timeline_cache_size,
            inactive_after_s=settings.active_user_window_s,
        )
        self.blob_store: BlobStore = blob_store or open_blob_store(settings.resolved_blob_url)
        # Seed the sequencer above every stored id so a restart never reissues one.
        self.ids = Snowflake(settings.worker_id, after=self.store.max_id())
        self.timelines = TimelineService(
            self.store,
            self.timeline_store,
            threshold=settings.fanout_threshold,
            fanout_in_process=settings.fanout_in_app,
            shared_counts=None if settings.fanout_in_app else self._workers_fanout_counts,
        )
        self.fanout = self.timelines.fanout
        self.trends = TrendsService(
            self.store,
            self.clock_ms,
            window_s=settings.trends_window_s,
            flush_interval_s=settings.view_flush_interval_s,
            persist_interval_s=settings.sketch_persist_interval_s,
            worker_id=settings.worker_id,
            view_counter=view_counter or self.status_counters,
            publish_interval_s=(
                settings.trends_publish_interval_s
                if getattr(self.store, "blocking_io", False)
                else None
            ),
        )
        self.counts = StatusCounts(
            self.trends,
            store=self.store if self.status_counters is not None else None,  # type: ignore[arg-type]
            counters=self.status_counters,
        )
        self.counter_worker: CounterWorker | None = None
        if self.status_counters is not None and settings.fanout_in_app:
            from twitterdesign.reference_app.services.counter_worker import CounterWorker

            self.counter_worker = CounterWorker(
                self.store,  # type: ignore[arg-type]
                self.status_counters,
                holder=f"app-{settings.worker_id}",
            )
        self._counter_stop = threading.Event()
        self._counter_thread: threading.Thread | None = None
        self.accounts = AccountService(
            self.store,
            self.ids,
            self.clock_ms,
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
        )
        self.statuses = StatusService(
            self.store,
            self.ids,
            self.timelines,
            self.clock_ms,
            max_chars=settings.max_status_chars,
            max_media=settings.max_media_attachments,
            on_created=self.trends.on_created,
            on_interaction=self.trends.on_interaction,
            counts=self.counts if self.counts.deferred else None,
        )
        self.edits = StatusEditService(
            self.store,
            self.ids,
            self.clock_ms,
            statuses=self.statuses,
            notifications=self.statuses.notifications,
        )
        self.profiles = ProfileService(self.store)
        # Read-only, for the teaching endpoint (served only with ``debug_api_enabled``).
        self.internals = InternalsService(
            self.store,
            self.timeline_store,
            policy=self.timelines.policy,
            get_visible=self.statuses.get_visible,
            trends=self.trends,
            epoch_ms=self.ids.epoch_ms,
            counters=self.status_counters,
            flush_applied=(
                self.store.counter_flush_applied  # type: ignore[attr-defined]
                if self.status_counters is not None
                else None
            ),
        )
        self.filters = FilterService(self.store, self.ids, self.clock_ms)
        self.search = SearchService(self.store, self.statuses)
        self.curation = CurationService(
            self.store,
            self.ids,
            self.clock_ms,
            get_visible=self.statuses.get_visible,
            hydrate=self.statuses.hydrate,
        )
        self.lists = ListService(self.store, self.ids, self.clock_ms, hydrate=self.statuses.hydrate)
        self.ranking = RankingService(
            self.timelines,
            self.statuses,
            self.counts,
            open_rankings(settings.resolved_cache_url),
            candidates=settings.ranked_home_candidates,
        )
        self.media = MediaService(
            self.store,
            self.ids,
            self.blob_store,
            max_bytes=settings.media_max_bytes,
            max_pixels=settings.media_max_pixels,
            clock_ms=self.clock_ms,
        )
        limiters = open_rate_limiters(settings, clock_s=time.time)
        self.token_limiter: Limiter = limiters.token
        self.account_limiter: Limiter = limiters.account
        self.ip_limiter: Limiter = limiters.ip
        self._close_limiters = limiters.close
        self.notifications: NotificationService = self.statuses.notifications
        self.engagement: EngagementService = self.statuses.engagement
        self.graph = GraphService(
            self.store,
            self.ids,
            self.clock_ms,
            accounts=self.accounts,
            timelines=self.timelines,
            notifications=self.notifications,
        )
        self._log_reader: RedisStreamLog | None = None
        self._log_reader_lock = threading.Lock()
        # The streaming API hears of new statuses when they are fanned out (here, or by
        # the cluster's workers through the bus), of deletes and notifications from here.
        self.stream_bus: StreamBus = open_stream_bus(settings.resolved_cache_url)
        self.streaming = StreamingService(
            self.store, self.statuses, self.notifications, self.stream_bus, lists=self.lists
        )
        self.fanout.on_status = self.streaming.status_created
        self._cache_tokens(settings.token_cache_ttl_s)
        self.notifications.on_added = self.streaming.notification_added
        self.statuses.on_deleted = self.streaming.status_deleted
        self.edits.on_edited = self.streaming.status_edited
        # Hide filters apply to notifications (and so their stream) and to status streams.
        self.notifications.status_filter = lambda owner, items: self.filters.drop_hidden(
            owner, items, "notifications"
        )
        self.streaming.filters = self.filters

    def _cache_tokens(self, ttl_s: float) -> None:
        """Cache token lookups when a cross-process bus can carry revocations.

        With an in-process bus (the embedded mode, or several processes that share no
        Redis), a revoke in one process could not reach another's cache: no cache then.
        """
        self.accounts.on_revoked = self.streaming.token_revoked
        if ttl_s <= 0 or isinstance(self.stream_bus, InProcessStreamBus):
            return
        cache = TokenCache(ttl_s=ttl_s)
        self.accounts.token_cache = cache
        self.streaming.on_token_revoked = cache.discard_key

    def log_reader(self) -> RedisStreamLog | None:
        """Return the workers' fan-out log, read-only, if ``cache_url`` is Redis (else None).

        The ``twitterdesign worker`` command keeps its log in the cache's Redis by
        default, under the URL's ``?prefix=`` (``td:`` unless set; ``--log-prefix``
        overrides it), and so does this reader. Opened on the first call (no connection
        until then), it never creates the stream or the group; `close` closes it.
        """
        url = self.settings.resolved_cache_url
        if url_scheme(url) in ("", "memory"):
            return None
        with self._log_reader_lock:
            if self._log_reader is None:
                from twitterdesign.reference_app.log import RedisStreamLog

                rest, prefix = redis_prefix_of(url)
                self._log_reader = RedisStreamLog(
                    rest, prefix=prefix, connect_timeout_s=2.0, create_group=False
                )
            return self._log_reader

    def _workers_fanout_counts(self) -> dict[str, int]:
        """The fan-out workers' shared totals (none without a log: nothing pushed)."""
        log = self.log_reader()
        return {} if log is None else log.counts()

    def counter_events_waiting(self) -> int:
        """Return the counter events no worker has applied yet (0 in the inline mode).

        Growing in the deferred counters mode: no worker runs, or they cannot keep up.
        """
        if not self.counts.deferred:
            return 0
        return int(self.store.counter_events_waiting())  # type: ignore[attr-defined]

    def outbox_head(self) -> int:
        """Return the newest outbox position (a consumer's lag is this minus its cursor)."""
        return self.store.event_head()

    def fanout_log_lag(self) -> tuple[int, int, dict[str, int]] | None:
        """Return the workers' log lag: (unrelayed, undelivered, pending per consumer).

        None when ``cache_url`` is not Redis (no log). A stream or group that does not
        exist yet (no worker has started) counts as no lag.

        Raises:
            Exception: Whatever Redis raises when it cannot answer.
        """
        log = self.log_reader()
        if log is None:
            return None
        import redis

        def absent(exc: redis.ResponseError) -> bool:
            text = str(exc)
            return "NOGROUP" in text or "no such key" in text.lower()

        unrelayed = max(0, self.store.event_head() - log.relayed_cursor())
        try:
            undelivered = log.undelivered()
        except redis.ResponseError as exc:
            if not absent(exc):
                raise
            undelivered = 0
        try:
            pending = log.pending_by_consumer()
        except redis.ResponseError as exc:
            if not absent(exc):
                raise
            pending = {}
        return unrelayed, undelivered, pending

    @property
    def blocking_io(self) -> bool:
        """Whether store calls wait on a network (PostgreSQL, Redis): run them off the loop.

        An embedded engine (SQLite) answers in microseconds, and a thread hop costs more
        than it saves; a network engine blocks for a round trip, during which the event
        loop must serve other requests (``benchmarks/results/app.sync_async.md``).
        A store without the attribute (a test double) counts as embedded.
        """
        return any(
            bool(getattr(part, "blocking_io", False)) for part in (self.store, self.timeline_store)
        )

    def start(self) -> None:
        """Start the background workers (fan-out consumer, view flusher, streaming)."""
        self.streaming.start()
        self.fanout.start()
        self.trends.start()
        if self.counter_worker is not None and self._counter_thread is None:
            self._counter_stop.clear()
            self._counter_thread = threading.Thread(
                target=self.counter_worker.run,
                args=(self._counter_stop,),
                name="twitterdesign-counters",
                daemon=True,
            )
            self._counter_thread.start()

    def close(self) -> None:
        """Stop the workers, flush buffered counts and close the stores."""
        self.fanout.stop()
        self.trends.stop()  # the last views go to the counter store…
        if self._counter_thread is not None:  # …which this worker drains and flushes
            self._counter_stop.set()
            self._counter_thread.join(10.0)
            self._counter_thread = None
        if self.status_counters is not None:
            self.status_counters.close()
        self.streaming.stop()
        self.stream_bus.close()
        self.ranking.snapshots.close()
        self.timeline_store.close()
        self._close_limiters()
        if self._log_reader is not None:
            self._log_reader.close()
        self.store.close()

    def healthy(self) -> dict[str, int]:
        """Check that the store answers; return the fan-out queue depth.

        Raises:
            Exception: Whatever the store raises when it cannot answer.
        """
        self.accounts.count()
        return {"fanout_queue_depth": self.timelines.queue_depth}
