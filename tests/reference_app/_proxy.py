"""A loopback TCP proxy a test can cut and restore: a database or cache "goes away".

The app under test is pointed at the proxy's port instead of the server's. `TcpProxy.cut`
drops every open connection (both sides closed at once, as when a server dies or a
network partition heals with resets) and from then on closes each new connection as soon
as it is accepted, so a client sees "connection closed" at once rather than a timeout;
`TcpProxy.restore` forwards again. The listening socket stays bound throughout, so the
port can never be taken by another process in between.

Only the test's own connections go through it: other tests sharing the same PostgreSQL
or Redis server are not disturbed (unlike ``CLIENT PAUSE`` or a server restart).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

__all__ = ["TcpProxy"]

_CHUNK = 65_536


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_host:target_port`` on threads.

    Args:
        target_host: The real server's host.
        target_port: The real server's port.

    Examples:
        >>> with TcpProxy("127.0.0.1", 9) as proxy:
        ...     proxy.port > 0
        True
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._up = True
        self._closed = False
        self.accepted = 0
        self.refused = 0
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    @property
    def is_up(self) -> bool:
        """Whether new connections are forwarded."""
        return self._up

    def cut(self) -> int:
        """Drop every forwarded connection and refuse new ones; return how many were open."""
        with self._lock:
            self._up = False
            sockets = list(self._open)
            self._open.clear()
        for sock in sockets:
            _hard_close(sock)
        return len(sockets) // 2

    def restore(self) -> None:
        """Forward new connections again."""
        with self._lock:
            self._up = True

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                up = self._up
            if not up:
                self.refused += 1
                _hard_close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _hard_close(client)
                continue
            with self._lock:
                if not self._up:  # cut while connecting
                    _hard_close(client)
                    _hard_close(upstream)
                    continue
                self._open.update((client, upstream))
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(_CHUNK)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._open.discard(src)
            self._open.discard(dst)
        _hard_close(src)
        _hard_close(dst)


def _hard_close(sock: socket.socket) -> None:
    """Close at once, with a reset (SO_LINGER 0), as a dead server's kernel would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
