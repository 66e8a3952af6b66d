"""PostgresStore under concurrent callers: each unit of work stays exact and atomic.

Threads share one store (one pool), or open several stores on one schema, as several app
processes would. No timing assertions: only outcomes that must hold whatever the schedule.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from tests.reference_app.storage._factories import status as make_status
from tests.reference_app.storage_pg._postgres import POSTGRES_URL
from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage import AuthCodeRecord
from twitterdesign.reference_app.storage.postgres import PostgresStore
from twitterdesign.reference_app.storage.postgres._migrations import MIGRATIONS

T = TypeVar("T")


def _together(n: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..n-1)`` on n threads released at the same moment; return results."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_idempotent_creates_make_one_status(store: PostgresStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    for round_ in range(10):
        key = f"key-{round_}"
        base = 1000 * (round_ + 1)
        results = _together(
            8,
            lambda i, base=base, key=key: store.create_status(
                make_status(base + i, 1), idempotency_key=key
            ),
        )
        created = [s.id for s, fresh in results if fresh]
        assert len(created) == 1, results
        assert {s.id for s, _ in results} == set(created)  # every caller got the same one
    assert store.count_statuses() == 10
    assert store.get_accounts([1])[1].statuses_count == 10
    assert len(store.events_since(0, 100)) == 10  # one fan-out event per status
    assert store.integrity_problems() == []


def test_concurrent_reclaims_of_a_deleted_keys_status_make_one(store: PostgresStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_status(make_status(10, 1), idempotency_key="k")
    store.delete_status(10)
    results = _together(
        8, lambda i: store.create_status(make_status(100 + i, 1), idempotency_key="k")
    )
    assert sum(fresh for _, fresh in results) == 1
    assert len({s.id for s, _ in results}) == 1
    assert store.count_statuses() == 1


def test_concurrent_favourites_keep_the_counter_exact(store: PostgresStore) -> None:
    n = 24
    for i in range(1, n + 1):
        store.create_user(i, f"u{i}", f"u{i}@x.org", "h", 0)
    store.create_status(make_status(1000, 1))
    # Every account favourites twice at once (the duplicate must report False).
    results = _together(2 * n, lambda i: store.favourite(i % n + 1, 1000, 5000 + i, 0))
    assert sum(results) == n
    assert store.get_statuses([1000])[1000].favourites_count == n
    # Half take it back while the other half try to favourite again.
    undone = _together(
        n,
        lambda i: (
            store.unfavourite(i + 1, 1000) if i % 2 else store.favourite(i + 1, 1000, 9000 + i, 0)
        ),
    )
    assert sum(undone[1::2]) == n // 2
    assert not any(undone[0::2])
    assert store.get_statuses([1000])[1000].favourites_count == n - n // 2
    assert store.integrity_problems() == []


def test_concurrent_follows_and_mutual_follows_keep_counters_exact(store: PostgresStore) -> None:
    n = 16
    for i in range(1, n + 1):
        store.create_user(i, f"u{i}", f"u{i}@x.org", "h", 0)
    # Everyone follows everyone else at once: pairs lock both counter rows from both ends.
    pairs = [(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b]
    with ThreadPoolExecutor(12) as pool:
        done = list(pool.map(lambda p: store.follow(p[0], p[1], p[0] * 1000 + p[1], 0), pairs))
    assert all(done)
    accounts = store.get_accounts(range(1, n + 1))
    assert {a.followers_count for a in accounts.values()} == {n - 1}
    assert {a.following_count for a in accounts.values()} == {n - 1}
    with ThreadPoolExecutor(12) as pool:
        undone = list(pool.map(lambda p: store.unfollow(p[0], p[1]), pairs[::2]))
    assert all(undone)
    assert store.integrity_problems() == []


def test_an_auth_code_is_taken_once(store: PostgresStore) -> None:
    store.add_auth_code(AuthCodeRecord("code", 1, 2, "urn:x", "read", 99))
    taken = _together(8, lambda i: store.take_auth_code("code", app_id=1))
    assert sum(t is not None for t in taken) == 1


def test_a_late_commit_with_an_earlier_seq_is_not_skipped(
    store: PostgresStore, schema: str
) -> None:
    """The outbox race, forced: seq 1 commits after seq 2 was read."""
    store.create_user(1, "ada", "a@x.org", "h", 0)
    with psycopg.connect(POSTGRES_URL) as slow:
        slow.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        slow.execute(
            "INSERT INTO fanout_log(status_id, account_id, created_at) VALUES (777, 1, 0)"
        )  # allocates the lower seq, stays uncommitted
        store.create_status(make_status(100, 1))  # the higher seq, committed
        first = store.events_since(0, 10)
        assert [e[1] for e in first] == [100]
        slow.commit()
    seqs = dict(
        store._q("SELECT status_id, seq FROM fanout_log")  # the inversion really happened
    )
    assert seqs[777] < seqs[100]
    later = store.events_since(first[-1][0], 10)
    assert [e[1] for e in later] == [777]  # a seq cursor would have skipped it
    assert later[0][0] > first[-1][0]


def test_a_tailing_reader_sees_every_event_of_concurrent_writers(
    store_factory: Callable[[], PostgresStore], schema: str
) -> None:
    """Writers through the store, and raw writers whose transaction stays open a little
    after the log INSERT (as a longer unit of work would), against a reader polling in
    small batches. A ``seq > cursor`` reader fails this test; the positions must not."""
    writers, per_writer = 6, 40
    stores = [store_factory() for _ in range(3)]  # three "processes"
    stores[0].create_user(1, "ada", "a@x.org", "h", 0)
    stop = threading.Event()
    seen: list[tuple[int, int | None, int]] = []

    def tail() -> None:
        reader = stores[2]
        last = 0
        while True:
            finished = stop.is_set()  # read before polling: a final full drain follows
            batch = reader.events_since(last, 7)
            seen.extend(batch)
            if batch:
                last = batch[-1][0]
            elif finished:
                return

    def write(w: int) -> None:
        if w % 2:  # a slow raw writer: seq taken early, commit late
            rng = random.Random(w)
            with psycopg.connect(POSTGRES_URL) as conn:
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                for k in range(per_writer):
                    conn.execute(
                        "INSERT INTO fanout_log(status_id, account_id, created_at) "
                        "VALUES (%s, 1, 0)",
                        (10_000 * (w + 1) + k,),
                    )
                    time.sleep(rng.random() * 0.004)
                    conn.commit()
            return
        s = stores[w % 4 // 2]
        for k in range(per_writer):
            s.create_status(make_status(10_000 * (w + 1) + k, 1))
            if k % 10 == 0:
                s.follow(1, 2 + w, 100_000 * (w + 1) + k, 0)
                s.unfollow(1, 2 + w)

    reader_thread = threading.Thread(target=tail)
    reader_thread.start()
    _together(writers, write)
    stop.set()
    reader_thread.join(60)
    positions = [e[0] for e in seen]
    assert positions == sorted(set(positions))  # strictly increasing: no repeats
    status_ids = [e[1] for e in seen if e[1] is not None]
    expected = {10_000 * (w + 1) + k for w in range(writers) for k in range(per_writer)}
    assert sorted(status_ids) == sorted(expected)  # none skipped
    assert len(seen) - len(status_ids) == (writers // 2) * (per_writer // 10) * 2
    assert stores[1].event_head() == positions[-1]


def test_two_stores_migrating_at_once_migrate_once(schema: str) -> None:
    from tests.reference_app.storage_pg._postgres import make_postgres_store

    opened: list[Any] = _together(4, lambda i: make_postgres_store(schema))
    try:
        versions = {s.schema_version() for s in opened}
        assert versions == {len(MIGRATIONS)}
        rows = opened[0]._q("SELECT count(*) FROM schema_migrations")
        assert rows[0][0] == len(MIGRATIONS)
        opened[1].create_user(1, "ada", "a@x.org", "h", 0)
        assert opened[3].account_by_username("ada") is not None
    finally:
        for s in opened:
            s.close()


def test_reopening_applies_nothing(store_factory: Callable[[], PostgresStore]) -> None:
    first = store_factory()
    first.create_user(1, "ada", "a@x.org", "h", 0)
    applied = first._q("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    second = store_factory()
    assert second._q("SELECT version, applied_at FROM schema_migrations ORDER BY version") == (
        applied
    )
    assert second.count_accounts() == 1


def test_concurrent_view_batches_add_up(store: PostgresStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    ids = list(range(100, 140))
    for sid in ids:
        store.create_status(make_status(sid, 1))

    def count(i: int) -> None:
        rng = random.Random(i)
        for _ in range(15):
            batch = rng.sample(ids, len(ids))  # every status, in a different order each time
            store.add_views(dict.fromkeys(batch, 1))

    _together(8, count)
    assert {s.views_count for s in store.get_statuses(ids).values()} == {8 * 15}


def test_replies_racing_with_deletes_leave_consistent_counters(store: PostgresStore) -> None:
    for i in (1, 2, 3):
        store.create_user(i, f"u{i}", f"u{i}@x.org", "h", 0)
    parents = list(range(100, 130))
    for sid in parents:
        store.create_status(make_status(sid, 1))

    def act(i: int) -> None:
        rng = random.Random(i)
        for k in range(30):
            parent = rng.choice(parents)
            if i % 3 == 0:
                store.delete_status(parent)
            elif i % 3 == 1:
                store.create_status(
                    make_status(
                        10_000 * (i + 1) + k, 2, in_reply_to_id=parent, in_reply_to_account_id=1
                    )
                )
            else:
                if store.reblog_of(3, parent) is None:
                    with contextlib.suppress(ConflictError):  # our own earlier reblog
                        store.create_status(
                            make_status(10_000 * (i + 1) + k, 3, "", reblog_of_id=parent)
                        )
                store.favourite(2, parent, 20_000_000 + 10_000 * i + k, 0)

    _together(9, act)
    problems = store.integrity_problems()
    # A reblog whose original was deleted while it committed may outlive it (as on
    # SQLite, where the service checks first); every counter must still be exact.
    assert [p for p in problems if "count" in p] == [], problems
