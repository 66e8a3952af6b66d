"""FollowerGraph: CSR construction, accessors, save/load validation."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given

from tests.strategies import follow_edge_lists
from twitterdesign.errors import CorruptDataError, InvalidParameterError
from twitterdesign.timeline import FollowerGraph


@given(follow_edge_lists())
def test_csr_matches_a_set_based_model(data: tuple[int, list[int], list[int]]) -> None:
    n, src, dst = data
    g = FollowerGraph(n, src, dst)
    g._check()
    edges = set(zip(src, dst, strict=True))
    assert g.n_edges == len(edges)
    for u in range(n):
        assert g.followers_of(u).tolist() == sorted(a for a, b in edges if b == u)
        assert g.followees_of(u).tolist() == sorted(b for a, b in edges if a == u)
        assert g.follower_count(u) == sum(1 for _, b in edges if b == u)
        assert g.followee_count(u) == sum(1 for a, _ in edges if a == u)
    assert g.follower_counts.tolist() == [g.follower_count(u) for u in range(n)]
    back = set(zip(*(a.tolist() for a in g.to_edges()), strict=True))
    assert back == edges


@given(follow_edge_lists())
def test_reciprocity_matches_pair_counting(data: tuple[int, list[int], list[int]]) -> None:
    n, src, dst = data
    edges = set(zip(src, dst, strict=True))
    pairs = {frozenset(e) for e in edges}
    mutual = {frozenset((a, b)) for a, b in edges if (b, a) in edges}
    expected = len(mutual) / len(pairs) if pairs else 0.0
    assert FollowerGraph(n, src, dst).reciprocity() == pytest.approx(expected)


@given(follow_edge_lists())
def test_save_load_round_trip(data: tuple[int, list[int], list[int]]) -> None:
    n, src, dst = data
    g = FollowerGraph(n, src, dst)
    buf = io.BytesIO()
    g.save(buf)
    buf.seek(0)
    loaded = FollowerGraph.load(buf)
    loaded._check()
    assert loaded == g
    assert loaded.n_users == n


def test_arrays_are_read_only() -> None:
    g = FollowerGraph.from_edges([0, 1], [1, 0])
    with pytest.raises(ValueError, match="read-only"):
        g.follower_indices[0] = 1
    assert g.nbytes == 2 * 3 * 8 + 2 * 2 * 4


def test_from_edges_infers_n_users_and_empty_graph() -> None:
    assert FollowerGraph.from_edges([0], [5]).n_users == 6
    empty = FollowerGraph(4, [], [])
    empty._check()
    assert empty.n_edges == 0
    assert empty.reciprocity() == 0.0
    assert empty.followers_of(3).tolist() == []


@pytest.mark.parametrize(
    ("n", "src", "dst", "name"),
    [
        (3, [0, 1], [1], "followees"),
        (3, [0], [3], "followees"),
        (3, [-1], [1], "followers"),
        (3, [1], [1], "followees"),
        (-1, [], [], "n_users"),
        (3, [[0]], [[1]], "followers"),
        (3, [0.5], [1], "followers"),
    ],
)
def test_bad_edges_are_rejected(n: int, src: list, dst: list, name: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        FollowerGraph(n, src, dst)
    assert info.value.name == name


def test_user_out_of_range() -> None:
    g = FollowerGraph.from_edges([0], [1])
    for bad in (-1, 2, 1.0):
        with pytest.raises(InvalidParameterError, match="user"):
            g.followers_of(bad)  # type: ignore[arg-type]


def _write(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def _good(n: int = 3) -> dict[str, np.ndarray]:
    return {
        "format": np.array("twitterdesign.FollowerGraph"),
        "version": np.array(1, dtype=np.int64),
        "n_users": np.array(n, dtype=np.int64),
        "followee_indptr": np.array([0, 2, 2, 3], dtype=np.int64),
        "followee_indices": np.array([1, 2, 0], dtype=np.int32),
    }


def test_hand_written_file_loads(tmp_path: Path) -> None:
    g = FollowerGraph.load(_write(tmp_path / "g.npz", **_good()))
    assert g == FollowerGraph.from_edges([0, 0, 2], [1, 2, 0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": np.array("something.else")}, "format"),
        ({"version": np.array(2, dtype=np.int64)}, "version"),
        ({"n_users": np.array(-1, dtype=np.int64)}, "n_users"),
        ({"followee_indptr": np.array([0, 2, 3], dtype=np.int64)}, "indptr"),
        ({"followee_indptr": np.array([0, 2, 2, 4], dtype=np.int64)}, "row pointer"),
        ({"followee_indptr": np.array([0, 2, 1, 3], dtype=np.int64)}, "row pointer"),
        ({"followee_indices": np.array([1, 2, 3], dtype=np.int32)}, "out of range"),
        ({"followee_indices": np.array([2, 1, 0], dtype=np.int32)}, "unsorted"),
        ({"followee_indices": np.array([1, 1, 0], dtype=np.int32)}, "unsorted"),
        ({"followee_indices": np.array([1, 2, 2], dtype=np.int32)}, "themself"),
        ({"followee_indices": np.array([1, 2, 0], dtype=np.int64)}, "type"),
    ],
)
def test_corrupt_files_are_rejected(tmp_path: Path, change: dict, message: str) -> None:
    arrays = _good() | change
    with pytest.raises(CorruptDataError, match=message):
        FollowerGraph.load(_write(tmp_path / "bad.npz", **arrays))


def test_foreign_and_garbage_files(tmp_path: Path) -> None:
    with pytest.raises(CorruptDataError, match="missing"):
        FollowerGraph.load(_write(tmp_path / "other.npz", weights=np.arange(3)))
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    with pytest.raises(CorruptDataError):
        FollowerGraph.load(garbage)
    npy = tmp_path / "array.npy"
    np.save(npy, np.arange(4))
    with pytest.raises(CorruptDataError, match="npy"):
        FollowerGraph.load(npy)
    with pytest.raises(OSError, match="missing"):
        FollowerGraph.load(tmp_path / "missing.npz")
