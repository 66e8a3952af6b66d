"""Property: however often consumers die before their ack, the timelines end up exactly once.

On the in-memory log and SQLite (fast enough for hypothesis); the same code runs on Redis
and PostgreSQL in `test_delivery` and `test_worker_process`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.log._services import Graph, populate
from twitterdesign.reference_app.log import InMemoryFanoutLog
from twitterdesign.reference_app.services.fanout_consumer import FanoutConsumer
from twitterdesign.reference_app.services.relay import OutboxRelay
from twitterdesign.reference_app.storage import InProcessTimelineStore, SQLiteStore
from twitterdesign.timeline import HybridThreshold


class _Killed(BaseException):
    pass


class _Flaky(InProcessTimelineStore):
    """Dies (BaseException) or fails (Exception) at chosen push calls."""

    def __init__(self, graph: Graph) -> None:
        super().__init__(800, inactive_after_s=3600.0)
        for user in graph.active:
            self.touch(user)
        self.calls = 0
        self.kill_at: set[int] = set()
        self.fail_at: set[int] = set()

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        self.calls += 1
        if self.calls in self.kill_at:
            raise _Killed
        if self.calls in self.fail_at:
            raise ConnectionError("timeline store unreachable")
        return super().push(status_id, users, now_s=now_s)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SQLiteStore, Graph]]:
    store = SQLiteStore(Path(tmp_path_factory.mktemp("log")) / "db.sqlite3")
    graph = populate(store, posts_per_author=3)
    yield store, graph
    store.close()


@settings(max_examples=40, deadline=None)
@given(
    kills=st.sets(st.integers(1, 60), max_size=6),
    failures=st.sets(st.integers(1, 60), max_size=4),
    batch=st.integers(1, 40),
)
def test_exactly_once_in_effect_under_any_crashes(
    world: tuple[SQLiteStore, Graph], kills: set[int], failures: set[int], batch: int
) -> None:
    store, graph = world
    log = InMemoryFanoutLog()
    OutboxRelay(store, log, holder="relay").drain()
    timelines = _Flaky(graph)
    timelines.kill_at, timelines.fail_at = kills, failures - kills
    lives = 0
    while log.undelivered() or log.pending():
        lives += 1
        assert lives < 200
        consumer = FanoutConsumer(
            store,
            timelines,
            log,
            policy=HybridThreshold(25),
            consumer=f"c{lives}",  # a new process each life: the dead one's entries are claimed
            batch=batch,
            claim_idle_ms=0,
        )
        try:
            consumer.drain(max_batches=50)
        except _Killed:
            continue
    for user, expected in graph.expected().items():
        got = timelines.read(user, limit=800)
        assert len(got) == len(set(got))
        assert set(got) == expected
    timelines._check()
