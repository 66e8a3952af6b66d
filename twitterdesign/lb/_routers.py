"""Key routers: which node owns a key (sessions, caches, shards).

Every router maps a key (int, str or bytes) to one of its nodes through a 64-bit key
hash, has a per-key `route` and a vectorized `route_many`, and changes its
membership with `add` and `remove`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError, NotFoundError
from twitterdesign.lb._hashing import MASK64, hash_key, hash_keys, mix64, node_hash
from twitterdesign.lb._kernels import RingTable, jump_buckets, rendezvous_winners

__all__ = [
    "ConsistentHashRing",
    "JumpHashRouter",
    "KeyRouter",
    "ModuloRouter",
    "RendezvousRouter",
    "RouterBase",
]


@runtime_checkable
class KeyRouter(Protocol):
    """Maps keys to nodes; membership can change."""

    @property
    def nodes(self) -> tuple[Hashable, ...]:
        """The current nodes."""
        ...

    def route(self, key: Any) -> Hashable:
        """Return the node that owns ``key``."""
        ...

    def route_many(self, keys: Iterable[Any] | np.ndarray) -> np.ndarray:
        """Return the owner of every key (a numpy array of node labels)."""
        ...

    def add(self, node: Hashable) -> None:
        """Add a node."""
        ...

    def remove(self, node: Hashable) -> None:
        """Remove a node."""
        ...


class RouterBase(ABC):
    """Node bookkeeping shared by the routers.

    Args:
        nodes: Distinct hashable labels (str or int are typical), at least one.

    Raises:
        InvalidParameterError: If ``nodes`` is empty or has duplicates.
    """

    def __init__(self, nodes: Iterable[Hashable]) -> None:
        labels: list[Hashable] = list(nodes) if not isinstance(nodes, str | bytes) else [nodes]
        if not labels:
            raise InvalidParameterError("nodes", labels, "at least one node")
        try:
            distinct = len(set(labels)) == len(labels)
        except TypeError as exc:
            raise InvalidParameterError("nodes", labels, "hashable node labels") from exc
        if not distinct:
            raise InvalidParameterError("nodes", labels, "distinct node labels")
        self._nodes: list[Hashable] = labels
        self._labels = _label_array(labels)

    @property
    def nodes(self) -> tuple[Hashable, ...]:
        """The current nodes, in the order they were added."""
        return tuple(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def route(self, key: Any) -> Hashable:
        """Return the node that owns ``key``.

        Args:
            key: An int, str or bytes key.

        Returns:
            A node label.

        Raises:
            InvalidParameterError: If the key is of another type.
        """
        return self._nodes[self._route_hash(hash_key(key))]

    def route_many(self, keys: Iterable[Any] | np.ndarray) -> np.ndarray:
        """Return the owner of every key; integer numpy arrays take the fast path.

        Args:
            keys: Keys (a numpy integer array, or any iterable of int/str/bytes).

        Returns:
            A numpy array of node labels, one per key, equal to ``[route(k) for k in keys]``.

        Raises:
            InvalidParameterError: If a key is of an unsupported type.
        """
        owners: np.ndarray = self._labels[self._route_hashes(hash_keys(keys))]
        return owners

    def add(self, node: Hashable) -> None:
        """Add ``node``.

        Raises:
            InvalidParameterError: If the node is already present or not hashable.
        """
        try:
            present = node in self._nodes
        except TypeError as exc:  # pragma: no cover - list membership rarely raises
            raise InvalidParameterError("node", node, "a hashable label") from exc
        if present:
            raise InvalidParameterError("node", node, "a node not already present")
        hash(node)
        self._nodes.append(node)
        self._labels = _label_array(self._nodes)
        self._added(node)

    def remove(self, node: Hashable) -> None:
        """Remove ``node``.

        Raises:
            NotFoundError: If the node is not present.
            InvalidParameterError: If it is the last node.
        """
        if node not in self._nodes:
            raise NotFoundError(f"no node {node!r} to remove; nodes are {self._nodes!r}")
        if len(self._nodes) == 1:
            raise InvalidParameterError("node", node, "a node other than the last one left")
        index = self._nodes.index(node)
        self._removed(index, node)
        self._labels = _label_array(self._nodes)

    def _removed(self, index: int, node: Hashable) -> None:
        del self._nodes[index]
        self._rebuild()

    def _added(self, node: Hashable) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        """Recompute derived structures after a membership change (default: none)."""
        return

    @abstractmethod
    def _route_hash(self, h: int) -> int:
        """Return the node index for one 64-bit key hash."""

    @abstractmethod
    def _route_hashes(self, h: np.ndarray) -> np.ndarray:
        """Return node indices for a uint64 array of key hashes."""

    def _check(self) -> None:
        """Assert the invariants (used by tests)."""
        assert len(set(self._nodes)) == len(self._nodes) >= 1
        assert self._labels.shape == (len(self._nodes),)


def _label_array(labels: Sequence[Hashable]) -> np.ndarray:
    arr = np.empty(len(labels), dtype=object)
    arr[:] = list(labels)
    if all(isinstance(x, str) for x in labels):
        return arr.astype(str)
    if all(isinstance(x, int) and not isinstance(x, bool) for x in labels):
        try:
            return arr.astype(np.int64)
        except OverflowError:
            return arr
    return arr


class ModuloRouter(RouterBase):
    """``hash(key) mod n``: perfectly simple, and almost every key moves when n changes.

    Args:
        nodes: Distinct node labels.

    Raises:
        InvalidParameterError: If ``nodes`` is empty or has duplicates.

    Examples:
        >>> r = ModuloRouter(["a", "b", "c"])
        >>> r.route("user:42") in r.nodes
        True
    """

    def _route_hash(self, h: int) -> int:
        return h % len(self._nodes)

    def _route_hashes(self, h: np.ndarray) -> np.ndarray:
        return (h % np.uint64(len(self._nodes))).astype(np.int64)


class ConsistentHashRing(RouterBase):
    """Karger et al.'s ring: each node owns ``vnodes`` points, a key goes clockwise.

    Args:
        nodes: Distinct node labels.
        vnodes: Virtual nodes (ring points) per node; more points, better balance.

    Raises:
        InvalidParameterError: If an argument is invalid.

    Examples:
        >>> ring = ConsistentHashRing(["a", "b", "c"], vnodes=100)
        >>> str(ring.route(12345)) in {"a", "b", "c"}
        True

    References:
        D. Karger et al., "Consistent Hashing and Random Trees", STOC 1997.
    """

    def __init__(self, nodes: Iterable[Hashable], *, vnodes: int = 160) -> None:
        super().__init__(nodes)
        self._vnodes = check_int("vnodes", vnodes, minimum=1, maximum=100_000)
        self._rebuild()

    def _rebuild(self) -> None:
        points: list[int] = []
        owners: list[int] = []
        for i, node in enumerate(self._nodes):
            base = node_hash(node)
            for v in range(self._vnodes):
                points.append(mix64((base + v * 0x9E3779B97F4A7C15) & MASK64))
                owners.append(i)
        p = np.asarray(points, dtype=np.uint64)
        order = np.argsort(p, kind="stable")
        self._points = p[order]
        self._owners = np.asarray(owners, dtype=np.int64)[order]
        self._points_list = self._points.tolist()
        self._table = RingTable(self._points, self._owners)

    def _route_hash(self, h: int) -> int:
        import bisect

        idx = bisect.bisect_right(self._points_list, h)
        return int(self._owners[idx % len(self._points_list)])

    def _route_hashes(self, h: np.ndarray) -> np.ndarray:
        return self._table.lookup(h)

    def _check(self) -> None:
        super()._check()
        assert self._points.size == self._vnodes * len(self._nodes)
        assert bool(np.all(self._points[1:] >= self._points[:-1]))
        assert set(self._owners.tolist()) == set(range(len(self._nodes)))


class RendezvousRouter(RouterBase):
    """Highest random weight: every node scores the key; the highest score wins.

    O(n) per key, but only the keys of a removed node move, and a new node takes
    exactly the keys it now scores highest on.

    Args:
        nodes: Distinct node labels.

    Raises:
        InvalidParameterError: If ``nodes`` is empty or has duplicates.

    Examples:
        >>> r = RendezvousRouter(["a", "b", "c"])
        >>> before = r.route("k")
        >>> r.add("d")
        >>> r.route("k") in (before, "d")
        True

    References:
        D. Thaler and C. Ravishankar, "Using Name-Based Mappings to Increase Hit Rates",
        IEEE/ACM ToN 6(1), 1998.
    """

    def __init__(self, nodes: Iterable[Hashable]) -> None:
        super().__init__(nodes)
        self._rebuild()

    def _rebuild(self) -> None:
        self._seeds = [node_hash(n, salt=7) for n in self._nodes]
        self._seed_array = np.asarray(self._seeds, dtype=np.uint64)

    def _route_hash(self, h: int) -> int:
        scores = [mix64(h ^ s) for s in self._seeds]
        return scores.index(max(scores))

    def _route_hashes(self, h: np.ndarray) -> np.ndarray:
        return rendezvous_winners(h, self._seed_array)


_JUMP_MULT = 2862933555777941757


class JumpHashRouter(RouterBase):
    """Lamping and Veach's jump consistent hash: no memory, optimal moves on growth.

    Buckets are the node positions ``0 .. n-1``. Adding a node moves exactly the keys
    that jump to the new last bucket (≈ 1/(n+1)). Jump hash can only shrink from the
    end: removing the last node is optimal; removing another node moves the last node's
    label into its bucket, so that node's keys move too (≈ 2/n).

    Args:
        nodes: Distinct node labels.

    Raises:
        InvalidParameterError: If ``nodes`` is empty or has duplicates.

    Examples:
        >>> r = JumpHashRouter(list(range(10)))
        >>> keys = np.arange(10_000, dtype=np.uint64)
        >>> bool((r.route_many(keys[:5]) == [r.route(int(k)) for k in keys[:5]]).all())
        True

    References:
        J. Lamping and E. Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
        arXiv:1406.2294, 2014.
    """

    def _route_hash(self, h: int) -> int:
        n = len(self._nodes)
        b, j, key = -1, 0, h
        while j < n:
            b = j
            key = (key * _JUMP_MULT + 1) & MASK64
            j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
        return b

    def _route_hashes(self, h: np.ndarray) -> np.ndarray:
        return jump_buckets(h, len(self._nodes))

    def _removed(self, index: int, node: Hashable) -> None:
        last = len(self._nodes) - 1
        if index != last:
            self._nodes[index] = self._nodes[last]
        self._nodes.pop()
