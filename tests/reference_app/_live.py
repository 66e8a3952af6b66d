"""A live server on 127.0.0.1 (a real ``twitterdesign serve`` process) for client tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def register_user(
    client: httpx.Client,
    username: str,
    *,
    scopes: str = "read write",
    password: str = "live test password",
) -> dict[str, str]:
    """Register an app and a user through the public API; return the user's auth header.

    ``client`` has the server's ``base_url``; the app gets ``scopes`` and so does the
    user's token.
    """
    creds = client.post("/api/v1/apps", data={"client_name": "t", "scopes": scopes}).json()
    app_token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scope": scopes,
        },
    ).json()["access_token"]
    token = client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {app_token}"},
        data={"username": username, "email": f"{username}@example.org", "password": password},
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Poll ``condition`` every 50 ms; fail the test naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(data_dir: Path, **env: str) -> Iterator[str]:
    """Run ``twitterdesign serve`` on a free loopback port; yield its base URL."""
    port = free_port()
    environ = {
        **os.environ,
        "TWITTERDESIGN_ARGON2_TIME_COST": "1",
        "TWITTERDESIGN_ARGON2_MEMORY_KIB": "8",
        "TWITTERDESIGN_VIEW_FLUSH_INTERVAL_S": "0.2",
        **env,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twitterdesign",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--no-rate-limits",
            "--log-level",
            "warning",
        ],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 30 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
