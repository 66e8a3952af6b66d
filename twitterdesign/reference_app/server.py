"""Run the app with uvicorn, in this process or as a child process on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from twitterdesign.errors import TwitterDesignError
from twitterdesign.reference_app.settings import Settings

__all__ = ["PARENT_PID_ENV", "ChildProcess", "ServerProcess", "free_port", "run_server", "stop_all"]

SHUTDOWN_GRACE_S = 5
"""Seconds a stopping server gives requests in flight before it closes them."""

PARENT_PID_ENV = "TWITTERDESIGN_PARENT_PID"
"""Set by `ServerProcess` in its child: the child stops when that parent is gone."""


def _watch_parent(parent_pid: int, *, interval_s: float = 0.5) -> None:
    """Send ourselves SIGTERM once ``parent_pid`` is no longer our parent.

    A child server must not outlive the process that started it, even when that process
    is killed with SIGKILL and cannot stop its children (re-parenting changes getppid()).
    """
    import signal
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def run_server(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
    access_log: bool = False,
) -> None:
    """Serve the app in this process until interrupted (blocking).

    Args:
        settings: The app's settings (data directory and limits).
        host: Interface to bind; loopback by default.
        port: TCP port.
        log_level: uvicorn's log level.
        access_log: Whether uvicorn logs every request.
    """
    import uvicorn

    from twitterdesign.reference_app.api.app import create_app

    parent = os.environ.get(PARENT_PID_ENV, "")
    if parent.isascii() and parent.isdigit():
        _watch_parent(int(parent))
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        proxy_headers=settings.trust_forwarded_for,
        forwarded_allow_ips="127.0.0.1",
        # Open streams (SSE, websockets) never end by themselves: give requests in flight
        # this long at shutdown, then close what is left, so a stop never hangs.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free on ``host`` a moment ago.

    Examples:
        >>> 1024 <= free_port() <= 65535
        True
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ChildProcess:
    """A ``twitterdesign`` command as a child process: started on enter, stopped on exit.

    The child gets the settings through ``TWITTERDESIGN_*`` variables (so it is the same
    command a user runs by hand) and stops by itself when this process is gone. On exit
    it is sent SIGTERM (a clean shutdown) and killed if it does not stop in time.
    Subclasses say which command runs (`argv`) and when it is ready (`is_ready`).

    Args:
        settings: The app's settings.
        startup_timeout_s: How long `start` waits for the child to be ready.
    """

    def __init__(self, settings: Settings, *, startup_timeout_s: float = 30.0) -> None:
        self.settings = settings
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self._exit_code: int | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Where the child serves (empty for a child that serves nothing)."""
        return ""

    @property
    def pid(self) -> int | None:
        """The child's process id, None before `start` and after `stop`."""
        return self.process.pid if self.process is not None else None

    def argv(self) -> list[str]:
        """The ``twitterdesign`` command line (after ``python -m twitterdesign``)."""
        raise NotImplementedError

    def is_ready(self) -> bool:
        """Return whether the child is ready now."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the child and wait until it is ready."""
        self.spawn()
        deadline = time.monotonic() + self.startup_timeout_s
        name = " ".join(self.argv()[:1])
        while True:
            if self.poll() is not None:
                err = self.log_text()
                self.stop()
                raise TwitterDesignError(
                    f"the {name} process exited at start: {err.strip()[-500:]}"
                )
            if self.is_ready():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise TwitterDesignError(
                    f"the {name} process was not ready within {self.startup_timeout_s:g} s"
                )
            time.sleep(0.1)

    def spawn(self) -> None:
        """Start the child without waiting for it (see `is_ready`)."""
        env = {**os.environ, **self.settings.to_env(), PARENT_PID_ENV: str(os.getpid())}
        # A file, not a pipe: a pipe nobody reads would block the child once full.
        self._log = tempfile.NamedTemporaryFile(prefix="twitterdesign-child-", suffix=".log")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "twitterdesign", *self.argv()],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    def poll(self) -> int | None:
        """Return the child's exit code if it has ended (and reap it), else None.

        After `stop`, the code it ended with; None if it was never started.
        """
        return self.process.poll() if self.process is not None else self._exit_code

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the child (SIGTERM, then SIGKILL after ``timeout_s``)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
        self._reap(timeout_s)

    def _reap(self, timeout_s: float) -> None:
        """Wait for a child already sent SIGTERM; kill it after ``timeout_s``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._exit_code = self.process.returncode
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def terminate(self) -> None:
        """Send SIGTERM without waiting (see `stop_all`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def log_text(self) -> str:
        """Return what the child wrote on stderr so far."""
        if self._log is None:
            return ""
        with open(self._log.name, "rb") as fh:
            return fh.read().decode(errors="replace")

    def kill(self) -> None:
        """Kill the child at once with SIGKILL (no shutdown: a crash, for crash tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def wait(self) -> int:
        """Block until the child exits (e.g. after Ctrl-C); return its exit code."""
        if self.process is None:
            return 0
        return self.process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerProcess(ChildProcess):
    """``twitterdesign serve`` as a child process on a free port: started on enter,
    stopped on exit.

    The child gets the settings through ``TWITTERDESIGN_*`` variables, so it is the same
    server a user runs by hand. On exit it is sent SIGTERM (uvicorn shuts down cleanly:
    the fan-out queue drains, counters flush) and killed if it does not stop in time.

    Args:
        settings: The app's settings.
        host: Interface to bind.
        port: TCP port; a free one when None.
        startup_timeout_s: How long to wait for ``/healthz`` to answer.

    Raises:
        TwitterDesignError: If the server exits or does not answer in time.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout_s: float = 30.0,
    ) -> None:
        super().__init__(settings, startup_timeout_s=startup_timeout_s)
        self.host = host
        self.port = port if port is not None else free_port(host)

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the server."""
        return f"http://{self.host}:{self.port}"

    def argv(self) -> list[str]:
        """``serve`` on this host and port."""
        return ["serve", "--host", self.host, "--port", str(self.port), "--log-level", "warning"]

    def is_ready(self, timeout_s: float = 1.0) -> bool:
        """Return whether the child answers ``/healthz`` with 200 within ``timeout_s``."""
        import httpx

        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=timeout_s).status_code == 200
        except httpx.HTTPError:
            return False


def stop_all(servers: Sequence[ChildProcess], timeout_s: float = 15.0) -> None:
    """Stop several child servers in parallel: SIGTERM to all, then wait for each.

    Shutting them down one after another would take up to ``len(servers) × timeout_s``.
    """
    for server in servers:
        server.terminate()
    deadline = time.monotonic() + timeout_s
    for server in servers:
        server._reap(max(0.0, deadline - time.monotonic()))
