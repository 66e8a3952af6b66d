"""``toot`` (0.5x), unchanged, against a live server: bookmarks, lists and their timeline,
followed tags — in both storage modes."""

from __future__ import annotations

import json
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

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _register(url: str, name: str, password: str) -> str:
    """Register ``name`` through the public API; return a user token for it."""
    with httpx.Client(base_url=url, timeout=30) as client:
        header = register_user(client, name, password=password)
    return header["Authorization"].removeprefix("Bearer ")


def _login(url: str, env: dict[str, str], email: str, password: str) -> None:
    login = pexpect.spawn(
        sys.executable,
        ["-m", "toot", "login_cli", "--instance", url, "--email", email],
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    login.expect("Password")
    login.sendline(password)
    login.expect("Successfully logged in")
    login.expect(pexpect.EOF)
    login.close()
    assert login.exitstatus == 0


@pytest.mark.parametrize("engine", engine_params())
def test_toot_bookmarks_lists_and_tags(tmp_path: Path, engine: str) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1"}
    with engine_settings(engine) as mode, live_server(tmp_path / "data", **as_env(mode)) as url:
        _register(url, "tooter", "toot password 1")
        friend = _register(url, "friend", "toot password 2")
        _login(url, env, "tooter@example.org", "toot password 1")

        def toot(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "toot", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr + done.stdout
            return done.stdout

        def friend_posts(text: str) -> str:
            reply = httpx.post(
                f"{url}/api/v1/statuses",
                headers={"Authorization": f"Bearer {friend}"},
                data={"status": text},
            )
            assert reply.status_code == 200, reply.text
            return str(reply.json()["id"])

        toot("follow", "friend")
        toot("lists", "create", "pals")
        toot("lists", "add", "pals", "friend")
        assert "friend" in toot("lists", "accounts", "pals")
        listed = friend_posts("seen in the pals list")
        timeline = toot("timelines", "list", "pals", "--no-pager", "--no-clear")
        assert "seen in the pals list" in timeline
        assert listed in timeline

        marked = json.loads(toot("bookmark", listed, "--json"))
        assert (marked["id"], marked["bookmarked"]) == (listed, True)
        assert "seen in the pals list" in toot("bookmarks", "--once")
        unmarked = json.loads(toot("unbookmark", listed, "--json"))
        assert unmarked["bookmarked"] is False
        assert "seen in the pals list" not in toot("bookmarks", "--once")

        toot("tags", "follow", "python")
        assert "python" in toot("tags", "followed")
        toot("tags", "unfollow", "python")
        assert "python" not in toot("tags", "followed")
