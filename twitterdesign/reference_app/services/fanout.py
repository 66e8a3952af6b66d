"""The fan-out consumer: tails the outbox and pushes new statuses into home timelines.

The write side of the lesson's hybrid policy (`twitterdesign.timeline.HybridThreshold`).
A new status is appended to an outbox (the store's event log) in the same transaction
that stores it; follows and unfollows append an entry too. `FanoutWorker` tails that log
— woken at once for this process's own writes, polling every 50 ms for other processes'
— and for each status pushes its id into the `TimelineStore` of the author and, unless
the author is a celebrity (more than ``threshold`` followers), of every active follower.
A follow or unfollow drops the follower's timeline, to be rebuilt on their next read.

The worker knows nothing of reads (`twitterdesign.reference_app.services.timelines.
TimelineService` does those), so a cluster can run it in separate worker processes over
a shared `TimelineStore`. In embedded mode every server process runs its own over its
own in-process timelines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from twitterdesign.reference_app.storage import Store, TimelineStore
from twitterdesign.reference_app.storage._outage import outage_kind
from twitterdesign.timeline import HybridThreshold

__all__ = ["FanoutOutcome", "FanoutWorker", "apply_event"]

_BATCH = 500
_TRIM_EVERY_S = 60.0
_OUTAGE_BACKOFF_S = (0.1, 0.25, 0.5, 1.0)  # waits between rounds while storage is away

_log = logging.getLogger("twitterdesign.reference_app")


@dataclass(frozen=True, slots=True)
class FanoutOutcome:
    """What one outbox event did to the timelines.

    Attributes:
        kind: ``"pushed"`` (to the author and active followers), ``"pulled"`` (a
            celebrity: only the author's own timeline), ``"dropped"`` (a follow graph
            changed: the follower's timeline was dropped) or ``"skipped"`` (the author
            no longer exists).
        deliveries: Follower timelines that received the status (pushed only).
    """

    kind: str
    deliveries: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict (for JSON)."""
        return asdict(self)


def apply_event(
    store: Store,
    timelines: TimelineStore,
    policy: HybridThreshold,
    status_id: int | None,
    account_id: int,
) -> FanoutOutcome:
    """Apply one outbox event to the timelines: the hybrid policy's write side.

    Idempotent: a status id already in a timeline is not added again (`TimelineStore.
    push` ignores a repeat), a second drop or `mark_pulled` changes nothing, so a
    consumer that receives an event twice leaves the timelines as if it had once.

    Args:
        store: Where the author's follower count and followers are read.
        timelines: Where the status id is pushed.
        policy: Which authors are pushed (at most ``threshold`` followers).
        status_id: The new status, or None: ``account_id``'s follow graph changed.
        account_id: The author, or the follower whose graph changed.

    Returns:
        What was done.
    """
    if status_id is None:
        timelines.drop(account_id)
        return FanoutOutcome("dropped")
    author = store.get_accounts([account_id]).get(account_id)
    if author is None:
        return FanoutOutcome("skipped")
    timelines.push(status_id, [account_id])  # the author sees their own post
    if not policy.pushes(follower_count=author.followers_count):
        timelines.mark_pulled(account_id)
        return FanoutOutcome("pulled")
    return FanoutOutcome("pushed", timelines.push(status_id, store.follower_ids(account_id)))


class FanoutWorker:
    """Deliver logged statuses into timelines (push to active followers, skip celebrities).

    Args:
        store: The database whose outbox is tailed.
        timelines: Where the status ids are pushed.
        policy: Which authors are pushed (at most ``threshold`` followers).
        poll_interval_s: How often the log is polled for other processes' writes.
        log_retention_ms: Log entries older than this are trimmed (about once a minute):
            a consumer that lagged that long has its readers rebuild from storage anyway.
        enabled: False in an app process whose fan-out is done by ``twitterdesign
            worker`` processes: nothing is consumed here then.

    Attributes:
        on_delivered: Called with ``(status_id, deliveries)`` after each pushed status.
        on_status: Called with ``(status_id, author_id)`` after every status is applied,
            pushed or pulled (the streaming API's source of new statuses).
    """

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        *,
        policy: HybridThreshold,
        poll_interval_s: float = 0.05,
        log_retention_ms: int = 10 * 60 * 1000,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self._store = store
        self._timelines = timelines
        self.policy = policy
        self.poll_interval_s = poll_interval_s
        self.log_retention_ms = log_retention_ms
        # Start at the head of the log: timelines are rebuilt from storage, not replayed.
        self._last_seq = store.event_head()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._drain_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.statuses_pushed = self.statuses_pulled = self.deliveries = 0
        self.on_delivered: Callable[[int, int], None] | None = None
        self.on_status: Callable[[int, int], None] | None = None

    # --- lifecycle -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the background thread (idempotent; nothing when not `enabled`)."""
        if self.enabled and not self.running:
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name="twitterdesign-fanout", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Fan out what is already logged, then stop the thread."""
        if self._thread is not None and self._thread.is_alive():
            self._stopping.set()
            self._wake.set()
            self._thread.join(timeout)
        self._thread = None

    def notify(self) -> None:
        """Say that this process just logged something: wake the thread, or drain inline.

        Without a running thread (e.g. a unit test) the log is processed before this
        returns, so the caller sees its write delivered.
        """
        if not self.enabled:
            return  # fan-out worker processes consume the log
        if self._thread is None:
            self.drain()
        else:
            self._wake.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every entry logged at call time is processed; False on timeout.

        True at once when not `enabled`: this process has nothing to process.
        """
        if not self.enabled:
            return True
        target = self._store.event_head()
        deadline = time.monotonic() + timeout
        while self._last_seq < target:
            if self._thread is None:
                self.drain()
                continue
            if time.monotonic() > deadline:
                return False
            self._wake.set()
            time.sleep(0.005)
        return True

    @property
    def queue_depth(self) -> int:
        """Log entries this consumer has not processed yet (0 when not `enabled`)."""
        if not self.enabled:
            return 0
        return max(0, self._store.event_head() - self._last_seq)

    # --- consuming -------------------------------------------------------------------
    def drain(self) -> None:
        """Process every log entry after the last one seen (any process may have written).

        Raises:
            Exception: The database or cache went away (see `outage_kind`) while reading
                the log or handling an entry. The cursor stays before that entry, so the
                next call handles it again (a repeated push is ignored by the timelines);
                any other error of one entry is that entry's, and it is skipped.
        """
        with self._drain_lock:
            while True:
                events = self._store.events_since(self._last_seq, _BATCH)
                if not events:
                    return
                for seq, status_id, account_id in events:
                    try:
                        if status_id is None:
                            self._timelines.drop(account_id)
                        else:
                            self.fan_out(status_id, account_id)
                    except Exception as exc:
                        if outage_kind(exc) is not None:
                            raise  # not the entry's fault: keep it for the next round
                        # one bad entry must not stop fan-out
                        _log.exception("fan-out skipped log entry %d", seq)
                    self._last_seq = seq

    def _run(self) -> None:
        last_trim = time.monotonic()
        outages = 0
        while True:
            self._wake.wait(
                _OUTAGE_BACKOFF_S[min(outages, len(_OUTAGE_BACKOFF_S)) - 1]
                if outages
                else self.poll_interval_s
            )
            self._wake.clear()
            try:
                self.drain()
                if not self._stopping.is_set() and time.monotonic() - last_trim > _TRIM_EVERY_S:
                    last_trim = time.monotonic()
                    self._store.trim_events(int(time.time() * 1000) - self.log_retention_ms)
                    self._timelines.drop_inactive()
            except Exception as exc:
                # A dropped connection (a database restart, a failover) must not end
                # fan-out for the life of the process: back off and try the same entry.
                kind = outage_kind(exc)
                if kind is None:
                    _log.exception("fan-out round failed; trying again")
                elif outages == 0:
                    _log.warning("fan-out paused, the %s is unavailable: %s", kind, exc)
                outages += 1
                if self._stopping.is_set() and outages > len(_OUTAGE_BACKOFF_S):
                    return  # stopping: give up on what cannot be reached
                continue
            if outages:
                _log.warning("fan-out resumed after %d failed rounds", outages)
                outages = 0
            if self._stopping.is_set():
                return

    def fan_out(self, status_id: int, author_id: int) -> None:
        """Push one status to its author and, if not a celebrity, their active followers."""
        outcome = apply_event(self._store, self._timelines, self.policy, status_id, author_id)
        if outcome.kind != "skipped" and self.on_status is not None:
            self.on_status(status_id, author_id)
        if outcome.kind == "pulled":
            self.statuses_pulled += 1
        elif outcome.kind == "pushed":
            self.statuses_pushed += 1
            self.deliveries += outcome.deliveries
            if self.on_delivered is not None:
                self.on_delivered(status_id, outcome.deliveries)
