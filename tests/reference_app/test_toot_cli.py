"""The ``toot`` command-line client, unchanged, against a live server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.reference_app._engines import as_env, engine_params, engine_settings
from tests.reference_app._live import live_server, register_user

pexpect = pytest.importorskip("pexpect")
pytest.importorskip("toot")

pytestmark = pytest.mark.slow


def _register(url: str, name: str, password: str) -> str:
    """Register ``name`` through the public API; return a user token for it."""
    with httpx.Client(base_url=url, timeout=30) as client:
        header = register_user(client, name, password=password)
    return header["Authorization"].removeprefix("Bearer ")


@pytest.mark.parametrize("engine", engine_params())
def test_toot_login_post_and_read_timeline(tmp_path: Path, engine: str) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1"}
    with (
        engine_settings(engine) as mode,
        live_server(tmp_path / "data", **as_env(mode)) as url,
    ):
        _register(url, "tooter", "toot password 1")
        # Log in interactively: toot prompts for the password, as a user would type it.
        login = pexpect.spawn(
            sys.executable,
            ["-m", "toot", "login_cli", "--instance", url, "--email", "tooter@example.org"],
            env=env,
            encoding="utf-8",
            timeout=60,
        )
        login.expect("Password")
        login.sendline("toot password 1")
        login.expect("Successfully logged in")
        login.expect(pexpect.EOF)
        login.close()
        assert login.exitstatus == 0

        def toot(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "toot", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        posted = toot("post", "Hello from toot #cli")
        assert "Toot posted" in posted
        status_id = posted.strip().rsplit("/", 1)[1]
        timeline = toot("timeline", "--once")
        assert "Hello from toot #cli" in timeline
        assert status_id in timeline
