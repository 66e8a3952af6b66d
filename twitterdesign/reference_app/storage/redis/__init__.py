"""Redis-backed stores: timelines, rate-limit counts, sharded status counters, stream bus.

Install with ``pip install "twitterdesign[cluster]"``. Every store takes a ``redis://``
URL or a client, and a key ``prefix`` so several apps (or test runs) share one database;
`RedisUnavailableError` names the server (password masked) when it cannot be reached.
"""

from __future__ import annotations

from twitterdesign.reference_app.storage.redis._connection import (
    RedisUnavailableError,
    mask_password,
)
from twitterdesign.reference_app.storage.redis._counters import (
    InFlightFlush,
    RedisStatusCounters,
    ShardValues,
    Unflushed,
)
from twitterdesign.reference_app.storage.redis._rankings import RedisRankings
from twitterdesign.reference_app.storage.redis._stream_bus import RedisStreamBus
from twitterdesign.reference_app.storage.redis._timelines import RedisTimelineStore
from twitterdesign.reference_app.storage.redis._window_counts import RedisWindowCounter

__all__ = [
    "InFlightFlush",
    "RedisRankings",
    "RedisStatusCounters",
    "RedisStreamBus",
    "RedisTimelineStore",
    "RedisUnavailableError",
    "RedisWindowCounter",
    "ShardValues",
    "Unflushed",
    "mask_password",
]
