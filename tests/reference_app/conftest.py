"""Fixtures for the reference app tests: an in-process app, users and helpers."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.reference_app._engines import ENGINES, as_env, engine_params, engine_settings, settle
from tests.reference_app._entities import check_response
from tests.reference_app._live import live_server
from tests.reference_app.storage_pg._postgres import drop_schema, new_schema_name, require_postgres
from twitterdesign.reference_app import Settings, create_app

FAST = {"argon2_time_cost": 1, "argon2_memory_kib": 8}
_counter = itertools.count()


def openapi_spec() -> dict[str, Any]:
    """The app's OpenAPI document, for the fuzzers (built from a throwaway app).

    Without the event streams (``/api/v1/streaming/<stream>``): their answers never end
    by design, so a fuzzer reading one would wait forever. They are tested in
    test_streaming.py and against served apps; their health check stays in.
    """
    tmp = tempfile.mkdtemp(prefix="td-openapi-")
    try:
        app = create_app(make_settings(Path(tmp)))
        spec = app.openapi()
        app.state.services.store.close()
        spec["paths"] = {
            path: item
            for path, item in spec["paths"].items()
            if not path.startswith("/api/v1/streaming/") or path.endswith("/health")
        }
        return spec
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for tests: fast password hashing, no rate limits unless asked."""
    values: dict[str, Any] = {"data_dir": data_dir, "rate_limits_enabled": False, **FAST}
    values.update(overrides)
    return Settings(**values)


@dataclass
class User:
    """A registered test user with a bearer token."""

    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """A TestClient plus helpers to register apps and users."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        reply = client.post(
            "/api/v1/apps",
            data={
                "client_name": "tests",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write follow push",
            },
        )
        assert reply.status_code == 200, reply.text
        self.app = reply.json()
        tok = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.app["client_id"],
                "client_secret": self.app["client_secret"],
                "scope": "read write follow push",
            },
        )
        assert tok.status_code == 200, tok.text
        self.app_token = tok.json()["access_token"]

    def register(self, username: str | None = None, password: str = "correct horse") -> User:
        name = username or f"user{next(_counter)}"
        reply = self.client.post(
            "/api/v1/accounts",
            headers={"Authorization": f"Bearer {self.app_token}"},
            data={
                "username": name,
                "email": f"{name}@example.org",
                "password": password,
                "agreement": "true",
            },
        )
        assert reply.status_code == 200, reply.text
        token = reply.json()["access_token"]
        me = self.client.get(
            "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
        )
        assert me.status_code == 200, me.text
        return User(me.json()["id"], name, token)

    def post(self, user: User, text: str, **fields: Any) -> dict[str, Any]:
        reply = self.client.post(
            "/api/v1/statuses", headers=user.headers, json={"status": text, **fields}
        )
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def follow(self, a: User, b: User) -> None:
        reply = self.client.post(f"/api/v1/accounts/{b.id}/follow", headers=a.headers)
        assert reply.status_code == 200, reply.text

    def settle(self) -> None:
        """Wait until the fan-out (in the app, or the cluster's worker) delivered everything."""
        assert settle(self.client.app.state.services)  # type: ignore[attr-defined]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "all_engines: run the module's app fixtures on every engine of "
        "TWITTERDESIGN_TEST_ENGINES (sqlite, cluster; postgres on request), not only SQLite",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Only modules marked all_engines run twice; every other test keeps SQLite (and its id).
    if "engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("all_engines"):
        metafunc.parametrize("engine", list(ENGINES), indirect=True, ids=list(ENGINES))


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The database engine of this test's apps: "sqlite" unless the module runs all."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def app_factory(tmp_path: Path, engine: str) -> Iterator[Callable[..., Api]]:
    """Build apps; on PostgreSQL each data directory gets a schema of its own.

    Building twice with the same ``data_dir`` reopens the same database (a restart), on
    either engine.
    """
    clients: list[TestClient] = []
    with contextlib.ExitStack() as stack:
        modes: dict[Path, dict[str, Any]] = {}

        def build(**overrides: Any) -> Api:
            data_dir = Path(overrides.pop("data_dir", tmp_path / f"data{len(clients)}"))
            if "database_url" not in overrides:
                if data_dir not in modes:
                    modes[data_dir] = stack.enter_context(
                        engine_settings(engine, data_dir=data_dir, **overrides)
                    )
                overrides = {**overrides, **modes[data_dir]}
            client = TestClient(create_app(make_settings(data_dir, **overrides)))
            # Every body the tests read is checked against Mastodon's documented entity.
            client.event_hooks = {"request": [], "response": [check_response]}
            client.__enter__()
            clients.append(client)
            return Api(client)

        try:
            yield build
        finally:
            for client in clients:
                client.__exit__(None, None, None)


@pytest.fixture
def api(app_factory: Callable[..., Api]) -> Api:
    return app_factory()


@pytest.fixture(scope="module", params=engine_params())
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A real ``twitterdesign serve`` on loopback in each storage mode (embedded SQLite,
    and the cluster's PostgreSQL + Redis + worker), shared by a module's client tests.

    A module's ``SERVER_ENV`` (a dict of ``TWITTERDESIGN_*`` variables), if it has one,
    is added to the server's environment (the web client's module turns the debug API on).
    """
    extra = dict(getattr(request.module, "SERVER_ENV", {}))
    with (
        engine_settings(request.param) as mode,
        live_server(tmp_path_factory.mktemp("live-server"), **as_env(mode), **extra) as url,
    ):
        yield url


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of the test's own; every key under it is deleted afterwards.

    Skips, naming the URL, where the test Redis cannot be reached.
    """
    from tests.reference_app.storage._redis import delete_prefix, new_prefix, require_redis

    require_redis()
    p = new_prefix()
    yield p
    delete_prefix(p)


@pytest.fixture
def schema() -> Iterator[str]:
    """A fresh PostgreSQL schema name, dropped after the test (skips without PostgreSQL)."""
    require_postgres()
    name = new_schema_name()
    yield name
    drop_schema(name)
