"""The demo's request mix at the lesson's scale, sized with the measured server speed."""

from __future__ import annotations

from typing import Any

from twitterdesign.loadgen._config import ACTION_MIX

__all__ = ["capacity_at_scale"]

_DAILY_USERS = 500e6
_REQUESTS_PER_USER_PER_DAY = 20.0  # the lesson's requests per daily user
_STATUSES_PER_PAGE = 20  # a timeline read or search shows this many tweets


def capacity_at_scale(measured_rps: float) -> dict[str, Any]:
    """Estimate what `ACTION_MIX` needs for 500M daily users at ``measured_rps`` per server.

    Args:
        measured_rps: Requests per second one server sustained in the replay.

    Returns:
        The workload derived from the mix and the `twitterdesign.estimation.estimate`
        figures (tweets, requests, storage, bandwidth, servers), JSON-ready.

    Examples:
        >>> capacity_at_scale(1000.0)["servers_at_average_load"] > 100
        True
    """
    from twitterdesign.estimation import Workload, estimate

    shares = dict(ACTION_MIX)
    per_day = _REQUESTS_PER_USER_PER_DAY
    writes = shares["post"] + shares["reply"] + shares["retweet"]
    viewed = (
        shares["home"] * _STATUSES_PER_PAGE + shares["view"] + shares["search"] * _STATUSES_PER_PAGE
    )
    workload = Workload(
        _DAILY_USERS,
        requests_per_user_per_day=per_day,
        tweets_per_user_per_day=per_day * writes,
        tweets_viewed_per_user_per_day=per_day * viewed,
        requests_per_server_per_second=max(measured_rps, 1.0),
    )
    report = estimate(workload)
    return {
        "daily_active_users": _DAILY_USERS,
        "tweets_per_user_per_day": round(per_day * writes, 2),
        "tweets_viewed_per_user_per_day": round(per_day * viewed, 2),
        "requests_per_server_per_second": round(measured_rps, 1),
        "tweets_per_day": report.tweets_per_day,
        "requests_per_second": report.requests_per_second,
        "peak_requests_per_second": report.peak_requests_per_second,
        "storage_bytes_per_day": report.storage_bytes_per_day,
        "outgoing_bits_per_second": report.outgoing_bits_per_second,
        "servers_at_average_load": report.servers_at_average_load,
        "servers_at_peak": report.servers_at_peak,
    }
