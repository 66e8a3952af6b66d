"""Throwaway Redis key spaces for tests (reusable by every suite that needs Redis).

Each store gets its own key prefix, ``td_test:<uuid>:``, and `delete_prefix` removes every
key under it (``SCAN`` + ``DEL``), so test runs share one server without seeing each
other. The server is the one named by ``TWITTERDESIGN_TEST_REDIS_URL`` (default: database
0 on the local server); when it cannot be reached, `require_redis` skips the calling test
with the reason and the URL.
"""

from __future__ import annotations

import functools
import os
import uuid

import pytest
import redis

from twitterdesign.reference_app.storage.redis import mask_password

__all__ = ["REDIS_URL", "delete_prefix", "new_prefix", "redis_client", "require_redis"]

REDIS_URL = os.environ.get("TWITTERDESIGN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@functools.cache
def _unreachable_reason() -> str | None:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"Redis is not reachable at {mask_password(REDIS_URL)} "
            f"(set TWITTERDESIGN_TEST_REDIS_URL): {first_line}"
        )
    return None


def require_redis() -> None:
    """Skip the calling test when the test server cannot be reached."""
    reason = _unreachable_reason()
    if reason is not None:
        pytest.skip(reason)


def new_prefix() -> str:
    """Return a fresh key prefix, ``td_test:<uuid hex>:``."""
    return f"td_test:{uuid.uuid4().hex}:"


@functools.cache
def redis_client() -> redis.Redis:
    """One shared client (decoded replies) per test process."""
    require_redis()
    return redis.Redis.from_url(REDIS_URL, decode_responses=True)


def delete_prefix(prefix: str) -> int:
    """Delete every key under ``prefix``; return how many there were."""
    assert prefix.startswith("td_test:"), prefix  # never sweep a real key space
    client = redis_client()
    deleted = 0
    batch: list[str] = []
    for key in client.scan_iter(match=prefix + "*", count=1_000):
        batch.append(key)
        if len(batch) >= 1_000:
            deleted += int(client.delete(*batch))
            batch.clear()
    if batch:
        deleted += int(client.delete(*batch))
    return deleted
