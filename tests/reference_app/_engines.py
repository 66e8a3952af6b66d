"""Which modes the client-facing suites run against: embedded SQLite, and the cluster.

``TWITTERDESIGN_TEST_ENGINES`` (default ``sqlite,cluster``) names them:

- ``sqlite``: the embedded default (one SQLite file, in-process timelines and fan-out);
- ``cluster``: PostgreSQL + Redis + a fan-out worker — the app runs with
  ``fanout_in_app=False`` and a `LogWorker` (the loop of ``twitterdesign worker``) relays
  and pushes from a thread of the test process, so whatever reaches a home timeline went
  through the outbox, the Redis stream and the worker;
- ``postgres``: PostgreSQL alone (in-process timelines and fan-out), on request.

A module opts in with ``pytestmark = pytest.mark.all_engines`` (the ``api`` /
``app_factory`` fixtures) or by parametrizing a fixture of its own with `engine_params`
and `engine_settings`. The network variants get a fresh schema (and key prefix) per test
(per module for module-scoped servers), removed afterwards, and are skipped with the
reason when a server is unreachable.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

import pytest

from tests.reference_app.storage._redis import REDIS_URL, delete_prefix, new_prefix, require_redis
from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
    drop_schema,
    new_schema_name,
    require_postgres,
)
from twitterdesign.reference_app import Settings

__all__ = [
    "ENGINES",
    "as_env",
    "database_url_for",
    "engine_params",
    "engine_settings",
    "postgres_url",
    "settle",
]

_KNOWN = ("sqlite", "postgres", "cluster")

ENGINES: tuple[str, ...] = tuple(
    e.strip()
    for e in os.environ.get("TWITTERDESIGN_TEST_ENGINES", "sqlite,cluster").split(",")
    if e.strip()
)
for _engine in ENGINES:
    if _engine not in _KNOWN:
        raise ValueError(f"TWITTERDESIGN_TEST_ENGINES: unknown engine {_engine!r}; use {_KNOWN}")


def engine_params() -> list[Any]:
    """Return one ``pytest.param`` per selected engine, with the engine as its id."""
    return [pytest.param(e, id=e) for e in ENGINES]


def postgres_url(schema: str, *, application_name: str | None = None) -> str:
    """Return the test server's URL with our ``schema=`` (and an ``application_name``)."""
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}schema={schema}"
    if application_name is not None:
        url += f"&application_name={application_name}"
    return url


@contextmanager
def database_url_for(engine: str) -> Iterator[str | None]:
    """Yield a database URL for ``engine`` (None: SQLite in the data directory).

    For PostgreSQL: a fresh schema, dropped on exit; skips when the server is unreachable.
    """
    if engine == "sqlite":
        yield None
        return
    require_postgres()
    schema = new_schema_name()
    try:
        yield postgres_url(schema)
    finally:
        drop_schema(schema)


@contextmanager
def engine_settings(engine: str, **overrides: Any) -> Iterator[dict[str, Any]]:
    """Yield the `Settings` fields that put an app in ``engine``'s mode.

    ``overrides`` are the test's own settings (``fanout_threshold``…): the cluster's
    worker applies the same fan-out policy and timeline sizes as the app.
    """
    if engine != "cluster":
        with database_url_for(engine) as url:
            yield {} if url is None else {"database_url": url}
        return
    with ExitStack() as stack:
        require_redis()
        url = stack.enter_context(database_url_for("postgres"))
        prefix = new_prefix()
        stack.callback(delete_prefix, prefix)
        fields = {
            "database_url": url,
            "cache_url": f"{REDIS_URL}?prefix={prefix}",
            "fanout_in_app": False,
        }
        stack.enter_context(_worker_thread(Settings(**{**overrides, **fields})))
        yield fields


@contextmanager
def _worker_thread(settings: Settings) -> Iterator[None]:
    """Run the loop of ``twitterdesign worker`` on a thread until the block ends."""
    from twitterdesign.reference_app.log import RedisStreamLog
    from twitterdesign.reference_app.services._factory import (
        counters_deferred,
        open_status_counters,
        open_store,
        open_stream_bus,
        open_timeline_store,
        redis_prefix_of,
    )
    from twitterdesign.reference_app.services.counter_worker import CounterWorker
    from twitterdesign.reference_app.services.log_worker import LogWorker
    from twitterdesign.reference_app.services.streaming import publish_applied
    from twitterdesign.timeline import HybridThreshold

    deferred = counters_deferred(settings)
    store = open_store(settings.resolved_database_url, pool_size=2, deferred_counters=deferred)
    status_counters = open_status_counters(settings.resolved_cache_url) if deferred else None
    timelines = open_timeline_store(
        settings.resolved_cache_url,
        capacity=settings.timeline_cache_size,
        inactive_after_s=settings.active_user_window_s,
    )
    rest, prefix = redis_prefix_of(settings.resolved_cache_url)
    log = RedisStreamLog(rest, prefix=prefix)
    worker = LogWorker(
        store,
        timelines,
        log,
        policy=HybridThreshold(settings.fanout_threshold),
        consumer="test-worker",
        block_ms=50,
        counters=(
            CounterWorker(store, status_counters)  # type: ignore[arg-type]
            if status_counters is not None
            else None
        ),
    )
    stream_bus = open_stream_bus(settings.resolved_cache_url)
    worker.consumer.on_entry = publish_applied(stream_bus)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                worker.step()
            except Exception:  # the schema is being dropped, a server restarts: go on
                stop.wait(0.1)

    thread = threading.Thread(target=run, name="test-fanout-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)
        with suppress(Exception):
            worker.relay.release()
        if status_counters is not None:
            status_counters.close()
        stream_bus.close()
        log.close()
        timelines.close()
        store.close()


def settle(services: Any, timeout_s: float = 10.0) -> bool:
    """Wait until every logged event is fanned out (and every counter event applied), by
    the app or by the workers."""
    if services.settings.fanout_in_app:
        return bool(services.timelines.wait_idle(timeout_s))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        unrelayed, undelivered, pending = services.fanout_log_lag()
        idle = unrelayed == undelivered == 0 and not any(pending.values())
        if idle and services.counter_events_waiting() == 0:
            return True
        time.sleep(0.02)
    return False


def as_env(fields: dict[str, Any]) -> dict[str, str]:
    """Return ``fields`` as the ``TWITTERDESIGN_*`` variables a served process reads."""
    return {
        f"TWITTERDESIGN_{name.upper()}": str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for name, value in fields.items()
    }
