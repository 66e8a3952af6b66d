"""From a workload to storage, bandwidth, request rates, servers and cache: ``estimate``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation._workload import Workload
from twitterdesign.units import BITS_PER_BYTE, SECONDS_PER_DAY

__all__ = ["SERVER_QUESTIONS", "ByType", "CapacityReport", "ServerCount", "estimate"]

DAYS_PER_YEAR = 365

#: Which question each of the four server counts answers.
SERVER_QUESTIONS: dict[str, str] = {
    "average_load": (
        "How many servers keep up with the day's traffic if it were spread evenly? "
        "A floor: below this the backlog grows all day."
    ),
    "peak": (
        "How many servers serve the busiest hours without queueing? "
        "The number to provision (before redundancy and headroom)."
    ),
    "all_requests_in_one_second": (
        "How many servers absorb every daily request arriving in the same second? "
        "An absurd upper bound that shows why peaks, not totals, drive capacity."
    ),
    "by_daily_users": (
        "The interview shortcut: daily users / requests one server handles per second. "
        "Fast and pessimistic — it assumes every user sends a request in the same second."
    ),
}


@dataclass(frozen=True, slots=True)
class ByType:
    """A quantity split by content type: tweet text (with metadata), images, videos.

    Examples:
        >>> ByType(text=1.0, image=2.0, video=3.0).total
        6.0
    """

    text: float
    image: float
    video: float

    @property
    def total(self) -> float:
        """Return the sum of the three parts."""
        return self.text + self.image + self.video

    def to_dict(self) -> dict[str, float]:
        """Return the split as a JSON-ready dict, total included."""
        return {"text": self.text, "image": self.image, "video": self.video, "total": self.total}


@dataclass(frozen=True, slots=True)
class ServerCount:
    """One of the four server counts, with its unrounded value, cost and question.

    Attributes:
        name: ``"average_load"``, ``"peak"``, ``"all_requests_in_one_second"`` or
            ``"by_daily_users"``.
        servers: Whole servers (the exact value rounded up).
        exact: The unrounded number of servers.
        usd_per_hour: ``servers * cost_per_server_hour``, or None without a cost.
        question: The question this count answers.

    Examples:
        >>> peak = estimate(Workload(500e6, cost_per_server_hour=2.0)).server_counts()[1]
        >>> peak.name, peak.servers, round(peak.exact, 2), peak.usd_per_hour
        ('peak', 8, 7.23, 16.0)
    """

    name: str
    servers: int
    exact: float
    usd_per_hour: float | None
    question: str

    def to_dict(self) -> dict[str, object]:
        """Return the count as a JSON-ready dict."""
        return {
            "name": self.name,
            "servers": self.servers,
            "exact": self.exact,
            "usd_per_hour": self.usd_per_hour,
            "question": self.question,
        }


@dataclass(frozen=True, slots=True)
class CapacityReport:
    """Storage, bandwidth, request rates, servers and cache for one `Workload`.

    Byte quantities are SI (1 TB = 10**12 bytes), bandwidth is in bits per second, a
    day has 86,400 seconds and a year 365 days. See `estimate` for the formulas
    and `explain` for them with the numbers substituted.

    Attributes:
        workload: The assumptions the report was computed from.
        tweets_per_day: New tweets per day.
        tweets_per_second: New tweets per second, daily average.
        peak_tweets_per_second: New tweets per second at the peak.
        requests_per_day: Requests per day.
        requests_per_second: Requests per second, daily average.
        peak_requests_per_second: Requests per second at the peak.
        tweets_viewed_per_day: Tweets shown to users per day.
        tweets_viewed_per_second: Tweets shown to users per second, daily average.
        storage_bytes_per_day: New data per day, before replication.
        storage_bytes_per_day_by_type: Its text / image / video split.
        storage_bytes_per_year: New data per year, before replication.
        storage_bytes_total: Data kept over the retention period, with replication.
        incoming_bits_per_second: Upload bandwidth for new tweets, daily average.
        incoming_bits_per_second_by_type: Its text / image / video split.
        outgoing_bits_per_second: Download bandwidth for viewed tweets, daily average.
        outgoing_bits_per_second_by_type: Its text / image / video split.
        servers_at_average_load: Servers for the average request rate.
        servers_at_peak: Servers for the peak request rate.
        servers_if_all_requests_in_one_second: Servers if every daily request came at once.
        servers_by_daily_users: The shortcut, daily users / requests per server per second.
        usd_per_hour_at_average_load: Hourly cost of ``servers_at_average_load`` (or None).
        usd_per_hour_at_peak: Hourly cost of ``servers_at_peak`` (or None).
        usd_per_hour_if_all_requests_in_one_second: Hourly cost of that count (or None).
        usd_per_hour_by_daily_users: Hourly cost of ``servers_by_daily_users`` (or None).
        cache_bytes: Memory for the hot share of a day's tweets (text and metadata).

    Examples:
        >>> report = estimate(Workload(500e6))
        >>> report.storage_bytes_per_day_by_type.video
        225000000000000.0
        >>> report._check()  # the invariants hold
    """

    workload: Workload
    tweets_per_day: float
    tweets_per_second: float
    peak_tweets_per_second: float
    requests_per_day: float
    requests_per_second: float
    peak_requests_per_second: float
    tweets_viewed_per_day: float
    tweets_viewed_per_second: float
    storage_bytes_per_day: float
    storage_bytes_per_day_by_type: ByType
    storage_bytes_per_year: float
    storage_bytes_total: float
    incoming_bits_per_second: float
    incoming_bits_per_second_by_type: ByType
    outgoing_bits_per_second: float
    outgoing_bits_per_second_by_type: ByType
    servers_at_average_load: int
    servers_at_peak: int
    servers_if_all_requests_in_one_second: int
    servers_by_daily_users: int
    usd_per_hour_at_average_load: float | None
    usd_per_hour_at_peak: float | None
    usd_per_hour_if_all_requests_in_one_second: float | None
    usd_per_hour_by_daily_users: float | None
    cache_bytes: float

    def _check(self) -> None:
        """Assert the report's invariants (used by tests)."""
        for total, split in (
            (self.storage_bytes_per_day, self.storage_bytes_per_day_by_type),
            (self.incoming_bits_per_second, self.incoming_bits_per_second_by_type),
            (self.outgoing_bits_per_second, self.outgoing_bits_per_second_by_type),
        ):
            assert math.isclose(total, split.total, rel_tol=1e-12, abs_tol=1e-9)
            assert min(split.text, split.image, split.video) >= 0
        assert self.peak_requests_per_second >= self.requests_per_second
        assert self.storage_bytes_per_year == self.storage_bytes_per_day * DAYS_PER_YEAR
        for count in self.server_counts():
            assert count.servers >= 0
            assert count.exact * (1 - 1e-9) <= count.servers < count.exact + 1
            assert getattr(self, _FIELD_OF[count.name]) == count.servers
        assert self.servers_at_average_load <= self.servers_at_peak

    def server_counts(self) -> tuple[ServerCount, ...]:
        """Return the four server counts with their exact values, costs and questions.

        Examples:
            >>> [c.servers for c in estimate(Workload(500e6)).server_counts()]
            [2, 8, 156250, 7813]
        """
        w = self.workload
        capacity = w.requests_per_server_per_second
        exact = {
            "average_load": self.requests_per_second / capacity,
            "peak": self.peak_requests_per_second / capacity,
            "all_requests_in_one_second": self.requests_per_day / capacity,
            "by_daily_users": w.daily_active_users / capacity,
        }
        return tuple(
            ServerCount(
                name=name,
                servers=_servers(value),
                exact=value,
                usd_per_hour=_cost(_servers(value), w.cost_per_server_hour),
                question=SERVER_QUESTIONS[name],
            )
            for name, value in exact.items()
        )

    def explain(self) -> str:
        """Return the derivation step by step, with the numbers substituted.

        Each line gives a formula, the workload's numbers in it, and the result with
        units; the last section says which of the four server counts answers which
        question.

        Examples:
            >>> text = estimate(Workload(500e6)).explain()
            >>> "500M daily users × 3 tweets = 1.5B tweets/day" in text
            True
        """
        from twitterdesign.estimation._explain import explain_report

        return explain_report(self)

    def to_dict(self) -> dict[str, object]:
        """Return every field as a JSON-ready dict (splits and the workload nested).

        Examples:
            >>> estimate(Workload(500e6)).to_dict()["servers_at_peak"]
            8
        """
        out: dict[str, object] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = value.to_dict() if hasattr(value, "to_dict") else value
        out["server_counts"] = [count.to_dict() for count in self.server_counts()]
        return out


_FIELD_OF = {
    "average_load": "servers_at_average_load",
    "peak": "servers_at_peak",
    "all_requests_in_one_second": "servers_if_all_requests_in_one_second",
    "by_daily_users": "servers_by_daily_users",
}


def _servers(exact: float) -> int:
    # Round up, but forgive float noise: 7.000000000001 servers is 7 servers.
    return math.ceil(exact * (1.0 - 1e-12))


def _cost(servers: int, cost_per_server_hour: float | None) -> float | None:
    return None if cost_per_server_hour is None else servers * cost_per_server_hour


def estimate(workload: Workload) -> CapacityReport:
    """Estimate storage, bandwidth, servers and cache for a workload.

    The formulas, with ``D`` the daily active users and ``s = 86,400`` seconds a day:

    - tweets per day ``T = D * tweets_per_user_per_day``; requests per day
      ``R = D * requests_per_user_per_day``; views per day
      ``V = D * tweets_viewed_per_user_per_day``; per second: divide by ``s``.
    - peak rates: average rate times ``peak_to_average``.
    - mean bytes per tweet ``b = text + image_fraction * image_bytes
      + video_fraction * video_bytes``.
    - storage per day ``T * b`` (split by type), per year ``* 365``, total
      ``per year * retention_years * replication_factor``.
    - incoming bandwidth ``T * b * 8 / s``; outgoing ``V * b * 8 / s`` (bits/s).
    - servers, each rounded up: average ``R / s / C``, peak ``R / s * peak / C``, all at
      once ``R / C``, shortcut ``D / C``, with ``C = requests_per_server_per_second``.
    - cache ``cache_hot_fraction * T * text_bytes_per_tweet`` — the hot tweets' text and
      metadata in memory (media are served from the blob store and CDN).

    Every output is non-decreasing in the daily users, and all but the rounded server
    counts are proportional to them.

    Args:
        workload: The assumptions.

    Returns:
        The `CapacityReport`.

    Raises:
        InvalidParameterError: If ``workload`` is not a `Workload`.

    Examples:
        >>> from twitterdesign.units import format_bytes, format_bits_per_second
        >>> report = estimate(Workload(500e6))
        >>> format_bytes(report.storage_bytes_per_day), format_bytes(report.storage_bytes_per_year)
        ('255 TB', '93.2 PB')
        >>> format_bits_per_second(report.outgoing_bits_per_second)
        '394 Gbps'
        >>> report.servers_at_average_load, report.servers_at_peak
        (2, 8)

    References:
        The "System Design: Twitter" lesson, requirements and resource estimation.
    """
    if not isinstance(workload, Workload):
        raise InvalidParameterError("workload", workload, "a twitterdesign.estimation.Workload")
    w = workload
    users = w.daily_active_users
    tweets_per_day = users * w.tweets_per_user_per_day
    requests_per_day = users * w.requests_per_user_per_day
    views_per_day = users * w.tweets_viewed_per_user_per_day
    per_tweet = ByType(
        text=w.text_bytes_per_tweet,
        image=w.image_fraction * w.image_bytes,
        video=w.video_fraction * w.video_bytes,
    )
    stored = _scale(per_tweet, tweets_per_day)
    incoming = _scale(per_tweet, tweets_per_day * BITS_PER_BYTE / SECONDS_PER_DAY)
    outgoing = _scale(per_tweet, views_per_day * BITS_PER_BYTE / SECONDS_PER_DAY)
    per_year = stored.total * DAYS_PER_YEAR
    capacity = w.requests_per_server_per_second
    requests_per_second = requests_per_day / SECONDS_PER_DAY
    peak_requests = requests_per_second * w.peak_to_average
    servers = [
        _servers(requests_per_second / capacity),
        _servers(peak_requests / capacity),
        _servers(requests_per_day / capacity),
        _servers(users / capacity),
    ]
    costs = [_cost(n, w.cost_per_server_hour) for n in servers]
    return CapacityReport(
        workload=w,
        tweets_per_day=tweets_per_day,
        tweets_per_second=tweets_per_day / SECONDS_PER_DAY,
        peak_tweets_per_second=tweets_per_day / SECONDS_PER_DAY * w.peak_to_average,
        requests_per_day=requests_per_day,
        requests_per_second=requests_per_second,
        peak_requests_per_second=peak_requests,
        tweets_viewed_per_day=views_per_day,
        tweets_viewed_per_second=views_per_day / SECONDS_PER_DAY,
        storage_bytes_per_day=stored.total,
        storage_bytes_per_day_by_type=stored,
        storage_bytes_per_year=per_year,
        storage_bytes_total=per_year * w.retention_years * w.replication_factor,
        incoming_bits_per_second=incoming.total,
        incoming_bits_per_second_by_type=incoming,
        outgoing_bits_per_second=outgoing.total,
        outgoing_bits_per_second_by_type=outgoing,
        servers_at_average_load=servers[0],
        servers_at_peak=servers[1],
        servers_if_all_requests_in_one_second=servers[2],
        servers_by_daily_users=servers[3],
        usd_per_hour_at_average_load=costs[0],
        usd_per_hour_at_peak=costs[1],
        usd_per_hour_if_all_requests_in_one_second=costs[2],
        usd_per_hour_by_daily_users=costs[3],
        cache_bytes=w.cache_hot_fraction * tweets_per_day * w.text_bytes_per_tweet,
    )


def _scale(split: ByType, factor: float) -> ByType:
    return ByType(text=split.text * factor, image=split.image * factor, video=split.video * factor)
