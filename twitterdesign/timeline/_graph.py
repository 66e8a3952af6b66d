"""The follower graph: compressed sparse rows in both directions."""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline._csr import (
    MAX_USERS,
    IdArray,
    IntArray,
    csr_from_sorted_keys,
    read_followee_csr,
    sorted_unique,
    transpose_csr,
    write_followee_csr,
)

__all__ = ["FollowerGraph"]


class FollowerGraph:
    """A directed "follows" graph stored as CSR arrays in both directions.

    An edge ``(u, v)`` means *u follows v*: ``v``'s tweets belong in ``u``'s home
    timeline. The follower lists (who receives a tweet from ``v``: the fan-out list)
    and the followee lists (whose tweets ``u`` reads: the fan-in list) are both kept as
    compressed sparse rows, so degrees are O(1) and neighbour lists are array slices.
    Ids are ``0 .. n_users - 1``; every row is sorted and free of duplicates and
    self-follows. The graph is immutable: generators return new graphs.

    Memory is ``2 × 4`` bytes per edge plus ``2 × 8`` bytes per user; a 1M-user,
    35M-edge graph takes about 300 MB.

    Args:
        n_users: Number of users (ids ``0 .. n_users - 1``).
        followers: Follower ids (the users who follow), one per edge.
        followees: Followee ids (the users followed), one per edge.

    Raises:
        InvalidParameterError: If ``n_users`` is negative or too large, the arrays differ
            in length, an id is out of range, or a user follows themself.

    Examples:
        >>> g = FollowerGraph(3, followers=[0, 1, 1], followees=[2, 2, 0])
        >>> g.followers_of(2).tolist(), g.followees_of(1).tolist()
        ([0, 1], [0, 2])
        >>> int(g.follower_counts[2]), g.n_edges
        (2, 3)
    """

    __slots__ = (
        "_followee_counts",
        "_followee_indices",
        "_followee_indptr",
        "_follower_counts",
        "_follower_indices",
        "_follower_indptr",
        "_n_users",
    )

    def __init__(
        self,
        n_users: int,
        followers: npt.ArrayLike,
        followees: npt.ArrayLike,
    ) -> None:
        n = check_int("n_users", n_users, minimum=0, maximum=MAX_USERS)
        src = _as_id_array("followers", followers)
        dst = _as_id_array("followees", followees)
        if src.shape != dst.shape:
            raise InvalidParameterError(
                "followees", f"<{dst.size} ids>", f"as many ids as followers ({src.size})"
            )
        for name, arr in (("followers", src), ("followees", dst)):
            if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= n):
                raise InvalidParameterError(
                    name, f"<ids in [{arr.min()}, {arr.max()}]>", f"ids in [0, {n - 1}]"
                )
        if np.any(src == dst):
            u = int(src[np.argmax(src == dst)])
            raise InvalidParameterError("followees", u, f"no self-follow (user {u} follows {u})")
        keys = src * n + dst
        del src, dst
        keys = sorted_unique(keys)
        self._init_from_followee_csr(n, *csr_from_sorted_keys(keys, n))

    def _init_from_followee_csr(self, n: int, indptr: IntArray, indices: IdArray) -> None:
        self._n_users = n
        self._followee_indptr = indptr
        self._followee_indices = indices
        self._follower_indptr, self._follower_indices = transpose_csr(indptr, indices, n)
        self._follower_counts = np.diff(self._follower_indptr)
        self._followee_counts = np.diff(indptr)
        for arr in (
            indptr,
            indices,
            self._follower_indptr,
            self._follower_indices,
            self._follower_counts,
            self._followee_counts,
        ):
            arr.flags.writeable = False

    @classmethod
    def _from_followee_csr(cls, n: int, indptr: IntArray, indices: IdArray) -> FollowerGraph:
        graph = cls.__new__(cls)
        graph._init_from_followee_csr(n, indptr, indices)
        return graph

    @classmethod
    def from_edges(
        cls,
        followers: npt.ArrayLike,
        followees: npt.ArrayLike,
        *,
        n_users: int | None = None,
    ) -> FollowerGraph:
        """Build a graph from an edge list (``followers[i]`` follows ``followees[i]``).

        Duplicate edges are merged.

        Args:
            followers: Ids of the users who follow.
            followees: Ids of the users they follow.
            n_users: Number of users; defaults to one more than the largest id.

        Returns:
            The graph.

        Raises:
            InvalidParameterError: On mismatched lengths, negative or out-of-range ids,
                or self-follows.

        Examples:
            >>> FollowerGraph.from_edges([0, 0, 0], [1, 2, 1]).n_edges
            2
        """
        src = _as_id_array("followers", followers)
        dst = _as_id_array("followees", followees)
        if n_users is None:
            n_users = int(max(src.max(initial=-1), dst.max(initial=-1))) + 1
        return cls(n_users, src, dst)

    def to_edges(self) -> tuple[IdArray, IdArray]:
        """Return ``(followers, followees)`` arrays, sorted by follower then followee.

        Returns:
            Two int32 arrays of length ``n_edges``.

        Examples:
            >>> g = FollowerGraph.from_edges([1, 0], [0, 1])
            >>> [a.tolist() for a in g.to_edges()]
            [[0, 1], [1, 0]]
        """
        src = np.repeat(np.arange(self._n_users, dtype=np.int32), self._followee_counts)
        return src, self._followee_indices.copy()

    @property
    def n_users(self) -> int:
        """Number of users."""
        return self._n_users

    @property
    def n_edges(self) -> int:
        """Number of follow edges."""
        return int(self._followee_indices.size)

    @property
    def follower_counts(self) -> IntArray:
        """Followers per user (in-degree), a read-only int64 array."""
        return self._follower_counts

    @property
    def followee_counts(self) -> IntArray:
        """Followees per user (out-degree), a read-only int64 array."""
        return self._followee_counts

    @property
    def follower_indptr(self) -> IntArray:
        """CSR row pointers of the follower lists (length ``n_users + 1``, read-only)."""
        return self._follower_indptr

    @property
    def follower_indices(self) -> IdArray:
        """Concatenated follower lists, user 0's first (read-only int32)."""
        return self._follower_indices

    @property
    def followee_indptr(self) -> IntArray:
        """CSR row pointers of the followee lists (length ``n_users + 1``, read-only)."""
        return self._followee_indptr

    @property
    def followee_indices(self) -> IdArray:
        """Concatenated followee lists, user 0's first (read-only int32)."""
        return self._followee_indices

    @property
    def nbytes(self) -> int:
        """Bytes held by the four CSR arrays."""
        return int(
            self._follower_indptr.nbytes
            + self._follower_indices.nbytes
            + self._followee_indptr.nbytes
            + self._followee_indices.nbytes
        )

    def follower_count(self, user: int) -> int:
        """Return how many users follow ``user`` (O(1)).

        Examples:
            >>> FollowerGraph.from_edges([1, 2], [0, 0]).follower_count(0)
            2
        """
        u = self._check_user(user)
        return int(self._follower_indptr[u + 1] - self._follower_indptr[u])

    def followee_count(self, user: int) -> int:
        """Return how many users ``user`` follows (O(1)).

        Examples:
            >>> FollowerGraph.from_edges([1, 1], [0, 2]).followee_count(1)
            2
        """
        u = self._check_user(user)
        return int(self._followee_indptr[u + 1] - self._followee_indptr[u])

    def followers_of(self, user: int) -> IdArray:
        """Return the sorted ids of the users who follow ``user`` (a read-only view).

        Args:
            user: A user id.

        Returns:
            An int32 array: the users whose home timelines receive ``user``'s tweets.

        Raises:
            InvalidParameterError: If ``user`` is not an id of this graph.

        Examples:
            >>> FollowerGraph.from_edges([2, 1], [0, 0]).followers_of(0).tolist()
            [1, 2]
        """
        u = self._check_user(user)
        return self._follower_indices[self._follower_indptr[u] : self._follower_indptr[u + 1]]

    def followees_of(self, user: int) -> IdArray:
        """Return the sorted ids of the users ``user`` follows (a read-only view).

        Args:
            user: A user id.

        Returns:
            An int32 array: the accounts whose tweets make up ``user``'s home timeline.

        Raises:
            InvalidParameterError: If ``user`` is not an id of this graph.

        Examples:
            >>> FollowerGraph.from_edges([0, 0], [2, 1]).followees_of(0).tolist()
            [1, 2]
        """
        u = self._check_user(user)
        return self._followee_indices[self._followee_indptr[u] : self._followee_indptr[u + 1]]

    def reciprocity(self) -> float:
        """Return the fraction of connected user pairs that follow each other.

        This is the definition Kwak et al. (2010) report 22.1% for: mutual pairs divided
        by pairs with at least one edge. An empty graph has reciprocity 0.

        Examples:
            >>> FollowerGraph.from_edges([0, 1, 0], [1, 0, 2]).reciprocity()
            0.5
        """
        if self.n_edges == 0:
            return 0.0
        n = self._n_users
        src, dst = self.to_edges()
        keys = src.astype(np.int64) * n + dst
        rev = dst.astype(np.int64) * n + src
        mutual_edges = int(np.isin(rev, keys, assume_unique=True).sum())
        mutual_pairs = mutual_edges // 2
        pairs = self.n_edges - mutual_pairs
        return mutual_pairs / pairs

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the graph to an uncompressed ``.npz`` file.

        Only the followee CSR is stored; `load` rebuilds the other direction.

        Args:
            path: Destination file (numpy appends ``.npz`` if missing).

        Examples:
            >>> import tempfile, pathlib
            >>> g = FollowerGraph.from_edges([0, 1], [1, 2])
            >>> with tempfile.TemporaryDirectory() as d:
            ...     p = pathlib.Path(d) / "g.npz"
            ...     g.save(p)
            ...     FollowerGraph.load(p) == g
            True
        """
        write_followee_csr(path, self._n_users, self._followee_indptr, self._followee_indices)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FollowerGraph:
        """Read a graph written by `save`, validating every array.

        Args:
            path: The ``.npz`` file.

        Returns:
            The graph.

        Raises:
            CorruptDataError: If the file is not a FollowerGraph file of a known version,
                its archive or an array header is damaged (or uses an unsupported zip
                compression method), or its arrays are inconsistent (bad shapes or
                types, unsorted or out-of-range ids, self-follows).
            OSError: If the file cannot be opened.

        Examples:
            >>> import io
            >>> FollowerGraph.load(io.BytesIO(b"not a zip"))
            Traceback (most recent call last):
            ...
            twitterdesign.errors.CorruptDataError: not a FollowerGraph .npz file: ...
        """
        return cls._from_followee_csr(*read_followee_csr(path))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FollowerGraph):
            return NotImplemented
        return (
            self._n_users == other._n_users
            and np.array_equal(self._followee_indptr, other._followee_indptr)
            and np.array_equal(self._followee_indices, other._followee_indices)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FollowerGraph(n_users={self._n_users}, n_edges={self.n_edges})"

    def _check_user(self, user: int) -> int:
        return check_int("user", user, minimum=0, maximum=self._n_users - 1)

    def _check(self) -> None:
        """Assert every invariant: valid CSR, sorted unique rows, both directions agree."""
        n = self._n_users
        for indptr, indices in (
            (self._followee_indptr, self._followee_indices),
            (self._follower_indptr, self._follower_indices),
        ):
            assert indptr.shape == (n + 1,)
            assert indptr[0] == 0
            assert indptr[-1] == indices.size
            assert np.all(np.diff(indptr) >= 0)
            rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
            assert not np.any(rows == indices), "self-follow"
            keys = rows * n + indices
            assert np.all(np.diff(keys) > 0), "rows not sorted or duplicated"
            if indices.size:
                assert indices.min() >= 0
                assert indices.max() < n
        assert self._follower_indices.size == self._followee_indices.size
        assert np.array_equal(self._follower_counts, np.diff(self._follower_indptr))
        assert np.array_equal(self._followee_counts, np.diff(self._followee_indptr))
        back = transpose_csr(self._follower_indptr, self._follower_indices, n)
        assert np.array_equal(back[0], self._followee_indptr)
        assert np.array_equal(back[1], self._followee_indices)


def _as_id_array(name: str, values: npt.ArrayLike) -> IntArray:
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(name, values, "a 1-D array of integer user ids") from exc
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise InvalidParameterError(name, values, "a 1-D array of integer user ids")
    return arr.astype(np.int64, copy=False)
