"""Local HTTP backends for the transport tests (127.0.0.1, free ports, stopped by fixtures)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Backend:
    """One local server; ``delay_s``, ``status`` and ``drop`` can be changed while it runs.

    With ``drop`` set it reads each request and closes the connection without an answer,
    as a server process killed mid-request does.
    """

    name: str
    delay_s: float = 0.0
    status: int = 200
    drop: bool = False
    hits: int = 0
    bodies: list[bytes] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _handler(backend: Backend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            with backend.lock:
                backend.hits += 1
            length = int(self.headers.get("Content-Length") or 0)
            body_in = self.rfile.read(length) if length else b""
            with backend.lock:
                backend.bodies.append(body_in)
            if backend.drop:
                self.close_connection = True
                return
            if backend.delay_s:
                time.sleep(backend.delay_s)
            body = f"{backend.name} {self.command} {self.path} {body_in.decode()}".encode()
            self.send_response(backend.status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Backend", backend.name)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def start_backend(name: str, **kwargs: float) -> Backend:
    backend = Backend(name, **kwargs)  # type: ignore[arg-type]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(backend))
    server.daemon_threads = True
    backend.server = server
    backend.thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    backend.thread.start()
    return backend


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    """Three running local backends named b0, b1, b2."""
    started = [start_backend(f"b{i}") for i in range(3)]
    yield started
    for b in started:
        b.stop()
