"""Round trips per request in the cluster mode: the budget each hot path is designed to.

An app instance is CPU-bound and every round trip to PostgreSQL or Redis costs a wake-up
of both sides (see the cluster benchmark's "where the time goes"), so the hot paths are
built to a fixed number of them — and a change that adds one should be a decision, not
an accident. Counted here: the statements psycopg sends and the commands (or pipelines)
redis-py sends while a request's own code runs (frames under ``reference_app/api``);
background threads (trends publisher, counter worker) are not counted.

The budgets, by design:

- **home timeline** (a user following no celebrity, cache built): PostgreSQL 6 — the
  followees with their follower counts (hybrid fan-out decides per followee), the
  statuses with their media (one statement), the viewer's blocks and mutes, the
  viewer's filters (read once per request, though both hiding and rendering use them),
  the authors, the viewer's likes, reblogs and bookmarks of the page; Redis 2 — the
  timeline (`TimelineStore.open_home`, one transaction) and the unflushed counter shards.
- **POST a status** with an ``Idempotency-Key`` (not a reply): PostgreSQL 12 — the
  author's posting defaults (visibility, sensitivity, language), the key lookup (a first
  use: one statement), then one transaction: BEGIN, the key claim, the status rows, the
  outbox event, the stored status read back, COMMIT; then the accounts, the viewer's
  likes, reblogs and bookmarks, and the viewer's filters (their warnings) for the
  response; Redis 1 — the counter shards for the response.
- The access token is looked up once per process (`TokenCache`), not per request.
"""

from __future__ import annotations

import collections
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.reference_app.conftest import Api

psycopg = pytest.importorskip("psycopg")
redis = pytest.importorskip("redis")

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.parametrize("engine", ["cluster"], indirect=True),
]


@contextmanager
def counted() -> Iterator[collections.Counter[str]]:
    """Count PostgreSQL round trips and Redis sends made by request code.

    Not counted: a pooled connection's liveness ping (once it has idled for a while)
    and a new Redis connection's handshake — one-offs per connection, not per request.
    """
    counts: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    original_pg = psycopg.Cursor.execute
    original_tx = psycopg.Connection.transaction
    original_redis = redis.connection.AbstractConnection.send_packed_command

    def by_request() -> bool:
        frames = traceback.extract_stack()
        return any("reference_app/api" in f.filename for f in frames) and not any(
            f.name == "check_connection" for f in frames
        )

    def add(what: str, n: int) -> None:
        if by_request():
            with lock:
                counts[what] += n

    def pg(self: Any, *args: Any, **kwargs: Any) -> Any:
        add("postgresql", 1)
        return original_pg(self, *args, **kwargs)

    def tx(self: Any, *args: Any, **kwargs: Any) -> Any:
        add("postgresql", 2)  # BEGIN, and COMMIT or ROLLBACK
        return original_tx(self, *args, **kwargs)

    def rd(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        if b"CLIENT" not in bytes(command[0] if isinstance(command, list) else command)[:40]:
            add("redis", 1)
        return original_redis(self, command, *args, **kwargs)

    psycopg.Cursor.execute = pg
    psycopg.Connection.transaction = tx
    redis.connection.AbstractConnection.send_packed_command = rd
    try:
        yield counts
    finally:
        psycopg.Cursor.execute = original_pg
        psycopg.Connection.transaction = original_tx
        redis.connection.AbstractConnection.send_packed_command = original_redis


def _per_request(call: Callable[[int], None], n: int = 5) -> dict[str, float]:
    with counted() as counts:
        for i in range(n):
            call(i)
    return {k: v / n for k, v in counts.items()}


def test_home_and_post_stay_within_their_round_trip_budgets(
    app_factory: Callable[..., Api],
) -> None:
    api = app_factory()
    reader, author = api.register(), api.register()
    api.follow(reader, author)
    for i in range(25):
        api.post(author, f"warm {i}")
    api.settle()
    home = "/api/v1/timelines/home?limit=20"
    assert len(api.client.get(home, headers=reader.headers).json()) == 20  # cache built

    def read(_i: int) -> None:
        assert api.client.get(home, headers=reader.headers).status_code == 200

    def post(i: int) -> None:
        assert api.client.post(
            "/api/v1/statuses",
            headers={**author.headers, "Idempotency-Key": f"counted-{i}"},
            json={"status": f"counted {i}"},
        ).is_success

    reads = _per_request(read)
    assert reads.get("postgresql", 0) <= 6, reads
    assert reads.get("redis", 0) <= 2, reads
    for i in range(3):  # warm: every pool connection has been used once
        post(100 + i)
    posts = _per_request(post)
    assert posts.get("postgresql", 0) <= 12, posts
    assert posts.get("redis", 0) <= 1, posts
