"""The token cache: a hit saves a database round trip, a revoke is never ignored for long.

Unit and model-based property tests of `TokenCache`, then the app: in the cluster mode
(two app instances over one PostgreSQL and Redis) a token revoked through one instance
stops working on the other and ends its streams; the embedded mode never caches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from tests.reference_app._live import wait_until
from tests.reference_app.conftest import Api
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.services.accounts import hash_secret
from twitterdesign.reference_app.services.token_cache import TokenCache, token_key
from twitterdesign.reference_app.storage import TokenRecord

pytestmark = [pytest.mark.all_engines, pytest.mark.timeout(120)]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _record(i: int) -> TokenRecord:
    return TokenRecord(hash_secret(f"token-{i}"), None, i, "read", 0)


# --- the cache alone -------------------------------------------------------------------
def test_an_answer_is_trusted_for_ttl_seconds_then_looked_up_again() -> None:
    clock = FakeClock()
    cache = TokenCache(ttl_s=30, clock=clock)
    rec = _record(1)
    cache.put(rec.token_hash, rec)
    clock.now += 29.9
    assert cache.get(rec.token_hash) == rec
    clock.now += 0.1
    assert cache.get(rec.token_hash) is None
    assert len(cache) == 0


def test_the_least_recently_used_token_goes_first() -> None:
    cache = TokenCache(ttl_s=30, max_entries=2)
    a, b, c = _record(1), _record(2), _record(3)
    cache.put(a.token_hash, a)
    cache.put(b.token_hash, b)
    assert cache.get(a.token_hash) == a  # a is now the most recent
    cache.put(c.token_hash, c)
    assert cache.get(b.token_hash) is None
    assert cache.get(a.token_hash) == a
    assert cache.get(c.token_hash) == c


def test_ttl_zero_caches_nothing_and_bad_settings_are_named() -> None:
    cache = TokenCache(ttl_s=0)
    rec = _record(1)
    cache.put(rec.token_hash, rec)
    assert cache.get(rec.token_hash) is None
    with pytest.raises(InvalidParameterError, match="ttl_s"):
        TokenCache(ttl_s=-1)
    with pytest.raises(InvalidParameterError, match="max_entries"):
        TokenCache(max_entries=0)


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 5)),
        st.tuples(st.just("get"), st.integers(0, 5)),
        st.tuples(st.just("revoke"), st.integers(0, 5)),
        st.tuples(st.just("wait"), st.floats(0, 20)),
    ),
    max_size=60,
)


@given(ops=_ops, max_entries=st.integers(1, 8))
@settings(max_examples=300, deadline=None)
def test_a_revoked_or_expired_token_is_never_answered_from_the_cache(
    ops: list[tuple[str, float]], max_entries: int
) -> None:
    """Model: what was put, when; what was revoked since. The cache may forget early
    (eviction) but never answers for a token revoked or expired since its last put."""
    clock = FakeClock()
    cache = TokenCache(ttl_s=10, max_entries=max_entries, clock=clock)
    put_at: dict[int, float] = {}
    for op, arg in ops:
        i = int(arg)
        rec = _record(i)
        if op == "put":
            cache.put(rec.token_hash, rec)
            put_at[i] = clock.now
        elif op == "revoke":
            cache.discard_key(token_key(rec.token_hash))
            put_at.pop(i, None)
        elif op == "wait":
            clock.now += arg
        else:
            got = cache.get(rec.token_hash)
            live = i in put_at and clock.now < put_at[i] + 10
            if got is not None:
                assert live
                assert got == rec
            elif live and max_entries >= 6:  # nothing can have been evicted
                raise AssertionError(f"token {i} was forgotten while live")
        assert len(cache) <= max_entries


# --- the app -----------------------------------------------------------------------------
def _revoke(api: Api, token: str) -> None:
    reply = api.client.post(
        "/oauth/revoke",
        data={
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "token": token,
        },
    )
    assert reply.status_code == 200, reply.text


def _me(api: Api, token: str) -> int:
    return api.client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    ).status_code


def test_a_revoked_token_stops_working_on_every_instance_and_its_streams_end(
    app_factory: Callable[..., Api], engine: str, tmp_path: Path
) -> None:
    one = app_factory(data_dir=tmp_path / "shared")
    other = app_factory(data_dir=tmp_path / "shared")  # the same database (and Redis)
    user = one.register()
    cache = other.client.app.state.services.accounts.token_cache  # type: ignore[attr-defined]
    if engine == "sqlite":
        assert cache is None  # in-process bus: a revoke could not reach other processes
    else:
        assert _me(other, user.token) == 200
        hits = cache.hits
        assert _me(other, user.token) == 200
        assert cache.hits > hits  # answered from the cache
    # The stream on the instance that revokes ends in both modes; in the cluster, the
    # other instance hears of it through the bus (the embedded mode has no such bus).
    streams_on = other if engine != "sqlite" else one
    with streams_on.client.websocket_connect(
        f"/api/v1/streaming?access_token={user.token}&stream=user"
    ) as ws:
        _revoke(one, user.token)
        assert _me(one, user.token) == 401  # at once where it was revoked
        wait_until(lambda: _me(other, user.token) == 401, "the other instance to refuse it")
        started = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1008
        assert time.monotonic() - started < 10
