"""Timelines and fan-out: follower graphs, fan-out policies, timeline caches, a simulator.

The home timeline can be built by pushing each tweet into every follower's cache when it
is written (`PushAll`), by pulling from every followee when it is read
(`PullAll`), by a hybrid that pulls only accounts above a follower threshold
(`HybridThreshold`, Twitter's celebrity exception), or edge by edge
(`PerEdgeOptimal`, Feeding Frenzy's rule). This module generates Twitter-like
follower graphs, measures what each policy costs, and keeps capped timeline caches.

Examples:
    >>> from twitterdesign.timeline import (
    ...     HybridThreshold, PushAll, activity_model, evaluate_policy, power_law_graph)
    >>> graph = power_law_graph(10_000, rng=1)
    >>> activity = activity_model(graph, rng=2)
    >>> push = evaluate_policy(graph, activity, PushAll()).total_cost_per_s
    >>> hybrid = evaluate_policy(graph, activity, HybridThreshold(1_000)).total_cost_per_s
    >>> hybrid < push
    True
"""

from twitterdesign.timeline._activity import SECONDS_PER_DAY, Activity, activity_model
from twitterdesign.timeline._cache import TWITTER_2012_BYTES_PER_ENTRY, CacheStats, TimelineCache
from twitterdesign.timeline._cost import (
    PolicyCost,
    ThresholdSweep,
    default_thresholds,
    evaluate_policy,
    threshold_sweep,
)
from twitterdesign.timeline._generators import add_celebrities, power_law_graph
from twitterdesign.timeline._graph import FollowerGraph
from twitterdesign.timeline._policies import (
    FanoutPolicy,
    HybridThreshold,
    PerEdgeOptimal,
    PullAll,
    PushAll,
)
from twitterdesign.timeline._powerlaw import PowerLawFit, fit_power_law_exponent, hurwitz_zeta
from twitterdesign.timeline._presets import (
    TIMELINE_PRESETS,
    ScaledTimelinePreset,
    TimelinePreset,
    timeline_preset,
)
from twitterdesign.timeline._simulate import (
    DELAY_LEVELS,
    FanoutCost,
    delivery_delay_quantiles,
    simulate_fanout,
)

__all__ = [
    "DELAY_LEVELS",
    "SECONDS_PER_DAY",
    "TIMELINE_PRESETS",
    "TWITTER_2012_BYTES_PER_ENTRY",
    "Activity",
    "CacheStats",
    "FanoutCost",
    "FanoutPolicy",
    "FollowerGraph",
    "HybridThreshold",
    "PerEdgeOptimal",
    "PolicyCost",
    "PowerLawFit",
    "PullAll",
    "PushAll",
    "ScaledTimelinePreset",
    "ThresholdSweep",
    "TimelineCache",
    "TimelinePreset",
    "activity_model",
    "add_celebrities",
    "default_thresholds",
    "delivery_delay_quantiles",
    "evaluate_policy",
    "fit_power_law_exponent",
    "hurwitz_zeta",
    "power_law_graph",
    "simulate_fanout",
    "threshold_sweep",
    "timeline_preset",
]
