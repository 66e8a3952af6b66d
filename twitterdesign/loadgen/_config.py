"""What the load generator creates and replays: `DemoConfig` and the action mix."""

from __future__ import annotations

from dataclasses import dataclass

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError

__all__ = ["ACTION_MIX", "DEMO_PASSWORD", "DemoConfig"]

ACTION_MIX: tuple[tuple[str, float], ...] = (
    ("post", 0.20),
    ("reply", 0.05),
    ("like", 0.15),
    ("retweet", 0.05),
    ("view", 0.20),
    ("home", 0.30),
    ("search", 0.05),
)
"""The replayed workload: each action and its share of the requests (read-heavy)."""

DEMO_PASSWORD = "demo password, not secret"
"""The password of every demo account (the demo server is for local experiments)."""


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """What the demo creates and replays.

    Attributes:
        users: Ordinary accounts on the power-law graph (the lesson's scale: ≥ 2,000).
        mean_followees: Mean accounts each ordinary user follows.
        celebrity_followers: One entry per celebrity: the fraction of ordinary users who
            follow it.
        requests: Requests in the replayed workload (setup requests not included).
        concurrency: Requests in flight at once.
        probes: Posts whose arrival in a follower's home timeline is timed.
        seed: Seed for the graph and the workload.

    Examples:
        >>> DemoConfig().users
        2000
        >>> DemoConfig(users=1)
        Traceback (most recent call last):
        ...
        twitterdesign.errors.InvalidParameterError: invalid users=1: expected an integer >= 10
    """

    users: int = 2000
    mean_followees: float = 8.0
    celebrity_followers: tuple[float, ...] = (0.75, 0.45, 0.3)
    requests: int = 5000
    concurrency: int = 16
    probes: int = 5
    seed: int = 7

    def __post_init__(self) -> None:
        check_int("users", self.users, minimum=10)
        check_number("mean_followees", self.mean_followees, minimum=0.5)
        if self.mean_followees > (self.users - 1) / 2:
            raise InvalidParameterError(
                "mean_followees", self.mean_followees, f"at most {(self.users - 1) / 2:g}"
            )
        for f in self.celebrity_followers:
            check_number("celebrity_followers", f, minimum=0.0, maximum=1.0)
        check_int("requests", self.requests, minimum=1)
        check_int("concurrency", self.concurrency, minimum=1, maximum=256)
        check_int("probes", self.probes, minimum=0, maximum=100)
        check_int("seed", self.seed, minimum=0)

    @property
    def fanout_threshold(self) -> int:
        """The server threshold the demo uses: half the users (a celebrity above it).

        Examples:
            >>> DemoConfig(users=100).fanout_threshold
            50
        """
        return max(1, self.users // 2)
