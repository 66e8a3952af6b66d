"""A load generator: a synthetic Twitter population replayed through the HTTP API.

`run_demo` registers a population of accounts on a power-law follower graph from
`twitterdesign.timeline` (plus a few celebrities), then replays a workload against a
running server — posts with hashtags, replies, likes, retweets, views, home-timeline reads
and searches (`ACTION_MIX`) — and measures it from the client's side: requests per second,
p50/p99 latency per endpoint (`EndpointStats`), how long a post takes to reach an active
follower's home timeline, the server's fan-out counters, the top-k trends with their
bounds, and what the same mix would need at Twitter's scale
(`twitterdesign.estimation.estimate`).

It is a client: it speaks HTTP to any server with the reference app's API and imports
nothing from `twitterdesign.reference_app`. ``twitterdesign demo`` starts a server on a
free loopback port with a temporary data directory and runs this against it.

Examples:
    Against a server started with ``twitterdesign serve --no-rate-limits``:

    >>> from twitterdesign.loadgen import DemoConfig, run_demo
    >>> config = DemoConfig(users=500, requests=2000, concurrency=8)
    >>> report = run_demo("http://127.0.0.1:8000", config)  # doctest: +SKIP
    >>> report.requests_per_second  # doctest: +SKIP
    1234.5

    The configuration is checked up front:

    >>> config.fanout_threshold
    250
    >>> sum(share for _, share in ACTION_MIX)
    1.0
"""

from __future__ import annotations

from twitterdesign.loadgen._config import ACTION_MIX, DEMO_PASSWORD, DemoConfig
from twitterdesign.loadgen._report import DemoReport, EndpointStats
from twitterdesign.loadgen._runner import run_demo
from twitterdesign.loadgen._session import ProgressFn

__all__ = [
    "ACTION_MIX",
    "DEMO_PASSWORD",
    "DemoConfig",
    "DemoReport",
    "EndpointStats",
    "ProgressFn",
    "run_demo",
]
