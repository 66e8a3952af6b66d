"""ServerProcess: a child ``twitterdesign serve`` that the parent starts, polls and stops."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from twitterdesign.errors import TwitterDesignError
from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.server import ServerProcess


def test_a_server_that_exits_at_start_says_why(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ServerProcess(Settings(data_dir=tmp_path, rate_limits_enabled=False), port=port)
        with pytest.raises(TwitterDesignError, match=r"(?i)address already in use"):
            server.start()
    # It was reaped: the exit code is known and no process is left behind.
    assert server.pid is None
    assert server.poll() not in (None, 0)
