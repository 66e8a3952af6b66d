"""Parametric numeric questions: inputs drawn from a seeded rng, answers computed by the library.

A template never contains an answer. It draws assumptions, asks the library module that
owns the formula (`twitterdesign.estimation`, `twitterdesign.timeline`,
`twitterdesign.topk`, `twitterdesign.lb`) for the result, and writes the prompt
and the explanation around the numbers it got back — so a question can never drift from
the code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from twitterdesign.quiz import _tpl_estimation as est
from twitterdesign.quiz import _tpl_systems as sysq
from twitterdesign.quiz._model import Difficulty
from twitterdesign.quiz._template_base import Draft, QuestionTemplate

__all__ = ["ALL_TEMPLATES", "QuestionTemplate", "available_templates"]


def _t(
    id_: str,
    topic: str,
    difficulty: Difficulty,
    link: str,
    summary: str,
    requires: str,
    build: Callable[[np.random.Generator], Draft],
) -> QuestionTemplate:
    return QuestionTemplate(id_, topic, difficulty, link, summary, requires, build)


#: Every template, whether or not the module it needs is importable right now.
ALL_TEMPLATES: tuple[QuestionTemplate, ...] = (
    _t(
        "est-tpl-storage-per-day",
        "estimation",
        "medium",
        "explanation/estimation.md#storage",
        "New storage per day from users, tweets and media mix",
        "twitterdesign.estimation",
        est.storage_per_day,
    ),
    _t(
        "est-tpl-storage-per-year",
        "estimation",
        "medium",
        "explanation/estimation.md#storage",
        "New storage per year",
        "twitterdesign.estimation",
        est.storage_per_year,
    ),
    _t(
        "est-tpl-incoming-bandwidth",
        "estimation",
        "medium",
        "explanation/estimation.md#bandwidth",
        "Average incoming bandwidth",
        "twitterdesign.estimation",
        est.incoming,
    ),
    _t(
        "est-tpl-outgoing-bandwidth",
        "estimation",
        "hard",
        "explanation/estimation.md#bandwidth",
        "Average outgoing bandwidth",
        "twitterdesign.estimation",
        est.outgoing,
    ),
    _t(
        "est-tpl-servers-at-peak",
        "estimation",
        "medium",
        "explanation/estimation.md#four-server-counts",
        "Servers at the 80/20 peak",
        "twitterdesign.estimation",
        est.servers_at_peak,
    ),
    _t(
        "est-tpl-servers-one-second",
        "estimation",
        "easy",
        "explanation/estimation.md#four-server-counts",
        "Servers if every request came in one second",
        "twitterdesign.estimation",
        est.servers_one_second,
    ),
    _t(
        "est-tpl-servers-by-users",
        "estimation",
        "easy",
        "explanation/estimation.md#four-server-counts",
        "The daily-users shortcut",
        "twitterdesign.estimation",
        est.servers_by_users,
    ),
    _t(
        "est-tpl-server-capacity",
        "estimation",
        "medium",
        "explanation/estimation.md#server-capacity",
        "Requests per second of a CPU-bound server",
        "twitterdesign.estimation",
        est.server_capacity_question,
    ),
    _t(
        "est-tpl-peak-factor",
        "estimation",
        "easy",
        "explanation/estimation.md#traffic",
        "Peak-to-average factor from a busy window",
        "twitterdesign.estimation",
        est.peak_factor_question,
    ),
    _t(
        "regions-tpl-apportion",
        "regions",
        "medium",
        "explanation/estimation.md#the-regional-plan",
        "Whole servers per region by largest remainder",
        "twitterdesign.estimation",
        est.region_servers,
    ),
    _t(
        "regions-tpl-country-bandwidth",
        "regions",
        "easy",
        "explanation/estimation.md#the-regional-plan",
        "A country's share of outgoing bandwidth",
        "twitterdesign.estimation",
        est.country_bandwidth,
    ),
    _t(
        "storage-tpl-hybrid-fanout",
        "storage",
        "medium",
        "explanation/timelines.md#the-cost-model",
        "Timeline-cache writes under hybrid fan-out",
        "twitterdesign.timeline",
        sysq.hybrid_fanout,
    ),
    _t(
        "topk-tpl-cms-width",
        "topk",
        "medium",
        "explanation/topk.md#count-min-cormode-muthukrishnan-2005",
        "Count-Min width for a given epsilon",
        "twitterdesign.topk",
        sysq.cms_width,
    ),
    _t(
        "topk-tpl-cms-depth",
        "topk",
        "medium",
        "explanation/topk.md#count-min-cormode-muthukrishnan-2005",
        "Count-Min depth for a given delta",
        "twitterdesign.topk",
        sysq.cms_depth,
    ),
    _t(
        "lb-tpl-balls-into-bins",
        "load-balancing",
        "hard",
        "explanation/load-balancing.md#request-policies",
        "Max-load term of balls into bins, one or more choices",
        "twitterdesign.lb",
        sysq.balls_into_bins_question,
    ),
    _t(
        "lb-tpl-aperture-width",
        "load-balancing",
        "hard",
        "explanation/load-balancing.md#sessions-the-lessons-path",
        "Deterministic aperture slice width",
        "twitterdesign.lb",
        sysq.aperture_width_question,
    ),
    _t(
        "lb-tpl-aperture-connections",
        "load-balancing",
        "hard",
        "explanation/load-balancing.md#sessions-the-lessons-path",
        "Connections under deterministic aperture",
        "twitterdesign.lb",
        sysq.aperture_connections,
    ),
)

_NEEDS: dict[str, tuple[str, ...]] = {
    "twitterdesign.estimation": (
        "Workload",
        "estimate",
        "server_capacity",
        "peak_factor",
        "apportion",
        "allocate_regions",
    ),
    "twitterdesign.timeline": ("Activity", "FollowerGraph", "HybridThreshold", "evaluate_policy"),
    "twitterdesign.topk": ("CountMinSketch",),
    "twitterdesign.lb": ("aperture_width", "balls_into_bins", "connection_plan"),
}


def available_templates() -> tuple[QuestionTemplate, ...]:
    """Return the templates whose library module is installed and exposes what they use.

    Returns:
        A subset of `ALL_TEMPLATES`, in the same order.

    Examples:
        >>> set(available_templates()) <= set(ALL_TEMPLATES)
        True
    """
    ready: dict[str, bool] = {}
    for module_name, names in _NEEDS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            ready[module_name] = False
            continue
        ready[module_name] = all(hasattr(module, n) for n in names)
    return tuple(t for t in ALL_TEMPLATES if ready.get(t.requires, False))
