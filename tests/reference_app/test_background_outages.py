"""The app's background threads outlive a lost database or cache and lose no work.

The served-process tests (``test_database_faults``) kill real PostgreSQL backends; these
inject the same driver errors into an embedded store, so each rule is checked alone and
fast: the in-app fan-out keeps its place in the log and delivers the entry it could not
handle once storage answers again, the view-count flush puts views it could not write
back, to be written by the next flush, and a trend-sketch publish that failed is not
skipped next time as "unchanged".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from tests.reference_app.storage._factories import add_users, status
from twitterdesign.reference_app.services.fanout import FanoutWorker
from twitterdesign.reference_app.services.trends import TrendsService
from twitterdesign.reference_app.storage import InProcessTimelineStore, SQLiteStore
from twitterdesign.reference_app.storage._outage import outage_kind
from twitterdesign.timeline import HybridThreshold

OUTAGES = [
    psycopg.OperationalError("terminating connection due to administrator command"),
    redis.ConnectionError("Connection closed by server."),
]


class _FlakyTimelines(InProcessTimelineStore):
    """In-process timelines whose pushes fail with ``error`` while ``down``."""

    def __init__(self, error: Exception) -> None:
        super().__init__(800)
        self.error = error
        self.down = False

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        if self.down:
            raise self.error
        return super().push(status_id, users, now_s=now_s)


@pytest.fixture
def store(tmp_path: Path) -> Iterable[SQLiteStore]:
    s = SQLiteStore(tmp_path / "db.sqlite3")
    add_users(s, 1, 2)
    s.follow(2, 1, 1, 1)
    yield s
    s.close()


@pytest.mark.parametrize("error", OUTAGES, ids=["database", "cache"])
def test_an_outage_keeps_the_fanout_entry_for_the_next_round(
    store: SQLiteStore, error: Exception
) -> None:
    assert outage_kind(error) is not None
    timelines = _FlakyTimelines(error)
    worker = FanoutWorker(store, timelines, policy=HybridThreshold(1000))
    timelines.touch(2)
    timelines.claim_rebuild(2)
    store.create_status(status(100, 1, "during the outage"))
    timelines.down = True
    with pytest.raises(type(error)):
        worker.drain()
    assert worker.queue_depth == 1  # the cursor did not move past it
    timelines.down = False
    worker.drain()
    assert timelines.read(2, limit=5) == [100]
    assert worker.queue_depth == 0


@pytest.mark.parametrize("error", OUTAGES, ids=["database", "cache"])
def test_the_fanout_thread_outlives_an_outage(store: SQLiteStore, error: Exception) -> None:
    timelines = _FlakyTimelines(error)
    worker = FanoutWorker(store, timelines, policy=HybridThreshold(1000))
    timelines.touch(2)
    timelines.claim_rebuild(2)
    timelines.down = True
    worker.start()
    try:
        store.create_status(status(100, 1, "during the outage"))
        worker.notify()
        time.sleep(0.3)  # a few failed rounds
        assert worker.running
        assert timelines.read(2, limit=5) == []
        timelines.down = False
        assert worker.wait_idle(10)
        assert timelines.read(2, limit=5) == [100]
    finally:
        worker.stop()


def test_another_error_of_one_entry_skips_only_that_entry(store: SQLiteStore) -> None:
    timelines = _FlakyTimelines(ValueError("a bug, not an outage"))
    worker = FanoutWorker(store, timelines, policy=HybridThreshold(1000))
    timelines.touch(2)
    timelines.claim_rebuild(2)
    store.create_status(status(100, 1, "poison"))
    timelines.down = True
    worker.drain()  # logged and skipped
    timelines.down = False
    store.create_status(status(101, 1, "next"))
    worker.drain()
    assert timelines.read(2, limit=5) == [101]


class _FlakyViews:
    """A view counter that fails like a dropped connection while ``down``."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.down = False

    def add_views(self, counts: dict[int, int]) -> None:
        if self.down:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        self.store.add_views(counts)


def test_a_failed_view_flush_keeps_the_views_for_the_next(store: SQLiteStore) -> None:
    store.create_status(status(100, 1, "viewed"))
    record = store.get_statuses([100])[100]
    views = _FlakyViews(store)
    trends = TrendsService(
        store, lambda: 0, window_s=3600.0, flush_interval_s=60.0, view_counter=views
    )
    trends.record_views([record, record])
    views.down = True
    with pytest.raises(psycopg.OperationalError):
        trends.flush()
    trends._check()
    assert trends.pending_views(100) == 2  # put back, not lost
    trends.record_views([record])  # counted meanwhile
    views.down = False
    trends.flush()
    trends._check()
    assert trends.pending_views(100) == 0
    assert store.get_statuses([100])[100].views_count == 3


class _FlakySketches:
    """A store whose sketch saves fail like a dropped connection while ``down``."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.down = False
        self.saves = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def save_sketch(self, name: str, data: bytes, now_ms: int) -> None:
        if self.down:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        self.saves += 1
        self._store.save_sketch(name, data, now_ms)


def test_a_failed_publish_of_the_sketches_is_tried_again(store: SQLiteStore) -> None:
    store.create_status(status(100, 1, "#outage", tags=("outage",)))
    sketches = _FlakySketches(store)
    trends = TrendsService(
        sketches,  # type: ignore[arg-type]
        lambda: 0,
        window_s=3600.0,
        flush_interval_s=60.0,
        publish_interval_s=1.0,
    )
    trends.on_created(store.get_statuses([100])[100])
    sketches.down = True
    with pytest.raises(psycopg.OperationalError):
        trends.persist(only_if_changed=True)
    sketches.down = False
    trends.persist(only_if_changed=True)  # still changed: not skipped
    assert sketches.saves == 4  # tags, statuses, most viewed, tag history
