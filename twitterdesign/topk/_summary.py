"""Vectorized combine steps shared by Space-Saving, Misra-Gries and the decayed top-k.

Both counter-based summaries absorb a batch the same way they merge another summary:
the batch is first summed per distinct item (an exact summary), then combined with the
table in one numpy pass. The proofs that the error bounds survive are in the docstrings
of `SpaceSaving` and `MisraGries`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from twitterdesign.topk._arrow import ArrowItems
from twitterdesign.topk._base import Item
from twitterdesign.topk._packed import Distinct, content_keys, key_digest, pack

Keys = npt.NDArray[np.int64] | list[Item] | Distinct | ArrowItems
Arr = npt.NDArray[Any]


def locate(a_keys: list[Item], a_pos: dict[Item, int], b_keys: Keys) -> tuple[Arr, Arr]:
    """Match two key sets.

    Args:
        a_keys: The table's keys.
        a_pos: The table's index: each of ``a_keys`` mapped to its position.
        b_keys: The batch's (or other table's) distinct keys.

    Returns:
        ``(b_index_of_a, b_in_a)``: for each key of ``a`` the index of the same key in
        ``b`` (``-1`` if absent), and a boolean mask over ``b`` of keys present in ``a``.
    """
    b_index_of_a = np.full(len(a_keys), -1, dtype=np.int64)
    if not a_keys or not len(b_keys):
        return b_index_of_a, np.zeros(len(b_keys), dtype=bool)
    if len(b_keys) < len(a_keys):
        # A small batch: look its keys up in the table's own index.
        b_list = b_keys if isinstance(b_keys, list) else b_keys.tolist()
        pos = a_pos.get
        a_of_b = np.fromiter((pos(k, -1) for k in b_list), dtype=np.int64, count=len(b_list))
        b_in_a = a_of_b >= 0
        b_index_of_a[a_of_b[b_in_a]] = np.flatnonzero(b_in_a)
        return b_index_of_a, b_in_a
    if isinstance(b_keys, np.ndarray):
        return _locate_ints(a_keys, b_keys)
    if isinstance(b_keys, ArrowItems):
        # An Arrow batch: Arrow's hash lookup finds the batch's keys in the table's.
        found = b_keys.positions_in(a_keys)
        if found is not None:
            b_in_a = found >= 0
            b_index_of_a[found[b_in_a]] = np.flatnonzero(b_in_a)
            return b_index_of_a, b_in_a
        b_keys = b_keys.tolist()
    if isinstance(b_keys, Distinct):
        # Many batch keys: match digests rather than building the batch's keys at all.
        matched = _locate_by_digest(a_keys, b_keys)
        if matched is not None:
            b_in_a = np.zeros(len(b_keys), dtype=bool)
            b_in_a[matched[matched >= 0]] = True
            return matched, b_in_a
        b_keys = b_keys.tolist()
    # Index the (large) batch side with one C-level dict build, then look up only the
    # table's keys: far cheaper than a Python-level lookup per batch key.
    get = dict(zip(b_keys, range(len(b_keys)), strict=True)).get
    b_index_of_a = np.fromiter((get(k, -1) for k in a_keys), dtype=np.int64, count=len(a_keys))
    b_in_a = np.zeros(len(b_keys), dtype=bool)
    b_in_a[b_index_of_a[b_index_of_a >= 0]] = True
    return b_index_of_a, b_in_a


def _locate_ints(a_keys: list[Item], b_keys: npt.NDArray[np.int64]) -> tuple[Arr, Arr]:
    """`locate` for a large int64 batch: search each batch key in the sorted table."""
    b_index_of_a = np.full(len(a_keys), -1, dtype=np.int64)
    b_in_a = np.zeros(len(b_keys), dtype=bool)
    int_pos = np.asarray([i for i, k in enumerate(a_keys) if type(k) is int], dtype=np.int64)
    if not len(int_pos):
        return b_index_of_a, b_in_a
    a_int = np.asarray([a_keys[i] for i in int_pos.tolist()], dtype=np.int64)
    order = np.argsort(a_int)
    sorted_a = a_int[order]
    p = np.minimum(np.searchsorted(sorted_a, b_keys), len(sorted_a) - 1)
    idx_in_b = np.flatnonzero(sorted_a[p] == b_keys)
    b_index_of_a[int_pos[order[p[idx_in_b]]]] = idx_in_b
    b_in_a[idx_in_b] = True
    return b_index_of_a, b_in_a


def _locate_by_digest(a_keys: list[Item], b_keys: Distinct) -> Arr | None:
    """`locate` for a grouped string batch: match content digests, then confirm each match.

    Returns:
        For each key of ``a`` the index of the same key in ``b`` (-1 if absent), or None
        when ``a`` is not a packable batch or two different keys share a digest.
    """
    packed = pack(a_keys)
    if packed is None:
        return None
    fa = key_digest(content_keys(packed))
    order = np.argsort(fa)
    fa_sorted = fa[order]
    if bool(np.any(fa_sorted[1:] == fa_sorted[:-1])):
        return None
    pos = np.minimum(np.searchsorted(fa_sorted, b_keys.digests), len(fa_sorted) - 1)
    in_b = np.flatnonzero(fa_sorted[pos] == b_keys.digests)
    in_a = order[pos[in_b]]
    out = np.full(len(a_keys), -1, dtype=np.int64)
    out[in_a] = in_b
    if any(a != b for a, b in zip(take_keys(a_keys, in_a), b_keys.take(in_b), strict=True)):
        return None
    return out


def gather(values: Arr, idx: Arr, fill: Any) -> Arr:
    """Return ``values[idx]`` with ``fill`` where ``idx`` is -1 (``values`` may be empty)."""
    if not len(values):
        return np.full(len(idx), fill, dtype=np.result_type(values.dtype, type(fill)))
    return np.where(idx >= 0, values[np.maximum(idx, 0)], fill)


def take_keys(keys: Keys, idx: Arr) -> list[Item]:
    """Return the keys at ``idx`` as a list of canonical items."""
    if isinstance(keys, np.ndarray):
        return list(keys[idx].tolist())
    if isinstance(keys, Distinct):
        return keys.take(idx)
    if isinstance(keys, ArrowItems):
        return keys.take_items(idx)
    return list(map(keys.__getitem__, idx.tolist()))


def top_indices(values: Arr, count: int) -> Arr:
    """Indices of the ``count`` largest values, in ascending index order."""
    if len(values) <= count:
        return np.arange(len(values))
    sel = np.argpartition(-values, count - 1)[:count]
    sel.sort()
    return sel


def space_saving_combine(
    capacity: int,
    a_keys: list[Item],
    a_pos: dict[Item, int],
    a_up: Arr,
    a_lo: Arr,
    a_floor: Any,
    b_keys: Keys,
    b_up: Arr,
    b_lo: Arr,
    b_floor: Any,
) -> tuple[list[Item], Arr, Arr, Any]:
    """Combine two Space-Saving tables (the second may be an exact batch, floor 0).

    Every candidate gets ``upper = up_a + up_b`` and ``lower = lo_a + lo_b``, where a key
    missing from one side contributes that side's floor to the upper bound and 0 to the
    lower. The ``capacity`` largest uppers are kept (ties keep ``a``'s keys first); the
    new floor is ``max(a_floor + b_floor, largest evicted upper)``.

    Returns:
        ``(keys, upper, lower, floor)`` of the combined table.
    """
    b_index_of_a, b_in_a = locate(a_keys, a_pos, b_keys)
    up_a = a_up + gather(b_up, b_index_of_a, b_floor)
    lo_a = a_lo + gather(b_lo, b_index_of_a, 0)
    new_idx = np.flatnonzero(~b_in_a)
    up_new = b_up[new_idx] + a_floor
    floor = a_floor + b_floor
    if len(a_keys) + len(new_idx) > capacity:
        sel = top_indices(up_new, capacity + 1)
        new_idx, up_new = new_idx[sel], up_new[sel]
    lo_new = b_lo[new_idx]
    ups = np.concatenate([up_a, up_new])
    los = np.concatenate([lo_a, lo_new])
    if len(ups) > capacity:
        order = np.argsort(-ups, kind="stable")
        floor = max(floor, ups[order[capacity]])
        keep = np.sort(order[:capacity])
    else:
        keep = np.arange(len(ups))
    n_a = len(a_keys)
    keep_a = keep[keep < n_a]
    keep_new = keep[keep >= n_a] - n_a
    keys = take_keys(a_keys, keep_a) + take_keys(b_keys, new_idx[keep_new])
    return keys, ups[keep], los[keep], floor


def misra_gries_combine(
    k: int,
    a_keys: list[Item],
    a_pos: dict[Item, int],
    a_counts: Arr,
    b_keys: Keys,
    b_counts: Arr,
) -> tuple[list[Item], Arr, int]:
    """Combine two Misra-Gries tables (Agarwal et al. 2012): add, then cut at the k+1-th.

    Returns:
        ``(keys, counts, decrement)``: the surviving keys and counters and the amount
        ``δ`` subtracted from every counter (0 when at most ``k`` keys remain).
    """
    b_index_of_a, b_in_a = locate(a_keys, a_pos, b_keys)
    c_a = a_counts + gather(b_counts, b_index_of_a, 0)
    new_idx = np.flatnonzero(~b_in_a)
    c_new = b_counts[new_idx]
    if len(a_keys) + len(new_idx) > k:
        sel = top_indices(c_new, k + 1)
        new_idx, c_new = new_idx[sel], c_new[sel]
    counts = np.concatenate([c_a, c_new])
    delta = 0
    if len(counts) > k:
        delta = int(np.partition(counts, len(counts) - k - 1)[len(counts) - k - 1])
        counts = counts - delta
    keep = np.flatnonzero(counts > 0)
    n_a = len(a_keys)
    keep_a = keep[keep < n_a]
    keep_new = keep[keep >= n_a] - n_a
    keys = take_keys(a_keys, keep_a) + take_keys(b_keys, new_idx[keep_new])
    return keys, counts[keep], delta
