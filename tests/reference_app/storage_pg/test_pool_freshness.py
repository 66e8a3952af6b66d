"""The pool pings a connection on checkout only when it has been idle for a while."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from twitterdesign.reference_app.storage.postgres._connection import FRESH_S, _FreshnessCheck


class _Conn:
    """Stands for a pooled connection (the check only keys on it)."""


def test_a_connection_just_returned_is_not_pinged_an_idle_one_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pinged: list[Any] = []
    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(pinged.append))
    now = [100.0]
    check = _FreshnessCheck(clock=lambda: now[0])
    fresh, idle, new = _Conn(), _Conn(), _Conn()
    check.returned(idle)  # type: ignore[arg-type]
    now[0] += FRESH_S + 0.5
    check.returned(fresh)  # type: ignore[arg-type]
    now[0] += FRESH_S / 2
    for conn in (fresh, idle, new):
        check.check(conn)  # type: ignore[arg-type]
    assert pinged == [idle, new]  # the one never returned yet is pinged too


def test_a_failed_ping_is_raised_so_the_pool_replaces_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def dead(conn: Any) -> None:
        raise ConnectionError("server closed the connection")

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(dead))
    with pytest.raises(ConnectionError):
        _FreshnessCheck().check(_Conn())  # type: ignore[arg-type]
