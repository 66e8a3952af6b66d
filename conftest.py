"""Doctest set-up for the package: examples that talk to a server need the server.

The Redis examples in ``twitterdesign.reference_app.storage.redis`` run against the local
server at ``redis://127.0.0.1:6379/0`` (each in a key prefix of its own, leaving nothing
behind). Where it does not answer (a laptop without Redis) they skip with the reason;
CI, which has Redis, turns any skip into a failure.
"""

from __future__ import annotations

import functools

import pytest

_LOCAL_REDIS = "redis://127.0.0.1:6379/0"
_NEEDS_REDIS = "twitterdesign.reference_app.storage.redis."


@functools.cache
def _redis_missing() -> str | None:
    try:
        import redis

        client = redis.Redis.from_url(_LOCAL_REDIS, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:  # no driver, no server, refused: all mean "cannot run"
        return f"Redis is not reachable at {_LOCAL_REDIS}: {exc}"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a Redis doctest, naming the URL, when the local Redis does not answer."""
    if isinstance(item, pytest.DoctestItem) and item.name.startswith(_NEEDS_REDIS):
        reason = _redis_missing()
        if reason is not None:
            pytest.skip(reason)
