"""``twitterdesign serve --workers 2``: a balancing front over two app processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from twitterdesign.ids import decode
from twitterdesign.reference_app.server import free_port

pytestmark = pytest.mark.slow


def _start_front(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TWITTERDESIGN_ARGON2_TIME_COST": "1",
        "TWITTERDESIGN_ARGON2_MEMORY_KIB": "8",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twitterdesign",
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
            "--no-rate-limits",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_healthy(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{base} never answered /healthz")


def _children(pid: int) -> list[int]:
    # Per thread: a worker restarted by the supervisor thread is that thread's child.
    return sorted(
        int(p)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for p in (task / "children").read_text().split()
    )


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p}").exists() for p in pids):
            return True
        time.sleep(0.1)
    return False


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="reads child pids from Linux /proc"
)


def test_two_workers_behind_the_front_behave_as_one_server(tmp_path: Path) -> None:
    port = free_port()
    proc = _start_front(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base)
        with httpx.Client(base_url=base, timeout=20) as c:
            app = c.post("/api/v1/apps", data={"client_name": "t", "scopes": "read write follow"})
            creds = app.json()
            app_token = c.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                    "scope": "read write follow",
                },
            ).json()["access_token"]

            def register(name: str) -> tuple[str, dict[str, str]]:
                tok = c.post(
                    "/api/v1/accounts",
                    headers={"Authorization": f"Bearer {app_token}"},
                    data={"username": name, "email": f"{name}@x.org", "password": "front test pw"},
                ).json()["access_token"]
                h = {"Authorization": f"Bearer {tok}"}
                return c.get("/api/v1/accounts/verify_credentials", headers=h).json()["id"], h

            ada_id, ada = register("ada")
            _, bob = register("bob")
            assert c.post(f"/api/v1/accounts/{ada_id}/follow", headers=bob).status_code == 200
            c.get("/api/v1/timelines/home", headers=bob)  # bob becomes active everywhere he reads
            posted = [
                c.post("/api/v1/statuses", headers=ada, json={"status": f"p{i}"}).json()["id"]
                for i in range(12)
            ]
            # Both processes took writes: ids carry both worker ids.
            assert {decode(int(i)).worker_id for i in posted} == {0, 1}
            # Whichever process serves bob, his home timeline has every post.
            expected = posted[::-1]
            for _ in range(6):
                deadline = time.monotonic() + 5
                while True:
                    home = [
                        s["id"]
                        for s in c.get("/api/v1/timelines/home?limit=40", headers=bob).json()
                    ]
                    if home == expected or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                assert home == expected
            # Links in responses point at the front, not at a backend.
            status = c.get(f"/api/v1/statuses/{posted[0]}").json()
            assert status["url"].startswith(base)
            assert c.get("/api/v1/statuses/123").json() == {"error": "Record not found"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@needs_proc
@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_stopping_the_front_never_orphans_app_processes(tmp_path: Path, how: str) -> None:
    # SIGTERM: the front stops its app processes before it exits. SIGKILL: it cannot, so
    # each app process notices its parent is gone and stops by itself.
    port = free_port()
    proc = _start_front(tmp_path, port)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}")
        workers = _children(proc.pid)
        assert len(workers) == 2
        if how == "sigterm":
            proc.terminate()
        else:
            proc.kill()
        proc.wait(timeout=30)
        assert _gone_within(workers, 20), "app processes outlived the front"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
