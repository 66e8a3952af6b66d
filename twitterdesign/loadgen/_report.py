"""What the load generator measured: `EndpointStats` per endpoint and the `DemoReport`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DemoReport", "EndpointStats"]


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Client-side measurements of one endpoint during the replay.

    Examples:
        >>> EndpointStats("GET /api/v1/timelines/home", 3, 0, 1.23456, 4.5).to_dict()["p50_ms"]
        1.235
    """

    endpoint: str
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "endpoint": self.endpoint,
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
        }


@dataclass(frozen=True, slots=True)
class DemoReport:
    """Everything the demo measured.

    Attributes:
        users: Accounts registered (ordinary users plus celebrities).
        follows: Follow edges created.
        celebrities: ``{"username", "followers"}`` of each celebrity.
        fanout_threshold: Largest follower count the server still pushes to.
        setup_s: Seconds spent registering and following.
        replay_requests: Requests in the replay.
        replay_s: Seconds the replay took.
        requests_per_second: ``replay_requests / replay_s``.
        endpoints: Per-endpoint counts and latency quantiles, busiest first.
        fanout: The server's fan-out counters after the replay.
        delivery_delays_s: For each probe post, seconds until an active follower saw it
            in their home timeline (None if not within 10 s).
        trending_tags: Top hashtags with their bounds, from ``/lesson/v1/trends``.
        most_viewed: Most viewed tweets with their bounds and text.
        capacity: What the same mix needs at the lesson's scale (500M daily users), with
            this server's measured requests/s as the per-server capacity.
    """

    users: int
    follows: int
    celebrities: list[dict[str, Any]]
    fanout_threshold: int
    setup_s: float
    replay_requests: int
    replay_s: float
    requests_per_second: float
    endpoints: list[EndpointStats]
    fanout: dict[str, float]
    delivery_delays_s: list[float | None]
    trending_tags: list[dict[str, Any]]
    most_viewed: list[dict[str, Any]]
    capacity: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "users": self.users,
            "follows": self.follows,
            "celebrities": self.celebrities,
            "fanout_threshold": self.fanout_threshold,
            "setup_s": round(self.setup_s, 3),
            "replay_requests": self.replay_requests,
            "replay_s": round(self.replay_s, 3),
            "requests_per_second": round(self.requests_per_second, 1),
            "endpoints": [e.to_dict() for e in self.endpoints],
            "fanout": self.fanout,
            "delivery_delays_s": [
                None if d is None else round(d, 4) for d in self.delivery_delays_s
            ],
            "trending_tags": self.trending_tags,
            "most_viewed": self.most_viewed,
            "capacity": self.capacity,
        }
