"""``serve --workers N`` survives a worker killed under load (supervision and retries).

These start the real front as a child process on a free loopback port; every wait is a
poll with a generous deadline, so a loaded two-core machine only makes them slower.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.reference_app._live import register_user
from tests.reference_app.test_front import _children, _gone_within, _wait_healthy, needs_proc
from twitterdesign.ids import decode
from twitterdesign.reference_app.server import free_port

pytestmark = [pytest.mark.slow, needs_proc]


def _start_front(tmp_path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TWITTERDESIGN_ARGON2_TIME_COST": "1",
        "TWITTERDESIGN_ARGON2_MEMORY_KIB": "8",
    }
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "twitterdesign", "serve", "--workers", "2",
             "--port", str(port), "--data-dir", str(tmp_path / "data"),
             "--no-rate-limits", "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip


def _state(pid: int) -> str | None:
    """The process state letter from /proc (``Z`` for a zombie), None once reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _worker_id(pid: int) -> int:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    for entry in environ:
        if entry.startswith(b"TWITTERDESIGN_WORKER_ID="):
            return int(entry.split(b"=", 1)[1])
    raise AssertionError(f"process {pid} has no TWITTERDESIGN_WORKER_ID")


def test_a_worker_killed_under_load_loses_no_idempotent_request_and_comes_back(
    tmp_path: Path,
) -> None:
    port = free_port()
    log = tmp_path / "front.log"
    proc = _start_front(tmp_path, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base)
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
        with httpx.Client(base_url=base, timeout=30, limits=limits) as c:
            ada = register_user(c, "ada")
            seed = c.post("/api/v1/statuses", headers=ada, json={"status": "seed"}).json()["id"]
            posted: dict[str, tuple[int, int]] = {}  # key -> (worker id, Unix ms) of the id
            failures: list[str] = []

            def one(k: int) -> None:
                try:
                    if k % 3 == 0:
                        key = f"load-{k}"
                        r = c.post(
                            "/api/v1/statuses",
                            headers={**ada, "Idempotency-Key": key},
                            json={"status": f"load {k}"},
                        )
                        if r.status_code == 200:
                            parts = decode(int(r.json()["id"]))
                            posted[key] = (parts.worker_id, parts.timestamp_ms)
                    elif k % 3 == 1:
                        r = c.get(f"/api/v1/statuses/{seed}")
                    else:
                        r = c.get("/api/v1/timelines/public?limit=5")
                    if r.status_code != 200:
                        failures.append(f"request {k}: {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    failures.append(f"request {k}: {type(exc).__name__}: {exc}")

            workers = _children(proc.pid)
            assert len(workers) == 2
            victim = workers[0]
            victim_id = _worker_id(victim)
            with ThreadPoolExecutor(max_workers=8) as pool:
                futures: list[Future[None]] = [pool.submit(one, k) for k in range(300)]
                deadline = time.monotonic() + 60
                while sum(f.done() for f in futures) < 40 and time.monotonic() < deadline:
                    time.sleep(0.01)
                killed_ms = int(time.time() * 1000)
                os.kill(victim, signal.SIGKILL)  # mid-load: requests are in flight on it
                for f in futures:
                    f.result(timeout=120)
                # The load goes on until the restarted worker takes writes again: an id
                # with the victim's worker id, made after the kill.
                k = 300
                deadline = time.monotonic() + 60
                while (victim_id, True) not in {(w, ms > killed_ms) for w, ms in posted.values()}:
                    assert time.monotonic() < deadline, "the killed worker never came back"
                    list(pool.map(one, range(k, k + 12)))
                    k += 12
            assert failures == []
            # Every idempotent POST was applied exactly once, retried or not.
            me = c.get("/api/v1/accounts/verify_credentials", headers=ada).json()
            assert me["statuses_count"] == 1 + len(posted)
            # The dead worker was reaped (no zombie) and replaced by a new process.
            now = _children(proc.pid)
            assert len(now) == 2
            assert victim not in now
            assert _state(victim) is None, f"process {victim} is {_state(victim)!r}, not reaped"
            assert all(_state(pid) not in ("Z", None) for pid in now)
            assert sorted(_worker_id(pid) for pid in now) == [0, 1]
        assert "restart" in log.read_text(errors="replace").lower()
        # Stopping the front still stops every app process, the restarted one included.
        proc.terminate()
        proc.wait(timeout=30)
        assert _gone_within(now, 20), "app processes outlived the front"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
