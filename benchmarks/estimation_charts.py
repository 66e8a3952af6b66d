"""Draw the estimation chapter's figures from the library's own numbers.

Writes ``docs/figures/estimation-sensitivity.png`` (a tornado chart: which assumption of
the lesson's workload moves each output most, ±10% one at a time) and
``docs/figures/estimation-regions.png`` (servers, users and bandwidth per region from the
January 2022 country-wise userbase).

Run: ``python benchmarks/estimation_charts.py``
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from twitterdesign.estimation import (
    PRESETS,
    allocate_regions,
    estimate,
    sensitivity,
)

FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"

OUTPUT_TITLES = {
    "storage_bytes_total": "Storage kept (retention × replication)",
    "outgoing_bits_per_second": "Outgoing bandwidth",
    "servers_at_peak_exact": "Servers at peak (unrounded)",
}


def tornado(path: Path, *, relative_change: float = 0.1) -> None:
    """Draw one tornado panel per output for the lesson preset."""
    report = sensitivity(PRESETS["lesson"].workload, relative_change=relative_change)
    fig, axes = plt.subplots(1, len(OUTPUT_TITLES), figsize=(15, 5.2), sharey=False)
    for ax, (output, title) in zip(axes, OUTPUT_TITLES.items(), strict=True):
        bars = [b for b in report.for_output(output) if b.swing > 0][:8][::-1]
        labels = [b.input.replace("_", " ") for b in bars]
        lows = [100 * b.relative()[0] for b in bars]
        highs = [100 * b.relative()[1] for b in bars]
        y = range(len(bars))
        ax.barh(y, lows, color="#4c72b0", label=f"input −{relative_change:.0%}")
        ax.barh(y, highs, color="#dd8452", label=f"input +{relative_change:.0%}")
        ax.set_yticks(list(y), labels, fontsize=9)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("change of the output (%)")
        ax.set_title(title, fontsize=11)
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle(
        f"Which assumption moves the lesson's estimate most (each input ±{relative_change:.0%})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def regions(path: Path) -> None:
    """Draw servers at peak and users/bandwidth share per region for the lesson preset."""
    report = estimate(PRESETS["lesson"].workload)
    plan = allocate_regions(report, basis="peak", min_servers_per_region=1)
    scaled = allocate_regions(report, basis="by_daily_users", min_servers_per_region=1)
    names = [r.name for r in plan.regions]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    y = range(len(names))
    left.barh(y, [100 * r.user_share for r in plan.regions], color="#55a868")
    left.set_yticks(list(y), names)
    left.invert_yaxis()
    left.set_xlabel("share of users = share of bandwidth and storage (%)")
    for i, r in enumerate(plan.regions):
        left.annotate(
            f"{r.users / 1e6:.0f}M users, {r.outgoing_bits_per_second / 1e9:.0f} Gbps out",
            (100 * r.user_share, i),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    left.set_xlim(0, 100 * max(r.user_share for r in plan.regions) * 1.9)
    left.set_title("Users per region (Statista, Jan 2022; rest = 397M − top 10)")
    width = 0.4
    right.barh(
        [i - width / 2 for i in y],
        [r.servers for r in plan.regions],
        width,
        label=f"peak: {plan.total_servers} servers",
        color="#dd8452",
    )
    right.barh(
        [i + width / 2 for i in y],
        [r.servers for r in scaled.regions],
        width,
        label=f"shortcut: {scaled.total_servers:,} servers",
        color="#4c72b0",
    )
    right.set_xscale("log")
    right.set_yticks(list(y), names)
    right.invert_yaxis()
    right.set_xlabel("servers (log scale; largest remainder, at least 1 per region)")
    right.set_title("Servers per region: peak load vs the daily-users shortcut")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    """Write both figures."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    tornado(FIGURES / "estimation-sensitivity.png")
    regions(FIGURES / "estimation-regions.png")


if __name__ == "__main__":
    main()
