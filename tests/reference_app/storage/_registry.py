"""The implementations every storage contract suite runs against.

Adding an implementation (a database engine, Redis timelines, an S3 blob store) is one
entry here; the contract suites beside this module then run it through every guarantee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from twitterdesign.reference_app.storage import (
    BlobStore,
    FileBlobStore,
    InMemoryBlobStore,
    InProcessTimelineStore,
    SQLiteStore,
    Store,
    TimelineStore,
    ViewCounterStore,
)


@dataclass(frozen=True)
class Engine:
    """How the contract suite gets a fresh store of one implementation, and disposes of it."""

    open: Callable[[Path], Store]
    dispose: Callable[[Store], None]


def _open_sqlite(tmp: Path) -> Store:
    return SQLiteStore(tmp / "db.sqlite3")


def _close(store: Store) -> None:
    store.close()


def _open_postgres(tmp: Path) -> Store:
    # A schema of its own per store; skips the test when the server is not reachable.
    from tests.reference_app.storage_pg._postgres import make_postgres_store, new_schema_name

    return make_postgres_store(new_schema_name(), max_size=16)


def _drop_postgres(store: Store) -> None:
    from twitterdesign.reference_app.storage.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    store.drop_schema()
    store.close()


ENGINES: dict[str, Engine] = {
    "sqlite": Engine(open=_open_sqlite, dispose=_close),
    "postgres": Engine(open=_open_postgres, dispose=_drop_postgres),
}
"""Every implementation of `Store` the contract suite runs against."""


TimelineStoreFactory = Callable[[Path, int, "float | None"], TimelineStore]
"""Build an empty store: (scratch directory, capacity, inactivity window in seconds)."""

BlobStoreFactory = Callable[[Path], BlobStore]
"""Build an empty blob store in a scratch directory."""


def _open_redis_timelines(tmp: Path, capacity: int, window: float | None) -> TimelineStore:
    # A key prefix of its own per store; skips the test when the server is not reachable.
    from tests.reference_app.storage._redis import REDIS_URL, new_prefix, require_redis
    from twitterdesign.reference_app.storage.redis import RedisTimelineStore

    require_redis()
    return RedisTimelineStore(
        REDIS_URL, prefix=new_prefix(), capacity=capacity, inactive_after_s=window
    )


def _dispose_redis_timelines(store: TimelineStore) -> None:
    from tests.reference_app.storage._redis import delete_prefix
    from twitterdesign.reference_app.storage.redis import RedisTimelineStore

    assert isinstance(store, RedisTimelineStore)
    delete_prefix(store.prefix)
    store.close()


TIMELINE_STORES: dict[str, TimelineStoreFactory] = {
    "in-process": lambda tmp, capacity, window: InProcessTimelineStore(
        capacity, inactive_after_s=window
    ),
    "redis": _open_redis_timelines,
}

TIMELINE_DISPOSERS: dict[str, Callable[[TimelineStore], None]] = {
    "redis": _dispose_redis_timelines,
}
"""How to dispose of a store the contract suite made (default: `TimelineStore.close`)."""

BLOB_STORES: dict[str, BlobStoreFactory] = {
    "file": lambda tmp: FileBlobStore(tmp / "media"),
    "memory": lambda tmp: InMemoryBlobStore(),
    "memory-with-url": lambda tmp: InMemoryBlobStore(base_url="https://cdn.example/media/"),
}


class ViewCounterFixture:
    """A view counter store, statuses it can count, and a way to read the totals back."""

    def __init__(self, tmp: Path) -> None:
        from tests.reference_app.conftest import make_settings
        from twitterdesign.reference_app.services import Services

        self._services = Services(make_settings(tmp))
        author = self._services.accounts.register("counted", "c@example.org", "correct horse")
        self.status_ids = [self._services.statuses.create(author.id, f"s{i}").id for i in range(4)]
        self.counter: ViewCounterStore = self._services.store

    def totals(self) -> dict[int, int]:
        found = self._services.store.get_statuses(self.status_ids)
        return {i: found[i].views_count for i in self.status_ids}

    def close(self) -> None:
        self._services.close()


class RedisViewCounterFixture:
    """`RedisStatusCounters` over a deferred-counters PostgreSQL store (schema and prefix
    of its own); totals are read back after a `CounterWorker` flush, so the contract
    covers the shards *and* the flush into the columns."""

    def __init__(self, tmp: Path) -> None:
        from tests.reference_app.storage._factories import add_users, status
        from tests.reference_app.storage._redis import REDIS_URL, new_prefix, require_redis
        from tests.reference_app.storage_pg._postgres import (
            make_postgres_store,
            new_schema_name,
        )
        from twitterdesign.reference_app.services.counter_worker import CounterWorker
        from twitterdesign.reference_app.storage.redis import RedisStatusCounters

        require_redis()
        self._store = make_postgres_store(new_schema_name(), deferred_counters=True)
        add_users(self._store, 1)
        self.status_ids = [100 + i for i in range(4)]
        for sid in self.status_ids:
            self._store.create_status(status(sid, 1))
        self._counters = RedisStatusCounters(REDIS_URL, prefix=new_prefix())
        self._worker = CounterWorker(self._store, self._counters)
        self.counter: ViewCounterStore = self._counters

    def totals(self) -> dict[int, int]:
        self._worker.flush()
        found = self._store.get_statuses(self.status_ids)
        return {i: found[i].views_count for i in self.status_ids}

    def close(self) -> None:
        from tests.reference_app.storage._redis import delete_prefix

        delete_prefix(self._counters.prefix)
        self._counters.close()
        self._store.drop_schema()
        self._store.close()


VIEW_COUNTERS: dict[str, Callable[[Path], ViewCounterFixture | RedisViewCounterFixture]] = {
    "sqlite": ViewCounterFixture,
    "redis-sharded": RedisViewCounterFixture,
}
