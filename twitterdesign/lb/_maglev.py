"""Maglev hashing and consistent hashing with bounded loads."""

from __future__ import annotations

import bisect
import math
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.lb._hashing import MASK64, hash_key, hash_keys, mix64, node_hash
from twitterdesign.lb._routers import RouterBase

__all__ = ["BoundedLoadRing", "MaglevRouter"]


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, math.isqrt(n) + 1, 2))


class MaglevRouter(RouterBase):
    """Google's Maglev lookup table: near-perfect balance, O(1) lookups, few moves.

    Each node has a permutation of the table slots given by an offset and a skip
    (both from hashes of its name, the table size ``M`` prime so every skip visits
    every slot); nodes take turns claiming their next preferred free slot until the
    table is full. Every node gets ``⌊M/n⌋`` or ``⌈M/n⌉`` slots, so with
    ``M ≥ 100·n`` shares stay within about 1%. A key's owner is ``table[hash mod M]``.

    Args:
        nodes: Distinct node labels (at most ``table_size``).
        table_size: M, a prime (65537 by default, as in the paper's examples).

    Raises:
        InvalidParameterError: If the table size is not a prime ≥ the node count.

    Examples:
        >>> r = MaglevRouter(["a", "b", "c"], table_size=101)
        >>> sorted(np.unique(r.table_owners(), return_counts=True)[1].tolist())
        [33, 34, 34]

    References:
        D. E. Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
        Balancer", NSDI 2016, §3.4.
    """

    def __init__(self, nodes: Iterable[Hashable], *, table_size: int = 65537) -> None:
        super().__init__(nodes)
        m = check_int("table_size", table_size, minimum=2, maximum=50_000_017)
        if not _is_prime(m):
            raise InvalidParameterError("table_size", table_size, "a prime such as 65537")
        if len(self._nodes) > m:
            raise InvalidParameterError("table_size", table_size, "a prime ≥ the number of nodes")
        self._m = m
        self._rebuild()

    @property
    def table_size(self) -> int:
        """M, the number of lookup-table slots."""
        return self._m

    def table_owners(self) -> np.ndarray:
        """Return the lookup table: the node index owning each slot."""
        return self._table.copy()

    def _rebuild(self) -> None:
        m, n = self._m, len(self._nodes)
        offsets = [node_hash(node, salt=1) % m for node in self._nodes]
        skips = [node_hash(node, salt=2) % (m - 1) + 1 for node in self._nodes]
        nxt = [0] * n
        entry = [-1] * m
        filled = 0
        while filled < m:
            for i in range(n):
                off, skip, j = offsets[i], skips[i], nxt[i]
                c = (off + j * skip) % m
                while entry[c] >= 0:
                    j += 1
                    c = (off + j * skip) % m
                entry[c] = i
                nxt[i] = j + 1
                filled += 1
                if filled == m:
                    break
        self._table = np.asarray(entry, dtype=np.int64)
        self._table_list = entry

    def _route_hash(self, h: int) -> int:
        return self._table_list[h % self._m]

    def _route_hashes(self, h: np.ndarray) -> np.ndarray:
        return self._table[(h % np.uint64(self._m)).astype(np.int64)]

    def add(self, node: Hashable) -> None:
        """Add ``node`` (the table is rebuilt; the table size must stay ≥ the node count).

        Raises:
            InvalidParameterError: If the node is present, or the table is full.
        """
        if len(self._nodes) + 1 > self._m:
            raise InvalidParameterError("node", node, f"at most {self._m} nodes (table size)")
        super().add(node)

    def _check(self) -> None:
        super()._check()
        counts = np.bincount(self._table, minlength=len(self._nodes))
        assert self._table.size == self._m
        assert counts.max() - counts.min() <= 1


class BoundedLoadRing(RouterBase):
    """Consistent hashing with bounded loads: no node holds more than ⌈c·m/n⌉ keys.

    Keys are placed one at a time: a key goes to the first node clockwise from its hash
    (over ``vnodes`` points per node) whose load is below the capacity
    ``⌈c·(m+1)/n⌉`` — ``m`` keys placed so far, ``n`` nodes, ``c`` the load factor.
    The router remembers its keys: `route` of a known key returns its node,
    `release` forgets one, and a membership change re-places every key in
    insertion order (what a freshly built router would do).

    Args:
        nodes: Distinct node labels.
        load_factor: c > 1; 1.25 allows 25% above the mean.
        vnodes: Ring points per node.

    Raises:
        InvalidParameterError: If an argument is out of range.

    Examples:
        >>> r = BoundedLoadRing(["a", "b", "c", "d"], load_factor=1.25)
        >>> _ = r.route_many(np.arange(1000))
        >>> max(r.loads().values()) <= math.ceil(1.25 * 1000 / 4)
        True

    References:
        V. Mirrokni, M. Thorup and M. Zadimoghaddam, "Consistent Hashing with Bounded
        Loads", SODA 2018 (arXiv:1608.01350, 2016).
    """

    def __init__(
        self, nodes: Iterable[Hashable], *, load_factor: float = 1.25, vnodes: int = 100
    ) -> None:
        super().__init__(nodes)
        self._c = check_number("load_factor", load_factor, minimum=1.0, min_inclusive=False)
        self._vnodes = check_int("vnodes", vnodes, minimum=1, maximum=100_000)
        self._place: dict[int, int] = {}
        self._released = False
        self._rebuild()

    @property
    def load_factor(self) -> float:
        """c, the allowed ratio of the largest load to the mean."""
        return self._c

    def loads(self) -> dict[Hashable, int]:
        """Return the number of keys each node holds."""
        return {node: self._load[i] for i, node in enumerate(self._nodes)}

    def capacity(self) -> int:
        """Return the current per-node capacity ``⌈c·m/n⌉`` (at least 1)."""
        return max(1, math.ceil(self._c * len(self._place) / len(self._nodes)))

    def _rebuild(self) -> None:
        points: list[int] = []
        owners: list[int] = []
        for i, node in enumerate(self._nodes):
            base = node_hash(node)
            for v in range(self._vnodes):
                points.append(mix64((base + v * 0x9E3779B97F4A7C15) & MASK64))
                owners.append(i)
        order = sorted(range(len(points)), key=points.__getitem__)
        self._points = [points[k] for k in order]
        self._owners = [owners[k] for k in order]
        self._points_arr = np.asarray(self._points, dtype=np.uint64)
        keys = list(self._place)
        self._place = {}
        self._released = False
        self._load = [0] * len(self._nodes)
        for h in keys:
            self._assign(h, bisect.bisect_right(self._points, h))

    def _assign(self, h: int, start: int) -> int:
        n_points = len(self._points)
        cap = max(1, math.ceil(self._c * (len(self._place) + 1) / len(self._nodes)))
        owners, load = self._owners, self._load
        idx = start
        for _ in range(n_points):
            if idx >= n_points:
                idx = 0
            owner = owners[idx]
            if load[owner] < cap:
                load[owner] += 1
                self._place[h] = owner
                return owner
            idx += 1
        raise AssertionError("capacity ⌈c·(m+1)/n⌉·n > m guarantees a free node")

    def _route_hash(self, h: int) -> int:
        owner = self._place.get(h)
        if owner is None:
            owner = self._assign(h, bisect.bisect_right(self._points, h))
        return owner

    def _route_hashes(self, h: np.ndarray) -> np.ndarray:
        # Hashing and the ring search are vectorized; placement is sequential by nature
        # (each key's capacity check depends on the keys placed before it).
        starts = np.searchsorted(self._points_arr, h, side="right").tolist()
        out = np.empty(h.size, dtype=np.int64)
        place = self._place
        for k, (hv, start) in enumerate(zip(h.tolist(), starts, strict=True)):
            owner = place.get(hv)
            out[k] = owner if owner is not None else self._assign(hv, start)
        return out

    def release(self, key: Any) -> None:
        """Forget ``key`` (its node's load drops by one); unknown keys are ignored.

        Raises:
            InvalidParameterError: If the key is not an int, str or bytes.
        """
        owner = self._place.pop(hash_key(key), None)
        if owner is not None:
            self._load[owner] -= 1
            self._released = True

    def route_many(self, keys: Iterable[Any] | np.ndarray) -> np.ndarray:
        """Place (or look up) every key in order; see `RouterBase.route_many`."""
        owners: np.ndarray = self._labels[self._route_hashes(hash_keys(keys))]
        return owners

    def _check(self) -> None:
        super()._check()
        assert sum(self._load) == len(self._place)
        counts = [0] * len(self._nodes)
        for owner in self._place.values():
            counts[owner] += 1
        assert counts == self._load
        if not self._released:
            # Each key met the capacity of its time, which only grows with m.
            assert max(self._load) <= self.capacity()
