"""twitterdesign: the "System Design: Twitter" lesson as working, measured software.

Subpackages (import the one you need; each is light on its own):

- :mod:`twitterdesign.estimation` — capacity estimators, presets, regional plans.
- :mod:`twitterdesign.topk` — heavy-hitter and frequency sketches, trends, sharded counters.
- :mod:`twitterdesign.lb` — client-side load balancing, hashing routers, simulator.
- :mod:`twitterdesign.timeline` — follower graphs, fan-out policies, timeline caches.
- :mod:`twitterdesign.quiz` — the lesson's quiz.
- :mod:`twitterdesign.reference_app` — a Mastodon-compatible reference backend.

Example:
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
