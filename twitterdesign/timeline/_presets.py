"""Published timeline workloads (Twitter 2012) and how to scale them down for simulation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from twitterdesign._rng import RngLike
from twitterdesign._validate import check_int
from twitterdesign.errors import NotFoundError
from twitterdesign.timeline._activity import SECONDS_PER_DAY, Activity, activity_model
from twitterdesign.timeline._graph import FollowerGraph

__all__ = ["TIMELINE_PRESETS", "ScaledTimelinePreset", "TimelinePreset", "timeline_preset"]


@dataclass(frozen=True, slots=True)
class ScaledTimelinePreset:
    """A preset scaled to ``n_users`` simulated users.

    Per-user behaviour (tweets and reads per user per day, cache size, replicas) is kept;
    everything that sums over users (tweets/s, reads/s, the celebrity's follower count,
    fan-out throughput) is multiplied by ``scale = n_users / active_users``. The
    celebrity then has the same *share* of the population, and a fan-out pool scaled the
    same way keeps its throughput per user, so delivery times such as
    ``celebrity_followers / celebrity_fanout_writes_per_s`` and the cache memory per user
    are the same as at full scale, while totals are ``scale`` times smaller.

    Attributes:
        preset: Name of the full-scale preset.
        n_users: Simulated users.
        scale: ``n_users / active_users``.
        tweets_per_s: Scaled average tweet rate.
        peak_tweets_per_s: Scaled peak tweet rate.
        timeline_reads_per_s: Scaled home-timeline read rate.
        tweets_per_user_per_day: Unchanged per-user tweet rate.
        reads_per_user_per_day: Unchanged per-user read rate.
        celebrity_followers: Scaled follower count of the largest account (≥ 1).
        celebrity_fanout_writes_per_s: Scaled rate at which the celebrity's tweet was
            fanned out, so ``celebrity_followers / celebrity_fanout_writes_per_s`` is the
            reported full-scale delivery time.
        cache_max_items: Entries per cached timeline.
        cache_replicas: Copies of each cache.
        bytes_per_entry: Bytes per cached entry.
        inactive_days: Inactivity window.
    """

    preset: str
    n_users: int
    scale: float
    tweets_per_s: float
    peak_tweets_per_s: float
    timeline_reads_per_s: float
    tweets_per_user_per_day: float
    reads_per_user_per_day: float
    celebrity_followers: int
    celebrity_fanout_writes_per_s: float
    cache_max_items: int
    cache_replicas: int
    bytes_per_entry: int
    inactive_days: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-friendly dict."""
        return asdict(self)

    def activity(self, graph: FollowerGraph, *, rng: RngLike = None) -> Activity:
        """Draw rates for ``graph`` with this preset's per-user tweet and read rates.

        Examples:
            >>> from twitterdesign.timeline import power_law_graph
            >>> scaled = timeline_preset("twitter-2012").scaled(2_000)
            >>> a = scaled.activity(power_law_graph(2_000, rng=1), rng=2)
            >>> round(float(a.read_rate_per_s.sum()))  # 300K reads/s × 2,000 / 150M
            4
        """
        return activity_model(
            graph,
            tweets_per_day=self.tweets_per_user_per_day,
            reads_per_day=self.reads_per_user_per_day,
            inactive_days=self.inactive_days,
            rng=rng,
        )


@dataclass(frozen=True, slots=True)
class TimelinePreset:
    """A published, full-scale home-timeline workload.

    Attributes:
        name: Preset key.
        active_users: Active users.
        tweets_per_s: Average tweets per second.
        peak_tweets_per_s: Peak tweets per second.
        timeline_reads_per_s: Home-timeline reads per second.
        cache_max_items: Entries kept per cached timeline.
        cache_replicas: Copies of each cached timeline.
        bytes_per_entry: Bytes per cached entry.
        celebrity_followers: Followers of the largest account.
        celebrity_delivery_s: Reported time for that account's tweet to reach everyone.
        inactive_days: Users idle this long get no cached timeline.
        source: Where the numbers come from.
    """

    name: str
    active_users: int
    tweets_per_s: float
    peak_tweets_per_s: float
    timeline_reads_per_s: float
    cache_max_items: int
    cache_replicas: int
    bytes_per_entry: int
    celebrity_followers: int
    celebrity_delivery_s: float
    inactive_days: float
    source: str

    @property
    def tweets_per_user_per_day(self) -> float:
        """Average tweets per active user per day."""
        return self.tweets_per_s * SECONDS_PER_DAY / self.active_users

    @property
    def reads_per_user_per_day(self) -> float:
        """Average home-timeline reads per active user per day."""
        return self.timeline_reads_per_s * SECONDS_PER_DAY / self.active_users

    @property
    def celebrity_fanout_writes_per_s(self) -> float:
        """Cache writes per second implied by the celebrity's delivery time (derived)."""
        return self.celebrity_followers / self.celebrity_delivery_s

    @property
    def cache_bytes_full(self) -> int:
        """Memory if every active user's timeline is full, over all replicas."""
        return self.active_users * self.cache_max_items * self.bytes_per_entry * self.cache_replicas

    def to_dict(self) -> dict[str, Any]:
        """Return the fields and the derived per-user rates as a JSON-friendly dict."""
        data = asdict(self)
        data["tweets_per_user_per_day"] = self.tweets_per_user_per_day
        data["reads_per_user_per_day"] = self.reads_per_user_per_day
        data["celebrity_fanout_writes_per_s"] = self.celebrity_fanout_writes_per_s
        data["cache_bytes_full"] = self.cache_bytes_full
        return data

    def scaled(self, n_users: int) -> ScaledTimelinePreset:
        """Return this workload scaled to ``n_users`` simulated users.

        Args:
            n_users: Simulated users, between 1 and ``active_users``.

        Returns:
            The scaled preset (see `ScaledTimelinePreset` for the rule).

        Raises:
            InvalidParameterError: If ``n_users`` is outside that range.

        Examples:
            >>> s = timeline_preset("twitter-2012").scaled(150_000)  # 1/1000 of Twitter
            >>> s.timeline_reads_per_s, s.celebrity_followers, s.cache_max_items
            (300.0, 31000, 800)
        """
        n = check_int("n_users", n_users, minimum=1, maximum=self.active_users)
        scale = n / self.active_users
        return ScaledTimelinePreset(
            preset=self.name,
            n_users=n,
            scale=scale,
            tweets_per_s=self.tweets_per_s * scale,
            peak_tweets_per_s=self.peak_tweets_per_s * scale,
            timeline_reads_per_s=self.timeline_reads_per_s * scale,
            tweets_per_user_per_day=self.tweets_per_user_per_day,
            reads_per_user_per_day=self.reads_per_user_per_day,
            celebrity_followers=max(1, round(self.celebrity_followers * scale)),
            celebrity_fanout_writes_per_s=self.celebrity_fanout_writes_per_s * scale,
            cache_max_items=self.cache_max_items,
            cache_replicas=self.cache_replicas,
            bytes_per_entry=self.bytes_per_entry,
            inactive_days=self.inactive_days,
        )


TWITTER_2012 = TimelinePreset(
    name="twitter-2012",
    active_users=150_000_000,
    tweets_per_s=4_600.0,
    peak_tweets_per_s=12_000.0,
    timeline_reads_per_s=300_000.0,
    cache_max_items=800,
    cache_replicas=3,
    bytes_per_entry=20,
    celebrity_followers=31_000_000,
    celebrity_delivery_s=300.0,
    inactive_days=30.0,
    source=(
        'R. Krikorian, "Timelines at Scale", QCon San Francisco 2012 (150M active users, '
        "300K timeline reads/s, 4.6K tweets/s average and 12K peak, 800-entry Redis "
        "lists of 20-byte entries replicated 3 times, no cache for users idle 30 days, "
        "a 31M-follower account's tweet taking up to about 5 minutes to fan out)"
    ),
)

LESSON = TimelinePreset(
    name="lesson",
    active_users=500_000_000,
    tweets_per_s=500_000_000 * 3 / 86_400,
    peak_tweets_per_s=500_000_000 * 3 / 86_400 * 4,
    timeline_reads_per_s=500_000_000 * 20 / 86_400,
    cache_max_items=800,
    cache_replicas=3,
    bytes_per_entry=20,
    celebrity_followers=31_000_000,
    celebrity_delivery_s=300.0,
    inactive_days=30.0,
    source=(
        '"System Design: Twitter" resource estimation: 500M daily users, 3 tweets and '
        "20 requests per user per day, every request taken as a home-timeline read (an "
        "upper bound); the 80/20 rule (80% of requests in 4.8 hours) gives a peak of 4x "
        "the average. The lesson does not size timeline caches or fan-out, so those fields "
        "repeat Twitter 2012's"
    ),
)

#: Named presets.
TIMELINE_PRESETS: dict[str, TimelinePreset] = {p.name: p for p in (TWITTER_2012, LESSON)}


def timeline_preset(name: str) -> TimelinePreset:
    """Return the preset called ``name``.

    Args:
        name: A key of `TIMELINE_PRESETS`, e.g. ``"twitter-2012"``.

    Returns:
        The preset.

    Raises:
        NotFoundError: If there is no such preset.

    Examples:
        >>> round(timeline_preset("twitter-2012").reads_per_user_per_day, 1)
        172.8
    """
    try:
        return TIMELINE_PRESETS[name]
    except (KeyError, TypeError):
        raise NotFoundError(
            f"no timeline preset {name!r}; choose one of {sorted(TIMELINE_PRESETS)}"
        ) from None
