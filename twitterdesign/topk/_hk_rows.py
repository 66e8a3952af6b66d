"""HeavyKeeper's batch kernel: every bucket sees its own arrivals in arrival order.

A HeavyKeeper bucket evolves from its own arrivals only, so a batch can be replayed
bucket by bucket instead of event by event, with the same distribution as feeding the
events one at a time. Consecutive arrivals of one item at one bucket form a *run*
(``w`` consecutive arrivals are one weighted update, exactly). The runs of a row are
replayed in rounds: round ``t`` applies the ``t``-th run of every bucket at once with
numpy; when few buckets still have runs left (a bucket that many items fight over),
the rest is replayed by a plain loop, which is cheaper there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

# Decay probabilities below this are taken as 0 (b**-c underflows long before).
_TINY_P = 1e-300
# Rounds that would touch fewer buckets than this are replayed by the scalar loop.
_MIN_ROUND = 64


def decay_run(c: int, left: int, b: float, geometric: Any) -> tuple[int, int]:
    """Apply ``left`` arrivals of a non-owner to a bucket holding count ``c > 0``.

    Each arrival decays the count by one with probability ``b**-c``; the number of
    arrivals until the next decay is geometric.

    Returns:
        ``(count, taken)``: the bucket's new count, and whether the arrivals took the
        bucket over (then ``count`` is the new owner's count, at least 1).
    """
    while left > 0 and c > 0:
        p = b ** (-c)
        # A count this large never decays in practice (p underflows).
        tries = int(geometric(p)) if p > _TINY_P else left + 1
        if tries > left:
            return c, False
        left -= tries
        c -= 1
    if c > 0:
        return c, False
    # The decay that reached zero is the arrival that takes the bucket.
    return left + 1, True


def replay_row(
    fps_row: U64,
    counts_row: I64,
    cells: I64,
    fps: U64,
    weights: I64,
    b: float,
    rng: np.random.Generator,
) -> None:
    """Replay one row's arrivals (in order) into ``fps_row`` / ``counts_row`` in place.

    Args:
        fps_row: The row's bucket owners.
        counts_row: The row's bucket counts.
        cells: The bucket of each arrival in this row.
        fps: The fingerprint of each arrival.
        weights: The weight of each arrival (``w`` consecutive arrivals).
        b: The decay base.
        rng: Source of the decay draws.
    """
    order = np.argsort(cells, kind="stable")  # per bucket, arrival order kept
    cells, fps, weights = cells[order], fps[order], weights[order]
    n = len(cells)
    starts = np.ones(n, dtype=bool)
    starts[1:] = (cells[1:] != cells[:-1]) | (fps[1:] != fps[:-1])
    at = np.flatnonzero(starts)
    run_cell, run_fp = cells[at], fps[at]
    run_w = np.add.reduceat(weights, at)
    # Rank of each run within its bucket (runs are grouped by bucket, in order).
    new_bucket = np.ones(len(at), dtype=bool)
    new_bucket[1:] = run_cell[1:] != run_cell[:-1]
    first = np.flatnonzero(new_bucket)
    sizes = np.diff(np.append(first, len(at)))
    rank = np.arange(len(at)) - np.repeat(first, sizes)
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(int(sizes.max()) + 1))
    t = 0
    while t < len(bounds) - 1 and bounds[t + 1] - bounds[t] >= _MIN_ROUND:
        sel = by_rank[bounds[t] : bounds[t + 1]]
        _round(fps_row, counts_row, run_cell[sel], run_fp[sel], run_w[sel], b, rng)
        t += 1
    if t < len(bounds) - 1:
        rest = np.flatnonzero(rank >= t)  # grouped by bucket, in arrival order
        _replay_loop(fps_row, counts_row, run_cell[rest], run_fp[rest], run_w[rest], b, rng)


def _round(
    fps_row: U64, counts_row: I64, cell: I64, fp: U64, w: I64, b: float, rng: np.random.Generator
) -> None:
    """Apply one run to each of several distinct buckets at once."""
    owner, c = fps_row[cell], counts_row[cell].copy()
    fight = np.flatnonzero((c > 0) & (owner != fp))
    left = w.copy()
    cf, lf = c[fight], left[fight]
    active = np.arange(len(fight))
    while len(active):
        p = b ** (-cf[active].astype(np.float64))
        live = p > _TINY_P
        tries = np.full(len(active), np.iinfo(np.int64).max, dtype=np.int64)
        tries[live] = rng.geometric(p[live])
        hit = tries <= lf[active]
        lf[active] = np.where(hit, lf[active] - tries, 0)
        cf[active] -= hit
        active = active[hit & (cf[active] > 0)]
    taken = cf == 0
    # Uncontested buckets (empty, or owned by this run's item) add the run; a fought-over
    # bucket either keeps its owner with the decayed count or is taken over, counting
    # the arrival that emptied it and those after it.
    new_c = c + w
    new_c[fight] = np.where(taken, lf + 1, cf)
    take = np.ones(len(cell), dtype=bool)
    take[fight[~taken]] = False
    fps_row[cell[take]] = fp[take]
    counts_row[cell] = new_c


def _replay_loop(
    fps_row: U64, counts_row: I64, cell: I64, fp: U64, w: I64, b: float, rng: np.random.Generator
) -> None:
    """Apply runs one at a time (grouped by bucket, each bucket's in arrival order)."""
    geometric = rng.geometric
    touched = np.unique(cell)
    owners = dict(zip(touched.tolist(), fps_row[touched].tolist(), strict=True))
    counts = dict(zip(touched.tolist(), counts_row[touched].tolist(), strict=True))
    for j, f, left in zip(cell.tolist(), fp.tolist(), w.tolist(), strict=True):
        c = counts[j]
        if c > 0 and owners[j] != f:
            c, taken = decay_run(c, left, b, geometric)
            counts[j] = c
            if taken:
                owners[j] = f
            continue
        owners[j] = f
        counts[j] = c + left
    fps_row[touched] = np.fromiter(owners.values(), dtype=np.uint64, count=len(owners))
    counts_row[touched] = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
