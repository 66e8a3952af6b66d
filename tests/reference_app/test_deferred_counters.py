"""Deferred counters end to end: PostgreSQL counter outbox → Redis shards → columns.

Each test has a PostgreSQL schema and a Redis key prefix of its own and skips, naming the
server, where either is unreachable. The property test drives the store, the worker and
the flush step by step, with redeliveries and crashes at the points that matter.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from tests.reference_app._engines import postgres_url
from tests.reference_app._live import register_user
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage._factories import add_users, reblog, status
from tests.reference_app.storage._redis import REDIS_URL, delete_prefix, new_prefix
from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
    drop_schema,
    make_postgres_store,
    new_schema_name,
    truncate_all,
)
from twitterdesign.reference_app import create_app
from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.services import Services, StatusCounts
from twitterdesign.reference_app.services._factory import counters_deferred
from twitterdesign.reference_app.services.counter_worker import CounterWorker
from twitterdesign.reference_app.storage import CounterDeltas, CounterEvent, counter_key_prefixes
from twitterdesign.reference_app.storage.postgres import PostgresStore
from twitterdesign.reference_app.storage.redis import RedisStatusCounters, RedisUnavailableError

_BASE = (100, 101)  # the statuses everybody favourites, reblogs and replies to
_ACCOUNTS = (1, 2, 3, 4)


class _NoPendingViews:
    def pending_views_many(self, ids: Sequence[int]) -> dict[int, int]:
        return {}


class _Crash(Exception):
    """A worker dying between its Redis write and its database commit."""


def _crashing(apply: Any) -> Any:
    def crash_after(events: Sequence[CounterEvent]) -> None:
        apply(events)
        raise _Crash

    return crash_after


@pytest.fixture
def schema() -> Iterator[str]:
    name = new_schema_name()
    yield name
    with contextlib.suppress(Exception):
        drop_schema(name)


@pytest.fixture
def deferred_store(schema: str) -> Iterator[PostgresStore]:
    s = make_postgres_store(schema, max_size=12, deferred_counters=True)
    yield s
    s.close()


@pytest.fixture
def counters(prefix: str) -> Iterator[RedisStatusCounters]:
    c = RedisStatusCounters(REDIS_URL, prefix=prefix)
    yield c
    c.close()


def exact_counts(store: PostgresStore, ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """(favourites, reblogs, replies) of each status, counted from the rows themselves."""
    rows = store._q(
        "SELECT s.id, (SELECT count(*) FROM favourites f WHERE f.status_id = s.id), "
        "(SELECT count(*) FROM statuses r WHERE r.reblog_of_id = s.id), "
        "(SELECT count(*) FROM statuses r WHERE r.in_reply_to_id = s.id "
        "AND r.visibility <> 'private') FROM statuses s WHERE s.id = ANY(%s::bigint[])",
        (list(ids),),
    )
    return {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}


def displayed(
    store: PostgresStore, counters: RedisStatusCounters, ids: Sequence[int]
) -> dict[int, tuple[int, int, int, int]]:
    """What the API shows: the columns plus `StatusCounts` (the renderer's own overlay)."""
    overlay = StatusCounts(_NoPendingViews(), store=store, counters=counters)  # type: ignore[arg-type]
    extra = overlay.unflushed_many(ids)
    out = {}
    for sid, s in store.get_statuses(ids).items():
        d = extra.get(sid, CounterDeltas())
        out[sid] = (
            s.favourites_count + d.favourites,
            s.reblogs_count + d.reblogs,
            s.replies_count + d.replies,
            s.views_count + d.views,
        )
    return out


# --- the property ---------------------------------------------------------------------

_account = st.sampled_from(_ACCOUNTS)
_target = st.sampled_from(_BASE)
_op = st.one_of(
    st.tuples(st.just("fav"), _account, _target),
    st.tuples(st.just("unfav"), _account, _target),
    st.tuples(st.just("reblog"), _account, _target),
    st.tuples(st.just("unreblog"), _account, _target),
    st.tuples(st.just("reply"), _account, _target, st.booleans()),
    st.tuples(st.just("delete_reply"), st.integers(0, 10)),
    st.tuples(st.just("views"), _target, st.integers(1, 5)),
    st.tuples(st.just("deliver"), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("own"), _account, _target, st.integers(0, 10), st.booleans()),
    st.tuples(st.just("flush")),
    st.tuples(st.just("crash_after_move")),
    st.tuples(st.just("crash_after_commit")),
    st.tuples(st.just("check")),
)


@pytest.fixture(scope="module")
def module_deferred_store() -> Iterator[tuple[str, PostgresStore]]:
    name = new_schema_name()
    store = make_postgres_store(name, max_size=4, deferred_counters=True)
    yield name, store
    store.close()
    with contextlib.suppress(Exception):
        drop_schema(name)


@settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(_op, max_size=30))
def test_counts_are_exact_through_redeliveries_flushes_and_crashes(
    module_deferred_store: tuple[str, PostgresStore], ops: list[tuple[Any, ...]]
) -> None:
    """PG columns + Redis = COUNT(*) whenever the worker has caught up; after a drain and
    a flush the columns alone are, and the store's integrity checks pass."""
    schema, store = module_deferred_store
    truncate_all(schema)
    add_users(store, *_ACCOUNTS)
    for sid in _BASE:
        store.create_status(status(sid, 1))
    prefix = new_prefix()
    counters = RedisStatusCounters(REDIS_URL, prefix=prefix, rng=0)
    worker = CounterWorker(store, counters, batch=3)
    views = dict.fromkeys(_BASE, 0)
    replies: list[int] = []
    next_id = 1_000

    def deliver(limit: int, crash: bool) -> None:
        def apply(events: Sequence[CounterEvent]) -> None:
            counters.apply_events(events)
            if crash:
                raise _Crash

        with contextlib.suppress(_Crash):
            store.consume_counter_events(limit, apply)

    def check() -> None:
        counters._check()
        worker.drain()
        exact = exact_counts(store, _BASE)
        shown = displayed(store, counters, _BASE)
        assert {s: (*exact[s], views[s]) for s in _BASE} == shown

    try:
        for op in ops:
            next_id += 1
            kind = op[0]
            if kind == "fav":
                store.favourite(op[1], op[2], next_id, next_id)
            elif kind == "unfav":
                store.unfavourite(op[1], op[2])
            elif kind == "reblog":
                with contextlib.suppress(ConflictError):
                    store.create_status(reblog(next_id, op[1], op[2]))
            elif kind == "unreblog":
                rid = store.reblog_of(op[1], op[2])
                if rid is not None:
                    store.delete_status(rid)
            elif kind == "reply":
                visibility = "private" if op[3] else "public"
                reply = status(
                    next_id, op[1], in_reply_to_id=op[2], in_reply_to_account_id=1,
                    visibility=visibility,
                )  # fmt: skip
                store.create_status(reply)
                replies.append(next_id)
            elif kind == "delete_reply" and replies:
                store.delete_status(replies.pop(op[1] % len(replies)))
            elif kind == "views":
                counters.add_views({op[1]: op[2]})
                views[op[1]] += op[2]
            elif kind == "deliver":
                deliver(op[1], op[2])
            elif kind == "own":  # a writer applying its own events (maybe crashing)
                own = replies[op[3] % len(replies)] if replies else op[2]
                prefixes = counter_key_prefixes(favourite=(op[1], op[2]), status_ids=[own])
                with contextlib.suppress(_Crash):
                    store.consume_counter_events_matching(
                        prefixes,
                        _crashing(counters.apply_events) if op[4] else counters.apply_events,
                    )
            elif kind == "flush":
                worker.flush()
            elif kind == "crash_after_move":
                counters.begin_flush(uuid.uuid4().hex)
            elif kind == "crash_after_commit":
                batch = counters.begin_flush(uuid.uuid4().hex)
                if batch is not None:
                    store.apply_counter_flush(batch.flush_id, batch.deltas)
            elif kind == "check":
                check()
        check()
        worker.flush()
        assert counters.unflushed(_BASE).total(inflight_applied=False) == {}
        assert store.counter_events_waiting() == 0
        assert store.integrity_problems() == []
        stored = store.get_statuses(_BASE)
        assert {s: stored[s].views_count for s in _BASE} == views
    finally:
        delete_prefix(prefix)
        counters.close()


# --- concurrency ----------------------------------------------------------------------


def _row_version(schema: str, sid: int) -> str:
    with psycopg.connect(POSTGRES_URL) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        row = conn.execute("SELECT xmin::text FROM statuses WHERE id = %s", (sid,)).fetchone()
        assert row is not None
        return str(row[0])


def test_threads_liking_one_hot_status_never_update_its_row_and_count_exactly(
    schema: str, deferred_store: PostgresStore, counters: RedisStatusCounters
) -> None:
    likers = list(range(10, 90))
    add_users(deferred_store, 1, *likers)
    deferred_store.create_status(status(100, 1))
    before = _row_version(schema, 100)

    def like(mine: list[int]) -> None:
        for account in mine:
            assert deferred_store.favourite(account, 100, 10_000 + account, 1)

    threads = [threading.Thread(target=like, args=(likers[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # No favourite transaction wrote the status row (xmin changes with every UPDATE):
    # nothing to queue on. The events wait in the outbox.
    assert _row_version(schema, 100) == before
    assert deferred_store.counter_events_waiting() == len(likers)
    worker = CounterWorker(deferred_store, counters, batch=7)
    workers = [threading.Thread(target=worker.drain) for _ in range(3)]  # SKIP LOCKED
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert displayed(deferred_store, counters, [100])[100][0] == len(likers)
    worker.flush()
    assert deferred_store.get_statuses([100])[100].favourites_count == len(likers)
    assert deferred_store.integrity_problems() == []


def test_writers_applying_their_own_likes_beside_draining_workers_count_each_once(
    deferred_store: PostgresStore, counters: RedisStatusCounters
) -> None:
    """The app's path: each liker applies its own event after its commit while workers
    drain the same outbox; whoever gets an event first applies it, the other skips it."""
    likers = list(range(10, 70))
    add_users(deferred_store, 1, *likers)
    deferred_store.create_status(status(100, 1))
    worker = CounterWorker(deferred_store, counters, batch=3)
    stop = threading.Event()

    def like(mine: list[int]) -> None:
        for account in mine:
            assert deferred_store.favourite(account, 100, 10_000 + account, 1)
            if account % 3:  # the others are left behind, as by a writer that died
                deferred_store.consume_counter_events_matching(
                    counter_key_prefixes(favourite=(account, 100)), counters.apply_events
                )
            if account % 5 == 0:  # and some change their mind
                assert deferred_store.unfavourite(account, 100)
                deferred_store.consume_counter_events_matching(
                    counter_key_prefixes(favourite=(account, 100)), counters.apply_events
                )

    def drain() -> None:
        while not stop.is_set():
            worker.drain()

    threads = [threading.Thread(target=like, args=(likers[i::6],)) for i in range(6)]
    drainers = [threading.Thread(target=drain) for _ in range(2)]
    for t in [*threads, *drainers]:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in drainers:
        t.join()
    worker.drain()
    expected = sum(1 for a in likers if a % 5)
    assert displayed(deferred_store, counters, [100])[100][0] == expected
    worker.flush()
    assert deferred_store.get_statuses([100])[100].favourites_count == expected
    assert deferred_store.integrity_problems() == []


def test_a_like_commits_while_another_transaction_holds_the_status_row(
    schema: str, deferred_store: PostgresStore
) -> None:
    """The inline mode would wait for this lock; the deferred mode takes none."""
    add_users(deferred_store, 1, 2)
    deferred_store.create_status(status(100, 1))
    done = threading.Event()
    with psycopg.connect(POSTGRES_URL) as holder:
        holder.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        holder.execute("SELECT 1 FROM statuses WHERE id = 100 FOR UPDATE")  # held till exit
        liker = threading.Thread(
            target=lambda: (deferred_store.favourite(2, 100, 500, 1), done.set())
        )
        liker.start()
        liker.join(30)
        assert done.is_set()
    assert deferred_store.counter_events_waiting() == 1


# --- wiring and the app ---------------------------------------------------------------


def test_auto_mode_is_deferred_exactly_with_postgresql_and_redis(tmp_path: Path) -> None:
    pg, rd = "postgresql://db/tw", "redis://cache:6379/0"
    assert counters_deferred(make_settings(tmp_path, database_url=pg, cache_url=rd))
    assert not counters_deferred(make_settings(tmp_path, database_url=pg))
    assert not counters_deferred(make_settings(tmp_path, cache_url=rd))
    assert not counters_deferred(
        make_settings(tmp_path, database_url=pg, cache_url=rd, counter_mode="inline")
    )
    with pytest.raises(ValueError, match="counter_mode"):
        counters_deferred(make_settings(tmp_path, counter_mode="deferred"))


def test_a_deferred_store_without_a_redis_cache_is_refused(
    tmp_path: Path, deferred_store: PostgresStore
) -> None:
    with pytest.raises(ValueError, match="deferred_counters"):
        Services(make_settings(tmp_path), store=deferred_store)


def _cluster_settings(tmp_path: Path, schema: str, prefix: str, **more: Any) -> Any:
    return make_settings(
        tmp_path,
        database_url=postgres_url(schema),
        cache_url=f"{REDIS_URL}?prefix={prefix}",
        fanout_in_app=False,
        **more,
    )


def _gauge(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


def test_a_favourite_shows_in_its_response_and_a_left_event_once_the_worker_applied_it(
    tmp_path: Path, schema: str, prefix: str
) -> None:
    from twitterdesign.reference_app.log import RedisStreamLog
    from twitterdesign.reference_app.services.log_worker import LogWorker

    settings = _cluster_settings(tmp_path, schema, prefix)
    with TestClient(create_app(settings)) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        assert isinstance(services.store, PostgresStore)
        assert services.store.deferred_counters
        assert services.status_counters is not None
        assert services.counter_worker is None  # fanout_in_app=False: workers apply
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        sid = client.post("/api/v1/statuses", headers=ada, json={"status": "hot"}).json()["id"]
        # The writer applies its own events: the responses count them (Mastodon clients
        # show the returned status), and nothing is left for the workers.
        faved = client.post(f"/api/v1/statuses/{sid}/favourite", headers=bob).json()
        assert faved["favourites_count"] == 1
        boosted = client.post(f"/api/v1/statuses/{sid}/reblog", headers=bob).json()
        assert boosted["reblog"]["reblogs_count"] == 1
        client.post("/api/v1/statuses", headers=bob, json={"status": "re", "in_reply_to_id": sid})
        shown = client.get(f"/api/v1/statuses/{sid}", headers=ada).json()
        assert (shown["favourites_count"], shown["reblogs_count"], shown["replies_count"]) == (
            1,
            1,
            1,
        )
        assert _gauge(client, "twitterdesign_counter_events_waiting") == 0

        # A writer that died after its commit leaves its event to the workers.
        carol = services.accounts.register("carol", "carol@example.org", "correct horse")
        assert services.store.favourite(carol.id, int(sid), services.ids.next_id(), 1)
        assert _gauge(client, "twitterdesign_counter_events_waiting") == 1
        assert client.get(f"/api/v1/statuses/{sid}", headers=ada).json()["favourites_count"] == 1
        log = RedisStreamLog(REDIS_URL, prefix=prefix)
        counter_worker = CounterWorker(
            services.store,  # type: ignore[arg-type]
            services.status_counters,
            flush_interval_s=3600.0,
        )
        worker = LogWorker(
            services.store,
            services.timeline_store,
            log,
            policy=services.timelines.policy,
            consumer="w1",
            block_ms=0,
            counters=counter_worker,
        )
        worker.step()
        assert _gauge(client, "twitterdesign_counter_events_waiting") == 0
        assert client.get(f"/api/v1/statuses/{sid}", headers=ada).json()["favourites_count"] == 2
        counter_worker.flush()  # into the columns: shown once, not twice
        again = client.get(f"/api/v1/statuses/{sid}", headers=ada).json()
        assert (again["favourites_count"], again["reblogs_count"]) == (2, 1)
        assert services.store.get_statuses([int(sid)])[int(sid)].favourites_count == 2
        un = client.post(f"/api/v1/statuses/{sid}/unfavourite", headers=bob).json()
        assert un["favourites_count"] == 1
        unboosted = client.post(f"/api/v1/statuses/{sid}/unreblog", headers=bob).json()
        assert unboosted["reblogs_count"] == 0
        assert _gauge(client, "twitterdesign_counter_events_waiting") == 0
        counter_worker.flush()  # the -1, applied by the writer, reaches the column
        assert services.store.integrity_problems() == []
        log.close()


def test_with_fanout_in_the_app_the_app_applies_its_counters_itself(
    tmp_path: Path, schema: str, prefix: str
) -> None:
    settings = _cluster_settings(tmp_path, schema, prefix).replace(fanout_in_app=True)
    with TestClient(create_app(settings)) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        assert services.counter_worker is not None
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        sid = client.post("/api/v1/statuses", headers=ada, json={"status": "x"}).json()["id"]
        client.post(f"/api/v1/statuses/{sid}/favourite", headers=bob)
    # Closing stops the app's counter worker, which drains and flushes on its way out.
    store = make_postgres_store(schema)
    try:
        assert store.get_statuses([int(sid)])[int(sid)].favourites_count == 1
        assert store.integrity_problems() == []
    finally:
        store.close()


def test_a_lost_counter_redis_serves_the_stored_counts_and_keeps_the_events(
    tmp_path: Path, schema: str, prefix: str
) -> None:
    """A count decorates a status: without Redis it is the column (a bit behind), not
    a 503 or a 500; a favourite made meanwhile is committed and waits for a worker."""
    settings = _cluster_settings(tmp_path, schema, prefix)
    with TestClient(create_app(settings)) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        sid = client.post("/api/v1/statuses", headers=ada, json={"status": "x"}).json()["id"]
        assert client.post(f"/api/v1/statuses/{sid}/favourite", headers=bob).is_success
        assert services.status_counters is not None

        def away(*args: Any, **kwargs: Any) -> Any:
            raise RedisUnavailableError("cannot reach Redis at redis://127.0.0.1:1/0")

        with pytest.MonkeyPatch.context() as patch:
            for method in ("unflushed", "apply_events", "add_views"):
                patch.setattr(services.status_counters, method, away)
            shown = client.get(f"/api/v1/statuses/{sid}", headers=ada)
            liked = client.post(f"/api/v1/statuses/{sid}/favourite", headers=ada)
        assert shown.status_code == 200
        assert shown.json()["favourites_count"] == 0  # bob's like is in the shards only
        assert liked.status_code == 200
        assert services.counter_events_waiting() == 1  # ada's like waits for a worker
        worker = CounterWorker(services.store, services.status_counters)  # type: ignore[arg-type]
        worker.drain()
        assert client.get(f"/api/v1/statuses/{sid}").json()["favourites_count"] == 2


@pytest.mark.slow
def test_the_worker_command_applies_and_flushes_counters_then_stops_cleanly(
    schema: str, deferred_store: PostgresStore, prefix: str
) -> None:
    add_users(deferred_store, 1, 2, 3)
    deferred_store.create_status(status(100, 1))
    deferred_store.favourite(2, 100, 500, 1)
    deferred_store.favourite(3, 100, 501, 1)
    env = {
        **os.environ,
        "TWITTERDESIGN_DATABASE_URL": postgres_url(schema),
        "TWITTERDESIGN_CACHE_URL": f"{REDIS_URL}?prefix={prefix}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "twitterdesign", "worker", "--consumer", "counting"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        for _ in range(600):  # the outbox drained (bounded: 60 s)
            if deferred_store.counter_events_waiting() == 0:
                break
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "counter events 2" in err
    # A clean stop flushes: the column holds both likes, exact against the rows.
    assert deferred_store.get_statuses([100])[100].favourites_count == 2
    assert deferred_store.integrity_problems() == []
