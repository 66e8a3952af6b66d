"""Crash safety: SIGKILL the server mid-write-load, restart, and nothing acknowledged is lost.

On each mode: embedded SQLite (WAL, synchronous=FULL), and the cluster (PostgreSQL + Redis + a
fan-out worker).

Half the posts carry an image uploaded just before, so a retry after the crash also checks
that an ``Idempotency-Key`` answers the first status although its media are attached by now.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reference_app._engines import engine_params, engine_settings
from tests.reference_app._images import png
from tests.reference_app._live import register_user
from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.server import ServerProcess
from twitterdesign.reference_app.services import open_store

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("engine", engine_params())
def test_sigkill_mid_load_loses_no_acknowledged_post(tmp_path: Path, engine: str) -> None:
    with engine_settings(engine) as mode:
        settings = Settings(
            data_dir=tmp_path,
            **mode,
            rate_limits_enabled=False,
            argon2_time_cost=1,
            argon2_memory_kib=8,
        )  # synchronous=FULL, the default
        _crash_and_check(settings)


def _crash_and_check(settings: Settings) -> None:
    acked: dict[str, str] = {}  # idempotency key -> status id, for every 2xx
    attempted: dict[str, dict[str, Any]] = {}  # idempotency key -> the body sent
    lock = threading.Lock()
    stop = threading.Event()

    server = ServerProcess(settings)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as setup:
            headers = register_user(setup, "writer")

        def writer(w: int) -> None:
            with httpx.Client(base_url=server.base_url, timeout=5.0) as client:
                i = 0
                while not stop.is_set():
                    key = f"w{w}-{i}"
                    i += 1
                    body: dict[str, Any] = {"status": f"post {key}"}
                    try:
                        if i % 2:  # every other post carries an image
                            up = client.post(
                                "/api/v2/media",
                                headers=headers,
                                files={"file": ("p.png", png(1 + i % 7, 1 + w), "image/png")},
                            )
                            if up.status_code != 200:
                                return
                            body["media_ids"] = [up.json()["id"]]
                        with lock:
                            attempted[key] = body
                        reply = client.post(
                            "/api/v1/statuses",
                            json=body,
                            headers={**headers, "Idempotency-Key": key},
                        )
                    except httpx.HTTPError:
                        return  # the server died under us
                    if reply.status_code == 200:
                        with lock:
                            acked[key] = reply.json()["id"]

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        # Let a real write load build up, then crash the server in the middle of it.
        for _ in range(200):
            with lock:
                if len(acked) >= 60:
                    break
            stop.wait(0.05)
        server.kill()
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        server.stop()
    assert len(acked) >= 1

    # Before the restart: the database exactly as the crash left it.
    store = open_store(settings.resolved_database_url)
    try:
        assert store.integrity_ok()
    finally:
        store.close()

    with (
        ServerProcess(settings) as restarted,
        httpx.Client(base_url=restarted.base_url, timeout=10.0) as client,
    ):
        # Every acknowledged post is there.
        for key, sid in acked.items():
            got = client.get(f"/api/v1/statuses/{sid}", headers=headers)
            assert got.status_code == 200, key
            assert got.json()["content"] == f"<p>post {key}</p>"
            media = [m["id"] for m in got.json()["media_attachments"]]
            assert media == attempted[key].get("media_ids", [])
        assert any("media_ids" in attempted[key] for key in acked)
        # Retrying every attempted key creates no duplicates: each key is one status,
        # with its media, even when the first attempt attached them before the crash.
        ids = {}
        for key, body in attempted.items():
            reply = client.post(
                "/api/v1/statuses", json=body, headers={**headers, "Idempotency-Key": key}
            )
            assert reply.status_code == 200, (key, reply.text)
            ids[key] = reply.json()["id"]
            assert [m["id"] for m in reply.json()["media_attachments"]] == body.get("media_ids", [])
            if key in acked:
                assert ids[key] == acked[key]
        me = client.get("/api/v1/accounts/verify_credentials", headers=headers).json()
        assert me["statuses_count"] == len(attempted) == len(set(ids.values()))
