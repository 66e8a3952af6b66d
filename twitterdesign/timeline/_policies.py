"""Fan-out policies: push on write, pull on read, the celebrity threshold, per-edge optimal."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline._activity import Activity
from twitterdesign.timeline._graph import FollowerGraph

__all__ = ["FanoutPolicy", "HybridThreshold", "PerEdgeOptimal", "PullAll", "PushAll"]

BoolArray = npt.NDArray[np.bool_]


def _check_pair(graph: FollowerGraph, activity: Activity) -> None:
    if not isinstance(graph, FollowerGraph):
        raise InvalidParameterError("graph", graph, "a FollowerGraph")
    if not isinstance(activity, Activity):
        raise InvalidParameterError("activity", activity, "an Activity")
    if activity.n_users != graph.n_users:
        raise InvalidParameterError(
            "activity",
            f"<Activity of {activity.n_users} users>",
            f"an Activity for the graph's {graph.n_users} users",
        )


@dataclass(frozen=True, slots=True)
class FanoutPolicy(ABC):
    """Decides, for every follow edge, whether a tweet is pushed or pulled.

    An edge (author → follower) is *pushed* when the author's tweets are written into
    the follower's cached home timeline at write time (fan-out on write), and *pulled*
    when the follower's read fetches the author's recent tweets and merges them (fan-out
    on read). With ``skip_inactive`` no tweet is pushed to an inactive follower: their
    timeline is rebuilt by pulling if they ever come back, as Twitter and Mastodon do.

    Subclasses implement `pushes` (one edge, for callers such as a web app) and
    `push_mask` (every edge of a graph at once, for cost models).
    """

    skip_inactive: bool = field(default=False, kw_only=True)

    @property
    def name(self) -> str:
        """A short label such as ``"hybrid(T=10000)"``."""
        return type(self).__name__

    @abstractmethod
    def pushes(
        self,
        *,
        follower_count: int,
        tweet_rate_per_s: float | None = None,
        read_rate_per_s: float | None = None,
        follower_active: bool = True,
    ) -> bool:
        """Return True if a tweet on this edge is pushed at write time, False if pulled.

        Args:
            follower_count: The author's number of followers.
            tweet_rate_per_s: The author's tweet rate (needed by `PerEdgeOptimal`).
            read_rate_per_s: The follower's home-timeline read rate (ditto).
            follower_active: False if the follower is inactive.

        Returns:
            The decision for this (author, follower) edge.
        """

    def push_mask(self, graph: FollowerGraph, activity: Activity) -> BoolArray:
        """Return one flag per edge, in ``graph.follower_indices`` order: True = pushed.

        Args:
            graph: The follower graph.
            activity: Rates and inactive set for the same users.

        Returns:
            A boolean array of length ``graph.n_edges``.

        Raises:
            InvalidParameterError: If ``activity`` has a different number of users.
        """
        _check_pair(graph, activity)
        mask = self._raw_mask(graph, activity)
        if self.skip_inactive:
            mask &= ~activity.inactive[graph.follower_indices]
        return mask

    @abstractmethod
    def _raw_mask(self, graph: FollowerGraph, activity: Activity) -> BoolArray: ...

    def _skip(self, follower_active: bool) -> bool:
        return self.skip_inactive and not follower_active

    def to_dict(self) -> dict[str, Any]:
        """Return the policy's name and parameters."""
        return {"policy": self.name, **asdict(self)}


def _count(name: str, value: int) -> int:
    return check_int(name, value, minimum=0)


@dataclass(frozen=True, slots=True)
class PushAll(FanoutPolicy):
    """Fan-out on write: every tweet is written into every follower's timeline cache.

    Examples:
        >>> PushAll().pushes(follower_count=30_000_000)
        True
        >>> PushAll(skip_inactive=True).pushes(follower_count=10, follower_active=False)
        False
    """

    def pushes(
        self,
        *,
        follower_count: int,
        tweet_rate_per_s: float | None = None,
        read_rate_per_s: float | None = None,
        follower_active: bool = True,
    ) -> bool:
        """Return True unless the follower is inactive and skipped."""
        _count("follower_count", follower_count)
        return not self._skip(follower_active)

    def _raw_mask(self, graph: FollowerGraph, activity: Activity) -> BoolArray:
        return np.ones(graph.n_edges, dtype=bool)


@dataclass(frozen=True, slots=True)
class PullAll(FanoutPolicy):
    """Fan-out on read: every read merges the recent tweets of everyone followed.

    Examples:
        >>> PullAll().pushes(follower_count=3)
        False
    """

    def pushes(
        self,
        *,
        follower_count: int,
        tweet_rate_per_s: float | None = None,
        read_rate_per_s: float | None = None,
        follower_active: bool = True,
    ) -> bool:
        """Return False: nothing is pushed."""
        _count("follower_count", follower_count)
        return False

    def _raw_mask(self, graph: FollowerGraph, activity: Activity) -> BoolArray:
        return np.zeros(graph.n_edges, dtype=bool)


@dataclass(frozen=True, slots=True)
class HybridThreshold(FanoutPolicy):
    """Push for ordinary accounts, pull for accounts with more than ``threshold`` followers.

    This is Twitter's celebrity exception: a tweet from an account with millions of
    followers is not fanned out; it is merged into each follower's timeline when they
    read it.

    Args:
        threshold: Largest follower count that is still pushed (``≥ 0``).
        skip_inactive: Do not push to inactive followers.

    Raises:
        InvalidParameterError: If ``threshold`` is negative or not an integer.

    Examples:
        >>> policy = HybridThreshold(10_000)
        >>> policy.pushes(follower_count=420), policy.pushes(follower_count=31_000_000)
        (True, False)
        >>> policy.name
        'hybrid(T=10000)'
    """

    threshold: int = 10_000

    def __post_init__(self) -> None:
        check_int("threshold", self.threshold, minimum=0)

    @property
    def name(self) -> str:
        """``"hybrid(T=<threshold>)"``."""
        return f"hybrid(T={self.threshold})"

    def pushes(
        self,
        *,
        follower_count: int,
        tweet_rate_per_s: float | None = None,
        read_rate_per_s: float | None = None,
        follower_active: bool = True,
    ) -> bool:
        """Return True if the author has at most ``threshold`` followers (and not skipped)."""
        count = _count("follower_count", follower_count)
        return count <= self.threshold and not self._skip(follower_active)

    def _raw_mask(self, graph: FollowerGraph, activity: Activity) -> BoolArray:
        author_pushes = graph.follower_counts <= self.threshold
        return np.repeat(author_pushes, graph.follower_counts)


@dataclass(frozen=True, slots=True)
class PerEdgeOptimal(FanoutPolicy):
    """Push on an edge iff pushing costs no more than pulling (Silberstein et al. 2010).

    With ``r_p`` the author's tweet rate, ``r_c`` the follower's read rate, ``h`` the
    cost of one push (a cache write) and ``l`` the cost of one pull (fetching an author's
    recent tweets at read time), the edge costs ``h·r_p`` per second if pushed and
    ``l·r_c`` if pulled. Choosing the cheaper side on every edge — push iff
    ``r_p / r_c ≤ l / h`` — minimises the total ``Σ`` over edges, so no other per-edge
    assignment (push-all, pull-all, any threshold) costs less under this model.
    Inactive followers read at rate 0, so they are never pushed to.

    Args:
        push_cost: Cost ``h`` of writing one tweet into one timeline (``> 0``).
        pull_cost: Cost ``l`` of pulling one author's tweets on one read (``> 0``).
        skip_inactive: Do not push to inactive followers (already implied).

    Raises:
        InvalidParameterError: If a cost is not a positive finite number.

    Examples:
        >>> policy = PerEdgeOptimal(push_cost=1.0, pull_cost=1.0)
        >>> policy.pushes(follower_count=100, tweet_rate_per_s=1e-5, read_rate_per_s=2e-4)
        True
        >>> policy.pushes(follower_count=100, tweet_rate_per_s=1e-3, read_rate_per_s=2e-4)
        False

    References:
        A. Silberstein, J. Terrace, B. F. Cooper, R. Ramakrishnan, "Feeding Frenzy:
        Selectively Materializing Users' Event Feeds", SIGMOD 2010.
    """

    push_cost: float = 1.0
    pull_cost: float = 1.0

    def __post_init__(self) -> None:
        check_number("push_cost", self.push_cost, minimum=0.0, min_inclusive=False)
        check_number("pull_cost", self.pull_cost, minimum=0.0, min_inclusive=False)

    @property
    def name(self) -> str:
        """``"per-edge-optimal"``."""
        return "per-edge-optimal"

    def pushes(
        self,
        *,
        follower_count: int,
        tweet_rate_per_s: float | None = None,
        read_rate_per_s: float | None = None,
        follower_active: bool = True,
    ) -> bool:
        """Return True iff ``push_cost × tweet_rate ≤ pull_cost × read_rate``.

        Raises:
            InvalidParameterError: If either rate is missing or negative.
        """
        _count("follower_count", follower_count)
        if tweet_rate_per_s is None:
            raise InvalidParameterError("tweet_rate_per_s", None, "the author's tweet rate")
        if read_rate_per_s is None:
            raise InvalidParameterError("read_rate_per_s", None, "the follower's read rate")
        rp = check_number("tweet_rate_per_s", tweet_rate_per_s, minimum=0.0)
        rc = check_number("read_rate_per_s", read_rate_per_s, minimum=0.0)
        if not follower_active:
            return False
        return self.push_cost * rp <= self.pull_cost * rc

    def _raw_mask(self, graph: FollowerGraph, activity: Activity) -> BoolArray:
        push = np.repeat(self.push_cost * activity.tweet_rate_per_s, graph.follower_counts)
        followers = graph.follower_indices
        pull = self.pull_cost * activity.effective_read_rate_per_s[followers]
        mask = push <= pull
        mask &= ~activity.inactive[followers]  # they read nothing: pulling costs 0
        return mask
