"""Where store calls run: on the event loop for SQLite, in the thread pool for PostgreSQL.

A store wrapper records the thread of every call; an ASGI wrapper records the event
loop's thread. ``blocking_io`` is the only difference between the two modes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from tests.reference_app.conftest import Api, make_settings
from twitterdesign.reference_app import create_app
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.storage import SQLiteStore

_BACKGROUND = ("twitterdesign-fanout", "twitterdesign-trends")


class RecordingStore:
    """Forward every call to a real store, noting the thread that made it."""

    def __init__(self, store: SQLiteStore, *, blocking_io: bool) -> None:
        self._store = store
        self.blocking_io = blocking_io
        self.recording = False
        self.threads: list[tuple[int, str, str]] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            thread = threading.current_thread()
            if self.recording and thread.name not in _BACKGROUND:
                self.threads.append((threading.get_ident(), thread.name, name))
            return target(*args, **kwargs)

        return call


class LoopRecorder:
    """An ASGI wrapper noting the event loop's thread (every request passes it)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state  # what Api.settle reads
        self.loop_threads: set[int] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.loop_threads.add(threading.get_ident())
        await self.app(scope, receive, send)


def _serve(
    tmp_path: Path, *, blocking_io: bool, **overrides: Any
) -> tuple[TestClient, RecordingStore, LoopRecorder]:
    settings = make_settings(tmp_path, **overrides)
    store = RecordingStore(SQLiteStore(tmp_path / "db.sqlite3"), blocking_io=blocking_io)
    services = Services(settings, store=store)  # type: ignore[arg-type]
    recorder = LoopRecorder(create_app(settings, services=services))
    return TestClient(recorder), store, recorder


def _read_requests(api: Api) -> Callable[[], None]:
    ada = api.register("ada")
    bob = api.register("bob")
    api.follow(bob, ada)
    status = api.post(ada, "hello #loop")
    api.settle()

    def run() -> None:
        for path in (
            "/api/v1/timelines/home",
            "/api/v1/timelines/public",
            f"/api/v1/statuses/{status['id']}",
            f"/api/v1/statuses/{status['id']}/context",
            "/api/v2/search?q=hello",
            f"/api/v1/accounts/{ada.id}/statuses",
            "/api/v1/accounts/verify_credentials",
        ):
            reply = api.client.get(path, headers=bob.headers)
            assert reply.status_code == 200, (path, reply.text)

    return run


@pytest.fixture(params=[False, True], ids=["limits-off", "limits-on"])
def rate_limits(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_embedded_store_reads_run_on_the_event_loop(tmp_path: Path, rate_limits: bool) -> None:
    client, store, recorder = _serve(tmp_path, blocking_io=False, rate_limits_enabled=rate_limits)
    with client:
        requests = _read_requests(Api(client))
        store.recording = True
        requests()
        store.recording = False
    assert store.threads, "the reads made no store calls"
    off_loop = [
        (name, call) for ident, name, call in store.threads if ident not in recorder.loop_threads
    ]
    assert off_loop == []  # no thread hop at all: every call on the loop


def test_network_store_reads_run_in_the_thread_pool(tmp_path: Path, rate_limits: bool) -> None:
    client, store, recorder = _serve(tmp_path, blocking_io=True, rate_limits_enabled=rate_limits)
    with client:
        requests = _read_requests(Api(client))
        store.recording = True
        requests()
        store.recording = False
    assert store.threads, "the reads made no store calls"
    on_loop = [call for ident, _, call in store.threads if ident in recorder.loop_threads]
    assert on_loop == []  # not even the bearer-token lookup blocks the loop
    assert {"get_token", "get_statuses"} <= {call for _, _, call in store.threads}


def test_blocking_io_comes_from_the_engine(tmp_path: Path) -> None:
    services = Services(make_settings(tmp_path))
    try:
        assert services.blocking_io is False  # SQLite
    finally:
        services.store.close()
        services.timeline_store.close()


def _thread_tokens(client: TestClient) -> float:
    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert client.portal is not None
    return client.portal.call(tokens)


def test_thread_limiter_is_sized_to_the_pool_for_network_stores(tmp_path: Path) -> None:
    client, _, _ = _serve(tmp_path, blocking_io=True, database_pool_size=7)
    with client:
        assert _thread_tokens(client) == 7


def test_thread_limiter_is_left_alone_for_embedded_stores(tmp_path: Path) -> None:
    client, _, _ = _serve(tmp_path, blocking_io=False, database_pool_size=7)
    with client:
        assert _thread_tokens(client) == 40  # anyio's default
