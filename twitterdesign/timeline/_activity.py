"""Who tweets and who reads, how often: per-user rates and the inactive set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_fraction, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline._graph import FollowerGraph

__all__ = ["SECONDS_PER_DAY", "Activity", "activity_model"]

SECONDS_PER_DAY = 86_400.0

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _rate_array(name: str, values: npt.ArrayLike) -> FloatArray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(name, values, "a 1-D array of rates >= 0") from exc
    if arr.ndim != 1:
        raise InvalidParameterError(name, f"<array of shape {arr.shape}>", "a 1-D array")
    bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        first = int(np.argmax(bad))
        raise InvalidParameterError(
            name, float(arr[first]), f"finite rates >= 0 (user {first} has a bad rate)"
        )
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class Activity:
    """Per-user tweet and home-timeline read rates, and the set of inactive users.

    Inactive users are assumed not to read during the period being modelled (that is
    what "no read for D days" predicts), so every cost model uses
    `effective_read_rate_per_s`, which is zero for them, while their tweets still
    count. The arrays are copied and made read-only.

    Args:
        tweet_rate_per_s: Tweets per second written by each user.
        read_rate_per_s: Home-timeline reads per second by each user while active.
        inactive: True for users who have not read for the inactivity window.

    Raises:
        InvalidParameterError: If the arrays differ in length, are not 1-D, or hold
            negative or non-finite rates.

    Examples:
        >>> a = Activity([1.0, 0.0], [2.0, 5.0], inactive=[False, True])
        >>> a.effective_read_rate_per_s.tolist(), a.n_users
        ([2.0, 0.0], 2)
    """

    tweet_rate_per_s: FloatArray
    read_rate_per_s: FloatArray
    inactive: BoolArray

    def __init__(
        self,
        tweet_rate_per_s: npt.ArrayLike,
        read_rate_per_s: npt.ArrayLike,
        inactive: npt.ArrayLike | None = None,
    ) -> None:
        tweets = _rate_array("tweet_rate_per_s", tweet_rate_per_s)
        reads = _rate_array("read_rate_per_s", read_rate_per_s)
        if reads.shape != tweets.shape:
            raise InvalidParameterError(
                "read_rate_per_s", f"<{reads.size} rates>", f"{tweets.size} rates, one per user"
            )
        if inactive is None:
            mask = np.zeros(tweets.size, dtype=bool)
        else:
            mask = np.array(inactive)
            if mask.dtype != np.bool_ or mask.shape != tweets.shape:
                raise InvalidParameterError(
                    "inactive",
                    f"<{mask.dtype} array of shape {mask.shape}>",
                    f"a boolean array of {tweets.size} flags",
                )
        mask.flags.writeable = False
        object.__setattr__(self, "tweet_rate_per_s", tweets)
        object.__setattr__(self, "read_rate_per_s", reads)
        object.__setattr__(self, "inactive", mask)

    @classmethod
    def uniform(cls, n_users: int, *, tweets_per_day: float, reads_per_day: float) -> Activity:
        """Return the same rates for every user and nobody inactive.

        Examples:
            >>> Activity.uniform(3, tweets_per_day=86_400, reads_per_day=0).tweet_rate_per_s
            array([1., 1., 1.])
        """
        t = check_number("tweets_per_day", tweets_per_day, minimum=0.0)
        r = check_number("reads_per_day", reads_per_day, minimum=0.0)
        return cls(np.full(n_users, t / SECONDS_PER_DAY), np.full(n_users, r / SECONDS_PER_DAY))

    @property
    def n_users(self) -> int:
        """Number of users."""
        return int(self.tweet_rate_per_s.size)

    @property
    def effective_read_rate_per_s(self) -> FloatArray:
        """Read rates with inactive users set to zero (what the cost models use)."""
        return np.where(self.inactive, 0.0, self.read_rate_per_s)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary (totals and counts, not the per-user arrays)."""
        return {
            "n_users": self.n_users,
            "tweets_per_s": float(self.tweet_rate_per_s.sum()),
            "reads_per_s": float(self.effective_read_rate_per_s.sum()),
            "inactive_users": int(self.inactive.sum()),
        }


def _heavy_tailed(
    n: int,
    sigma: float,
    degree: npt.NDArray[np.int64],
    exponent: float,
    mean: float,
    gen: np.random.Generator,
) -> FloatArray:
    """Lognormal noise times ``(1 + degree)^exponent``, scaled to the requested mean."""
    rates = gen.lognormal(mean=0.0, sigma=sigma, size=n)
    if exponent:
        rates *= (1.0 + degree.astype(np.float64)) ** exponent
    total = rates.sum()
    return rates * (mean * n / total) if total > 0 else rates


def activity_model(
    graph: FollowerGraph,
    *,
    tweets_per_day: float = 3.0,
    reads_per_day: float = 20.0,
    sigma: float = 1.0,
    tweet_degree_exponent: float = 0.5,
    read_degree_exponent: float = 0.0,
    inactive_days: float = 30.0,
    dormant_fraction: float = 0.0,
    rng: RngLike = None,
) -> Activity:
    """Draw heavy-tailed tweet and read rates for every user of ``graph``.

    Each user's tweet rate is a lognormal factor (``sigma``) times
    ``(1 + followers)^tweet_degree_exponent``; the read rate is another lognormal factor
    times ``(1 + followees)^read_degree_exponent``; both are scaled so the means are
    ``tweets_per_day`` and ``reads_per_day``. A positive tweet exponent encodes what Kwak
    et al. observed, that accounts with more followers tweet more; it is what gives the
    hybrid threshold an interior optimum. A ``dormant_fraction`` of users never read;
    a user is *inactive* if dormant or if, reading as a Poisson process at their rate,
    they made no read in the last ``inactive_days`` days (probability
    ``exp(-rate × inactive_days)``).

    Args:
        graph: The follower graph.
        tweets_per_day: Mean tweets per user per day (the lesson: 3).
        reads_per_day: Mean home-timeline reads per user per day (the lesson: 20
            requests; Twitter 2012: about 173 per active user).
        sigma: Lognormal shape of both rates; 0 gives no noise.
        tweet_degree_exponent: How strongly tweet rates grow with follower count.
        read_degree_exponent: How strongly read rates grow with followee count.
        inactive_days: The inactivity window D in days (Twitter used 30); 0 turns the
            window off, so only dormant users are inactive.
        dormant_fraction: Fraction of users that never read.
        rng: Seed or Generator.

    Returns:
        The activity.

    Raises:
        InvalidParameterError: If a rate or window is negative or not finite, ``sigma``
            is negative, or ``dormant_fraction`` is outside [0, 1].

    Examples:
        >>> from twitterdesign.timeline import power_law_graph
        >>> g = power_law_graph(5_000, rng=1)
        >>> a = activity_model(g, tweets_per_day=3, reads_per_day=20, rng=2)
        >>> round(float(a.tweet_rate_per_s.mean()) * 86_400, 6)
        3.0

    References:
        H. Kwak, C. Lee, H. Park, S. Moon, "What is Twitter, a social network or a news
        media?", WWW 2010.
    """
    if not isinstance(graph, FollowerGraph):
        raise InvalidParameterError("graph", graph, "a FollowerGraph")
    t = check_number("tweets_per_day", tweets_per_day, minimum=0.0)
    r = check_number("reads_per_day", reads_per_day, minimum=0.0)
    s = check_number("sigma", sigma, minimum=0.0, maximum=5.0)
    te = check_number("tweet_degree_exponent", tweet_degree_exponent, minimum=-2.0, maximum=2.0)
    re_ = check_number("read_degree_exponent", read_degree_exponent, minimum=-2.0, maximum=2.0)
    days = check_number("inactive_days", inactive_days, minimum=0.0)
    dormant = check_fraction("dormant_fraction", dormant_fraction)
    gen = as_generator(rng)
    n = graph.n_users
    tweets = _heavy_tailed(n, s, graph.follower_counts, te, t / SECONDS_PER_DAY, gen)
    reads = _heavy_tailed(n, s, graph.followee_counts, re_, r / SECONDS_PER_DAY, gen)
    is_dormant = gen.random(n) < dormant
    reads[is_dormant] = 0.0
    draws = gen.random(n)
    no_read_in_window = draws < np.exp(-reads * (days * SECONDS_PER_DAY)) if days > 0 else False
    inactive = is_dormant | no_read_in_window
    return Activity(tweets, reads, np.asarray(inactive, dtype=bool))
