"""Synthetic event streams: Zipf-distributed ids and tweet views with viral bursts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_fraction, check_int, check_number

__all__ = ["TweetViewStream", "tweet_view_stream", "zipf_stream"]

#: First tweet id handed out by the generator (a Snowflake id from 2022).
TWEET_ID_BASE = 1_480_000_000_000_000_000


def zipf_stream(n: int, n_items: int, exponent: float, *, rng: RngLike = None) -> Any:
    """Draw ``n`` item ids from a Zipf law over ``n_items`` items.

    Item ``i`` (0-based) has probability proportional to ``(i + 1) ** -exponent``, so id 0
    is the most popular. Sampling is by inverse transform on the exact finite CDF, so
    exponents at or below 1 work too.

    Args:
        n: Number of events (>= 0).
        n_items: Number of distinct items (>= 1).
        exponent: Zipf exponent ``s`` (>= 0; 0 is uniform).
        rng: Seed or Generator.

    Returns:
        An ``int64`` array of length ``n`` with values in ``[0, n_items)``.

    Raises:
        InvalidParameterError: For a negative ``n``, ``n_items < 1`` or a bad exponent.

    Examples:
        >>> ids = zipf_stream(10_000, 100, 1.2, rng=1)
        >>> ids.dtype.name, int(ids.min()) >= 0, int(ids.max()) < 100
        ('int64', True, True)
        >>> int((ids == 0).sum()) > int((ids == 50).sum())
        True
    """
    n = check_int("n", n, minimum=0)
    n_items = check_int("n_items", n_items, minimum=1, maximum=2**31)
    s = check_number("exponent", exponent, minimum=0.0, maximum=20.0)
    gen = as_generator(rng)
    weights = np.arange(1, n_items + 1, dtype=np.float64) ** -s
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    ids = np.searchsorted(cdf, gen.random(n), side="right")
    out: npt.NDArray[np.int64] = np.minimum(ids, n_items - 1).astype(np.int64)
    return out


@dataclass(frozen=True, slots=True)
class TweetViewStream:
    """Tweet-view events in time order.

    Attributes:
        tweet_ids: ``int64`` tweet id of each view (Snowflake-sized ids).
        timestamps_s: View times in seconds, non-decreasing.
        viral_ids: The tweets that went viral, largest share first (empty when no view
            goes to a viral tweet).
        duration_s: Length of the stream in seconds.
    """

    tweet_ids: npt.NDArray[np.int64]
    timestamps_s: npt.NDArray[np.float64]
    viral_ids: npt.NDArray[np.int64]
    duration_s: float

    def __len__(self) -> int:
        return len(self.tweet_ids)

    def to_dict(self) -> dict[str, Any]:
        """Return the stream as JSON-ready lists.

        Returns:
            ``tweet_ids``, ``timestamps_s`` and ``viral_ids`` as lists, and ``duration_s``.
        """
        return {
            "tweet_ids": self.tweet_ids.tolist(),
            "timestamps_s": self.timestamps_s.tolist(),
            "viral_ids": self.viral_ids.tolist(),
            "duration_s": self.duration_s,
        }


def tweet_view_stream(
    n: int,
    *,
    n_tweets: int = 100_000,
    viral: int = 5,
    viral_share: float = 0.3,
    duration_s: float = 3600.0,
    exponent: float = 1.1,
    burst_s: float | None = None,
    rng: RngLike = None,
) -> TweetViewStream:
    """Generate views: a Zipf long tail of ordinary tweets plus a few viral bursts.

    ``1 - viral_share`` of the views follow a Zipf law over ``n_tweets`` tweets, spread
    evenly over time. The remaining views go to ``viral`` tweets (shares drawn from a
    Dirichlet); each viral tweet takes off at a random time in the first 80 % of the
    stream and its views then arrive with exponentially decaying intensity (mean delay
    ``burst_s``, default ``duration_s / 20``) — the shape of a tweet going viral.

    Args:
        n: Number of views.
        n_tweets: Ordinary tweets in the long tail.
        viral: Viral tweets (0 for none).
        viral_share: Fraction of views that go to viral tweets, in [0, 1].
        duration_s: Stream length in seconds (> 0).
        exponent: Zipf exponent of the long tail.
        burst_s: Mean delay of a burst's views after take-off (> 0).
        rng: Seed or Generator.

    Returns:
        A `TweetViewStream`, sorted by time.

    Raises:
        InvalidParameterError: For out-of-range arguments.

    Examples:
        >>> s = tweet_view_stream(20_000, n_tweets=1000, viral=2, rng=3)
        >>> len(s), bool((s.timestamps_s[1:] >= s.timestamps_s[:-1]).all())
        (20000, True)
        >>> bool(set(s.viral_ids.tolist()) <= set(s.tweet_ids.tolist()))
        True
    """
    n = check_int("n", n, minimum=0)
    n_tweets = check_int("n_tweets", n_tweets, minimum=1, maximum=2**31)
    viral = check_int("viral", viral, minimum=0, maximum=10_000)
    share = check_fraction("viral_share", viral_share)
    duration = check_number("duration_s", duration_s, minimum=0.0, min_inclusive=False)
    mean_delay = duration / 20 if burst_s is None else burst_s
    mean_delay = check_number("burst_s", mean_delay, minimum=0.0, min_inclusive=False)
    gen = as_generator(rng)
    offsets = gen.choice(2**40, size=n_tweets + viral, replace=False).astype(np.int64)
    ids = TWEET_ID_BASE + offsets
    n_viral = round(n * share) if viral else 0
    tail = ids[zipf_stream(n - n_viral, n_tweets, exponent, rng=gen)]
    tail_t = gen.uniform(0.0, duration, size=n - n_viral)
    if n_viral:
        shares = gen.dirichlet(np.ones(viral))
        order = np.argsort(-shares, kind="stable")
        viral_ids = ids[n_tweets:][order]
        which = gen.choice(viral, size=n_viral, p=shares[order])
        take_off = gen.uniform(0.0, 0.8 * duration, size=viral)
        burst_t = np.minimum(take_off[which] + gen.exponential(mean_delay, n_viral), duration)
        all_ids = np.concatenate([tail, viral_ids[which]])
        all_t = np.concatenate([tail_t, burst_t])
    else:
        viral_ids = np.zeros(0, dtype=np.int64)
        all_ids, all_t = tail, tail_t
    by_time = np.argsort(all_t, kind="stable")
    return TweetViewStream(
        all_ids[by_time].astype(np.int64),
        all_t[by_time].astype(np.float64),
        viral_ids.astype(np.int64),
        duration,
    )
