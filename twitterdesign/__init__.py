"""twitterdesign: the "System Design: Twitter" lesson as working, measured software.

Subpackages (import the one you need; each is light on its own):

- `twitterdesign.estimation` — capacity estimators, presets, regional plans.
- `twitterdesign.topk` — heavy-hitter and frequency sketches, trends, sharded counters.
- `twitterdesign.lb` — client-side load balancing, hashing routers, simulator.
- `twitterdesign.timeline` — follower graphs, fan-out policies, timeline caches.
- `twitterdesign.quiz` — the lesson's quiz.
- `twitterdesign.reference_app` — a Mastodon-compatible reference backend.

Examples:
    >>> import twitterdesign
    >>> isinstance(twitterdesign.__version__, str)
    True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("twitterdesign")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
