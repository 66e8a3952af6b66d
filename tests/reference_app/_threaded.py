"""A real uvicorn server for an in-process app, on a thread, on a free loopback port.

Unlike ``_live.live_server`` (a child process), the app object stays in this process, so a
test can inject a failure into its services and watch what a real HTTP/1.1 server and a
keep-alive client make of it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yield its base URL.

    The server runs the app's lifespan (startup and shutdown) and is stopped, and its
    thread joined, when the block exits.
    """
    # Bind the socket here and hand it over: no window for another process to take the port.
    # Name the protocol: asyncio sets TCP_NODELAY only on sockets whose proto is TCP, and
    # without it Nagle's algorithm meets delayed ACKs and every response waits ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        log_config=None,  # leave the test run's logging configuration alone
        access_log=False,
        lifespan="on",
        timeout_keep_alive=120,  # an idle pause in a test must not close the connection
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn exited before it started")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 30 s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def local_port(response: httpx.Response) -> int | None:
    """Return the client-side port of the connection that carried ``response``, if open.

    Call it from a ``response`` event hook (headers in, body not yet read). Two responses
    with the same local port travelled over the same keep-alive connection; None means
    the client has already dropped the connection (the server closed it).
    """
    sock = response.extensions["network_stream"].get_extra_info("socket")
    if sock is None or sock.fileno() == -1:
        return None
    return int(sock.getsockname()[1])
