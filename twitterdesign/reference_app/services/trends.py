"""Trends and view counts with ``twitterdesign.topk``: what is hot now, and how often each
status was served.

- **Views** are the lesson's hottest counter (every read of a status is one), so they are
  not written per request. A request only appends the ids it served to an in-memory log
  (and bumps an exact pending count, so the next read already shows them); the
  background flusher applies the log in one vectorized batch every ``flush_interval_s`` —
  to a `ShardedCounter` (write-combining: one shard write per
  distinct status) whose sums are added to storage, and to the trend sketches — and the
  last buffered views are flushed at shutdown. Reads of the trends apply the log first,
  so they never miss a view.
- **Trending tags** come from a `WindowedTopK` of SpaceSaving
  sketches over hashtag uses in public statuses; **trending statuses** from another over
  favourites, reblogs and views of public statuses; the **most viewed** statuses from an
  all-time `SpaceSaving` sketch of views. Every answer carries
  the sketch's lower and upper bounds. Followers-only and unlisted statuses are never
  counted, so they can never trend.
- The sketches are saved to storage every ``persist_interval_s`` (``to_bytes``) and
  restored at start (``from_bytes``), so a restart keeps the trends. Each server process
  saves its own (by Snowflake worker id); a query merges the live local sketch with the
  other processes' latest saves (``merge``) — the lesson's "count on many machines, merge
  to rank". Over a shared network database (the cluster: several app instances on one
  PostgreSQL) each instance also *publishes* its sketches every ``publish_interval_s``
  (2 s by default) whenever they changed, so every instance answers with the same merged
  top-k and bounds, give or take the last ``publish_interval_s`` of the others' counts;
  an instance always sees its own counts at once.
- **Tag history** (Mastodon's per-day ``uses`` and distinct ``accounts``) comes from a
  `TagHistory`: exact uses and an HLL sketch of account ids per tag and day, saved,
  published and merged with the other sketches (a union: an account counts once however
  many instances saw it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.reference_app.services.tag_history import TagDay, TagHistory
from twitterdesign.reference_app.storage import StatusRecord, Store
from twitterdesign.reference_app.storage.counters import ViewCounterStore
from twitterdesign.topk import ShardedCounter, SpaceSaving, WindowedTopK

__all__ = ["TrendingStatus", "TrendingTag", "TrendsService"]

_TAGS_BLOB = "trends.tags.v1.w"
_STATUSES_BLOB = "trends.statuses.v1.w"
_VIEWED_BLOB = "trends.viewed.v1.w"
_TAG_DAYS_BLOB = "trends.tagdays.v1.w"
_MERGE_CACHE_S = 1.0
_VIEW_SHARDS = 8
_VIEW_LOG_MAX = 50_000  # views logged before a batch is applied inline (no flusher running)

_log = logging.getLogger("twitterdesign.reference_app")


@dataclass(frozen=True, slots=True)
class TrendingTag:
    """A hashtag and how many public statuses used it in the window (with bounds)."""

    name: str
    uses: int
    lower_bound: int
    upper_bound: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "name": self.name,
            "uses": self.uses,
            "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound,
        }


@dataclass(frozen=True, slots=True)
class TrendingStatus:
    """A status id and its engagement (favourites + reblogs + views) in the window."""

    status_id: int
    score: int
    lower_bound: int
    upper_bound: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "status_id": str(self.status_id),
            "score": self.score,
            "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound,
        }


def _new_window(window_s: float, capacity: int) -> WindowedTopK:
    return WindowedTopK(window_s=window_s, buckets=60, sketch=SpaceSaving(capacity))


class TrendsService:
    """Rank hashtags and statuses over a sliding window, and count views.

    Args:
        store: Persistence (view counts and the saved sketches).
        clock_ms: Current Unix time in milliseconds.
        window_s: How far back trends look.
        flush_interval_s: How often buffered views are written to storage.
        persist_interval_s: How often the trend sketches are saved.
        capacity: Counters per SpaceSaving bucket sketch.
        worker_id: This process's Snowflake worker id; names its saved sketches.
        view_counter: Where flushed view counts are added; ``store`` if None.
        publish_interval_s: How often changed sketches are saved for the other instances
            to merge; None saves only every ``persist_interval_s`` (one process, or
            processes that may lag each other by that much).
    """

    def __init__(
        self,
        store: Store,
        clock_ms: Callable[[], int],
        *,
        window_s: float,
        flush_interval_s: float,
        persist_interval_s: float = 30.0,
        capacity: int = 1000,
        worker_id: int = 0,
        view_counter: ViewCounterStore | None = None,
        publish_interval_s: float | None = None,
    ) -> None:
        self._store = store
        self._view_counter: ViewCounterStore = view_counter or store
        self._now = clock_ms
        self.window_s = window_s
        self.flush_interval_s = flush_interval_s
        self.persist_interval_s = persist_interval_s
        self.publish_interval_s = publish_interval_s
        self._dirty = False  # counted something since the last save
        self._lock = threading.Lock()
        self._worker_id = worker_id
        self._merged_cache: dict[str, tuple[float, Any]] = {}
        self._views = ShardedCounter(_VIEW_SHARDS)
        # Views served but not yet applied to the counter and sketches: ids, and for the
        # public ones (which may trend) (time, ids) per request.
        self._view_log: list[int] = []
        self._public_view_log: list[tuple[float, list[int]]] = []
        # Views not yet in storage, exactly: what ``pending_views`` adds to stored counts.
        self._pending: Counter[int] = Counter()
        self._tags = self._restore(self._name(_TAGS_BLOB)) or _new_window(window_s, capacity)
        self._engagement = self._restore(self._name(_STATUSES_BLOB)) or _new_window(
            window_s, capacity
        )
        self._viewed = self._restore_space_saving(self._name(_VIEWED_BLOB)) or SpaceSaving(capacity)
        self._tag_days = self._restore_tag_days(self._name(_TAG_DAYS_BLOB)) or TagHistory(
            max_tags=capacity
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _name(self, prefix: str) -> str:
        return f"{prefix}{self._worker_id}"

    def _restore(self, name: str) -> WindowedTopK | None:
        data = self._store.load_sketch(name)
        if data is None:
            return None
        try:
            restored = WindowedTopK.from_bytes(data)
        except (CorruptDataError, InvalidParameterError):
            return None  # an unreadable save is dropped: trends restart from empty
        return restored if restored.window_s == self.window_s else None

    def _restore_space_saving(self, name: str) -> SpaceSaving | None:
        data = self._store.load_sketch(name)
        if data is None:
            return None
        try:
            return SpaceSaving.from_bytes(data)
        except (CorruptDataError, InvalidParameterError):
            return None

    def _restore_tag_days(self, name: str) -> TagHistory | None:
        data = self._store.load_sketch(name)
        if data is None:
            return None
        try:
            return TagHistory.from_bytes(data)
        except CorruptDataError:
            return None

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Start the background flusher (views) and saver (sketches)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="twitterdesign-trends", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the background thread, flush views and save the sketches."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None
        self.flush()
        self.persist()

    def _loop(self) -> None:
        tick = self.flush_interval_s
        if self.publish_interval_s is not None:
            tick = min(tick, self.publish_interval_s)
        last_flush = last_persist = last_publish = time.monotonic()
        failing = False
        while not self._stop.wait(tick):
            now = time.monotonic()
            try:
                if now - last_flush >= self.flush_interval_s:
                    self.flush()
                    last_flush = now
                if now - last_persist >= self.persist_interval_s:
                    self.persist()
                    last_persist = last_publish = now
                elif (
                    self.publish_interval_s is not None
                    and now - last_publish >= self.publish_interval_s
                ):
                    self.persist(only_if_changed=True)
                    last_publish = now
            except Exception as exc:
                # A database that went away must not stop the flushes for the life of
                # the process: the views stay buffered and the next round tries again.
                if not failing:
                    _log.warning("view counts and trends not saved, trying again: %s", exc)
                failing = True
                continue
            if failing:
                _log.warning("view counts and trends saved again")
                failing = False

    @property
    def nbytes(self) -> int:
        """Memory held by the view counter and the two trend sketches, in bytes."""
        with self._lock:
            self._apply_view_log()
            return int(
                self._views.nbytes
                + self._tags.nbytes
                + self._engagement.nbytes
                + self._viewed.nbytes
                + self._tag_days.nbytes
            )

    # --- events ----------------------------------------------------------------------
    def _now_s(self) -> float:
        return self._now() / 1000.0

    def record_views(self, statuses: Iterable[StatusRecord]) -> None:
        """Count one view of each status served (a reblog counts for its original).

        Cheap on purpose (it runs on every read): the ids are logged and the exact pending
        counts bumped; the counter and the sketches get them in the next batch.
        """
        ids: list[int] = []
        public: list[int] = []
        for s in statuses:
            if s.reblog_of_id is not None:
                continue  # the original is rendered (and counted) inside it
            ids.append(s.id)
            if s.visibility == "public":
                public.append(s.id)
        if not ids:
            return
        now = self._now_s()
        with self._lock:
            self._view_log.extend(ids)
            if public:
                self._public_view_log.append((now, public))
            self._pending.update(ids)
            if len(self._view_log) > _VIEW_LOG_MAX:
                self._apply_view_log()

    def _apply_view_log(self) -> None:
        """Apply the logged views in one batch (call with ``self._lock`` held)."""
        if self._view_log:
            self._views.combine(np.asarray(self._view_log, dtype=np.int64))
            self._view_log = []
        if self._public_view_log:
            ids = [i for _, batch in self._public_view_log for i in batch]
            times = [t for t, batch in self._public_view_log for _ in batch]
            keys = np.asarray(ids, dtype=np.int64)
            self._engagement.update_many(keys, timestamps_s=times)
            self._viewed.update_many(keys)
            self._public_view_log = []
            self._dirty = True

    def pending_views(self, status_id: int) -> int:
        """Views counted in memory but not yet written to storage."""
        with self._lock:
            return self._pending.get(status_id, 0)

    def pending_views_many(self, status_ids: Iterable[int]) -> dict[int, int]:
        """Views counted in memory but not yet stored, for many statuses at once."""
        with self._lock:
            pending = self._pending
            return {i: pending.get(i, 0) for i in status_ids}

    def pending_view_parts(self, status_id: int) -> tuple[list[int], int]:
        """Where one status's pending views sit in this process, for inspection.

        Returns:
            The per-shard values of the `ShardedCounter` the view log is batched into,
            and the views logged but not batched yet; together `pending_views`.
        """
        with self._lock:
            unbatched = self._view_log.count(status_id)
            shards = [int(v) for v in self._views.shard_values(status_id)]
        return shards, unbatched

    def flush(self) -> None:
        """Write buffered views to storage now.

        If storage fails (the database went away), the views are put back, to be written
        by a later flush, and the error is raised.
        """
        with self._lock:
            self._apply_view_log()
            counter, self._views = self._views, ShardedCounter(_VIEW_SHARDS)
            taken, self._pending = self._pending, Counter()
        pending = {int(h.item): h.estimate for h in counter.top_k(max(1, len(counter)))}
        if not pending:
            return
        try:
            self._view_counter.add_views(pending)
        except BaseException:
            with self._lock:  # views counted meanwhile went to the new counter: merge
                self._views.merge(counter)
                self._pending.update(taken)
            raise

    def _check(self) -> None:
        """Assert that the pending counts equal the counter plus the unapplied log."""
        with self._lock:
            logged = Counter(self._view_log)
            for status_id, count in self._pending.items():
                assert count == self._views.value(status_id) + logged[status_id], status_id
            assert sum(self._pending.values()) == self._views.total_weight + len(self._view_log)

    def persist(self, *, only_if_changed: bool = False) -> None:
        """Save the trend sketches to storage (for a restart, and for the other instances).

        Args:
            only_if_changed: Skip the save when nothing was counted since the last one.
        """
        with self._lock:
            self._apply_view_log()
            if only_if_changed and not self._dirty:
                return
            self._dirty = False
            tags, engagement = self._tags.to_bytes(), self._engagement.to_bytes()
            viewed = self._viewed.to_bytes()
            tag_days = self._tag_days.to_bytes()
        now = self._now()
        try:
            self._store.save_sketch(self._name(_TAGS_BLOB), tags, now)
            self._store.save_sketch(self._name(_STATUSES_BLOB), engagement, now)
            self._store.save_sketch(self._name(_VIEWED_BLOB), viewed, now)
            self._store.save_sketch(self._name(_TAG_DAYS_BLOB), tag_days, now)
        except BaseException:
            with self._lock:  # not saved: the next publish must try again
                self._dirty = True
            raise

    def on_created(self, status: StatusRecord) -> None:
        """Count the hashtags of a new public status (uses, and its author per day)."""
        if status.visibility != "public" or not status.tags:
            return
        with self._lock:
            self._tags.update_many(list(status.tags), timestamp_s=status.created_at_ms / 1000)
            self._tag_days.update(
                status.tags, account_id=status.account_id, at_ms=status.created_at_ms
            )
            self._dirty = True

    def on_interaction(self, kind: str, status: StatusRecord) -> None:
        """Count a favourite or reblog of a public status towards its trend score."""
        if status.visibility != "public":
            return
        with self._lock:
            self._engagement.update(status.id, timestamp_s=self._now_s())
            self._dirty = True

    # --- reads -----------------------------------------------------------------------
    def _view(self, prefix: str, own: Any) -> Any:
        """Return ``own`` merged with other processes' saved sketches of the same kind.

        Call with ``self._lock`` held. With one process there is nothing to merge and the
        live sketch itself is returned.
        """
        others = [n for n in self._store.sketch_names(prefix) if n != self._name(prefix)]
        if not others:
            return own
        cached = self._merged_cache.get(prefix)
        if cached is not None and time.monotonic() - cached[0] < _MERGE_CACHE_S:
            return cached[1]
        kind = type(own)
        merged = kind.from_bytes(own.to_bytes())
        for name in others:
            data = self._store.load_sketch(name)
            if data is None:
                continue
            try:
                merged.merge(kind.from_bytes(data))
            except (CorruptDataError, IncompatibleError, InvalidParameterError):
                continue  # a save from a differently configured process: not comparable
        self._merged_cache[prefix] = (time.monotonic(), merged)
        return merged

    def trending_tags(self, limit: int) -> list[TrendingTag]:
        """Return the most used hashtags in public statuses within the window."""
        with self._lock:
            top = self._view(_TAGS_BLOB, self._tags).top_k(limit, now_s=self._now_s())
        return [TrendingTag(str(h.item), h.estimate, h.lower_bound, h.upper_bound) for h in top]

    def tag_history(self, name: str) -> list[TagDay]:
        """Return ``name``'s uses and distinct accounts per day, today first (7 days).

        Merged over every instance's published history (see `TagHistory`).
        """
        with self._lock:
            view = self._view(_TAG_DAYS_BLOB, self._tag_days)
            return list(view.history(name, now_ms=self._now()))

    def trending_statuses(self, limit: int) -> list[TrendingStatus]:
        """Return the public statuses with the most engagement within the window."""
        with self._lock:
            self._apply_view_log()
            view = self._view(_STATUSES_BLOB, self._engagement)
            top = view.top_k(limit, now_s=self._now_s())
        return [TrendingStatus(int(h.item), h.estimate, h.lower_bound, h.upper_bound) for h in top]

    def most_viewed(self, limit: int) -> list[TrendingStatus]:
        """Return the most viewed public statuses since the app first started (SpaceSaving).

        The score is the sketch's estimate of views; ``lower_bound``/``upper_bound`` bracket
        the true count.
        """
        with self._lock:
            self._apply_view_log()
            top = self._view(_VIEWED_BLOB, self._viewed).top_k(limit)
        return [TrendingStatus(int(h.item), h.estimate, h.lower_bound, h.upper_bound) for h in top]
