"""Speed of the estimation module, as ratios against baselines run in the same process.

The estimator is arithmetic, so absolute times are microseconds; what matters is that
validation, the result dataclasses and the derived analyses stay cheap relative to the
bare formulas, and that ``twitterdesign estimate`` adds little to the command's own
start-up. Each ratio is the best
of several repeats (the machine is shared and noisy) and is compared with a budget.

Writes ``benchmarks/results/estimation.json`` and ``benchmarks/results/estimation.md``.

Run: ``python benchmarks/estimation_bench.py``
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from twitterdesign.estimation import (
    PRESETS,
    SENSITIVITY_INPUTS,
    Workload,
    allocate_regions,
    estimate,
    sensitivity,
)

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 7


def best_seconds(fn: Callable[[], object], number: int) -> float:
    """Return the best per-call time over REPEATS runs of ``number`` calls."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def bare_formulas(w: Workload) -> tuple[float, ...]:
    """The baseline: the same formulas inline, no validation and no result objects."""
    d = w.daily_active_users
    tweets = d * w.tweets_per_user_per_day
    per_tweet = (
        w.text_bytes_per_tweet + w.image_fraction * w.image_bytes + w.video_fraction * w.video_bytes
    )
    day = tweets * per_tweet
    rps = d * w.requests_per_user_per_day / 86_400
    return (
        day,
        day * 365,
        day * 365 * w.retention_years * w.replication_factor,
        day * 8 / 86_400,
        d * w.tweets_viewed_per_user_per_day * per_tweet * 8 / 86_400,
        -(-rps // w.requests_per_server_per_second),
        -(-rps * w.peak_to_average // w.requests_per_server_per_second),
    )


def command_seconds(argv: list[str]) -> float:
    """Best wall time of a fresh Python process running ``argv``."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, *argv], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Measure, compare with the budgets, write JSON and Markdown."""
    w = PRESETS["lesson"].workload
    report = estimate(w)
    t_bare = best_seconds(lambda: bare_formulas(w), 20_000)
    t_estimate = best_seconds(lambda: estimate(w), 2_000)
    t_regions = best_seconds(lambda: allocate_regions(report), 500)
    t_with = best_seconds(lambda: w.with_(video_bytes=3.3e6), 2_000)
    t_sensitivity = best_seconds(lambda: sensitivity(w), 50)
    per_perturbation = t_sensitivity / (2 * len(SENSITIVITY_INPUTS))
    t_help = command_seconds(["-m", "twitterdesign", "--help"])
    t_cli = command_seconds(["-m", "twitterdesign", "estimate"])
    rows = [
        {
            "measure": "estimate() vs the bare formulas",
            "ratio": t_estimate / t_bare,
            "budget": 50.0,
            "detail": f"{t_estimate * 1e6:.1f} µs vs {t_bare * 1e6:.2f} µs",
        },
        {
            "measure": "allocate_regions() vs estimate()",
            "ratio": t_regions / t_estimate,
            "budget": 25.0,
            "detail": f"{t_regions * 1e6:.1f} µs",
        },
        {
            "measure": "sensitivity(), per perturbed input, vs with_() + estimate()",
            "ratio": per_perturbation / (t_with + t_estimate),
            "budget": 1.5,
            "detail": f"{t_sensitivity * 1e3:.2f} ms for all {2 * len(SENSITIVITY_INPUTS)}",
        },
        {
            "measure": "`twitterdesign estimate` vs `twitterdesign --help` (fresh process)",
            "ratio": t_cli / t_help,
            "budget": 1.5,
            "detail": f"{t_cli * 1e3:.0f} ms vs {t_help * 1e3:.0f} ms",
        },
    ]
    for row in rows:
        row["within_budget"] = row["ratio"] <= row["budget"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "estimation.json").write_text(
        json.dumps({"python": sys.version.split()[0], "results": rows}, indent=2) + "\n",
        encoding="utf-8",
    )
    lines = [
        "| measure | ratio | budget | within | absolute (this run) |",
        "|---|---:|---:|:---:|---|",
    ]
    for row in rows:
        mark = "yes" if row["within_budget"] else "**no**"
        lines.append(
            f"| {row['measure']} | {row['ratio']:.2f}× | ≤ {row['budget']:g}× | {mark} "
            f"| {row['detail']} |"
        )
    (RESULTS / "estimation.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
