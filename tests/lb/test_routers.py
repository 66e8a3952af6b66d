"""Key routers: agreement of scalar and vectorized paths, balance, disruption."""

from __future__ import annotations

import math

import jump
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError, NotFoundError
from twitterdesign.lb import (
    ROUTER_NAMES,
    BoundedLoadRing,
    ConsistentHashRing,
    JumpHashRouter,
    KeyRouter,
    MaglevRouter,
    RendezvousRouter,
    compare_routers,
    hash_key,
    hash_keys,
    make_router,
    measure_router,
)

_keys = st.lists(
    st.integers(-(2**63), 2**64 - 1) | st.text(max_size=12) | st.binary(max_size=12),
    min_size=1,
    max_size=40,
)


def _small(name: str, nodes: list[object]) -> object:
    return (
        make_router(name, nodes, table_size=251) if name == "maglev" else make_router(name, nodes)
    )


@pytest.mark.parametrize("name", ROUTER_NAMES)
@given(keys=_keys, n=st.integers(1, 12))
def test_route_many_equals_route_per_key(name: str, keys: list[object], n: int) -> None:
    router = _small(name, [f"n{i}" for i in range(n)])
    assert isinstance(router, KeyRouter)
    many = router.route_many(keys)
    assert many.tolist() == [router.route(k) for k in keys]
    router._check()  # type: ignore[attr-defined]


# Big enough to cross the batch kernels' chunks (16,384 keys for jump) and to leave
# stragglers that the jump kernel finishes after the last chunk.
_BATCH_SIZES = st.integers(1, 40_000)


@pytest.mark.parametrize("name", ["jump", "ring", "rendezvous"])
@settings(max_examples=25, deadline=None)
@given(seed=seeds, size=_BATCH_SIZES, n=st.integers(1, 300), vnodes=st.integers(1, 200))
def test_route_many_equals_route_on_large_integer_arrays(
    name: str, seed: int, size: int, n: int, vnodes: int
) -> None:
    """The batch kernels (chunks, compaction, the ring's bucket table) change nothing."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 2**64, size, dtype=np.uint64)
    keys[: min(size, 2)] = [0, 2**64 - 1][: min(size, 2)]
    options = {"vnodes": vnodes} if name == "ring" else {}
    router = make_router(name, list(range(n)), **options)
    sample = rng.choice(size, min(size, 2_000), replace=False)
    many = router.route_many(keys)
    assert many.shape == (size,)
    assert many[sample].tolist() == [router.route(int(k)) for k in keys[sample]]


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=st.integers(1, 5_000))
def test_jump_buckets_equal_the_c_jump_consistent_hash_package(seed: int, n: int) -> None:
    """Lamping–Veach's reference code, compiled, on the same 64-bit hashes."""
    keys = np.random.default_rng(seed).integers(0, 2**63, 20_000, dtype=np.int64)
    ours = JumpHashRouter(list(range(n))).route_many(keys).tolist()
    assert ours == [jump.hash(h, n) for h in hash_keys(keys).tolist()]


@given(seed=seeds, n=st.integers(1, 40), vnodes=st.integers(1, 50))
def test_ring_routes_hashes_on_and_next_to_its_points_like_the_scalar_path(
    seed: int, n: int, vnodes: int
) -> None:
    """Hashes equal to a point, one either side of it, and the ends of the hash space."""
    ring = ConsistentHashRing([f"n{i}" for i in range(n)], vnodes=vnodes)
    points = ring._points
    with np.errstate(over="ignore"):
        probes = np.concatenate([points, points - np.uint64(1), points + np.uint64(1)])
    probes = np.concatenate([probes, np.array([0, 2**64 - 1], dtype=np.uint64)])
    np.random.default_rng(seed).shuffle(probes)
    assert ring._route_hashes(probes).tolist() == [ring._route_hash(int(h)) for h in probes]


def test_integer_arrays_and_python_ints_hash_the_same() -> None:
    arr = np.array([0, 1, 2**62, -1], dtype=np.int64)
    assert hash_keys(arr).tolist() == [hash_key(int(k)) for k in arr]
    assert hash_key(-1) == hash_key(2**64 - 1)


@pytest.mark.parametrize("name", ["ring", "rendezvous", "jump", "maglev"])
def test_membership_changes_move_close_to_the_optimal_share(name: str) -> None:
    """Consistent routers move ≈ 1/(n+1) of keys on an add and ≈ 1/n on a remove; the
    tolerance covers sampling noise and the ring's uneven arcs."""
    report = measure_router(name, nodes=10, keys=50_000, rng=1)
    assert report.moved_on_add == pytest.approx(1 / 11, abs=0.02)
    if name == "jump":  # a middle removal also relabels the last bucket
        assert report.moved_on_remove == pytest.approx(2 / 10, abs=0.03)
    else:
        assert report.moved_on_remove == pytest.approx(1 / 10, abs=0.02)


def test_modulo_moves_almost_everything() -> None:
    report = measure_router("modulo", nodes=10, keys=50_000, rng=1)
    # Independent: a key stays iff h mod 10 == h mod 11, i.e. h mod 110 < 10: 1/11.
    assert report.moved_on_add == pytest.approx(10 / 11, abs=0.01)


@given(seed=seeds, n=st.integers(2, 40))
def test_rendezvous_and_jump_only_move_keys_to_the_new_node(seed: int, n: int) -> None:
    keys = np.random.default_rng(seed).integers(0, 2**63, 2000, dtype=np.int64)
    for cls in (RendezvousRouter, JumpHashRouter):
        router = cls(list(range(n)))
        before = router.route_many(keys)
        router.add(n)
        after = router.route_many(keys)
        moved = before != after
        assert bool(np.all(after[moved] == n))


@given(seed=seeds, n=st.integers(2, 30))
def test_removing_a_node_only_moves_its_keys_on_the_ring(seed: int, n: int) -> None:
    keys = np.random.default_rng(seed).integers(0, 2**63, 2000, dtype=np.int64)
    for router in (ConsistentHashRing(list(range(n)), vnodes=20), RendezvousRouter(list(range(n)))):
        before = router.route_many(keys)
        router.remove(seed % n)
        after = router.route_many(keys)
        assert bool(np.all(before[before != after] == seed % n))


@given(n=st.integers(1, 60), prime=st.sampled_from([61, 251, 1009, 4099]))
def test_maglev_slots_differ_by_at_most_one(n: int, prime: int) -> None:
    if n > prime:
        return
    router = MaglevRouter(list(range(n)), table_size=prime)
    counts = np.bincount(router.table_owners(), minlength=n)
    assert counts.max() - counts.min() <= 1
    assert counts.sum() == prime


def test_maglev_shares_within_one_percent_with_over_100_entries_per_backend() -> None:
    """Published: M = 65537 and > 100 entries per backend keep shares within ~1%."""
    n = 500  # 131 entries per backend
    router = MaglevRouter([f"b{i}" for i in range(n)])
    counts = np.bincount(router.table_owners(), minlength=n)
    assert counts.max() / counts.mean() <= 1.01
    assert counts.min() / counts.mean() >= 0.99


def test_maglev_disrupts_about_as_little_as_the_ring_on_removal() -> None:
    maglev = measure_router("maglev", nodes=20, keys=100_000, rng=3)
    ring = measure_router("ring", nodes=20, keys=100_000, rng=3)
    assert maglev.moved_on_remove < 1.5 / 20
    assert ring.moved_on_remove < 1.5 / 20
    assert maglev.max_over_mean < ring.max_over_mean


@given(
    seed=seeds,
    n=st.integers(1, 12),
    m=st.integers(0, 400),
    c=st.floats(1.01, 3.0),
)
def test_bounded_load_never_exceeds_the_capacity(seed: int, n: int, m: int, c: float) -> None:
    router = BoundedLoadRing([f"n{i}" for i in range(n)], load_factor=c, vnodes=10)
    keys = np.random.default_rng(seed).integers(0, 2**63, m, dtype=np.int64)
    router.route_many(keys)
    distinct = len(set(hash_keys(keys).tolist()))
    assert max(router.loads().values()) <= max(1, math.ceil(c * distinct / n))
    router._check()


def test_bounded_load_remembers_and_releases_keys() -> None:
    router = BoundedLoadRing(["a", "b"], load_factor=1.5)
    node = router.route("k")
    assert router.route("k") == node
    assert sum(router.loads().values()) == 1
    router.release("k")
    router.release("never-seen")
    assert sum(router.loads().values()) == 0
    router.route_many(np.arange(100))
    router.add("c")
    assert sum(router.loads().values()) == 100
    router._check()


def test_jump_remove_middle_relabels_last() -> None:
    router = JumpHashRouter(["a", "b", "c", "d"])
    router.remove("b")
    assert router.nodes == ("a", "d", "c")


def test_compare_routers_reports_every_router() -> None:
    reports = compare_routers(nodes=5, keys=2000, rng=0)
    assert [r.router for r in reports] == list(ROUTER_NAMES)
    assert all(r.to_dict()["keys"] == 2000 for r in reports)


@pytest.mark.parametrize(
    ("call", "exc"),
    [
        (lambda: make_router("crc32", ["a"]), InvalidParameterError),
        (lambda: make_router("ring", []), InvalidParameterError),
        (lambda: make_router("ring", ["a", "a"]), InvalidParameterError),
        (lambda: make_router("ring", ["a"], vnodes=0), InvalidParameterError),
        (lambda: MaglevRouter(["a"], table_size=100), InvalidParameterError),
        (lambda: MaglevRouter(["a", "b", "c"], table_size=2), InvalidParameterError),
        (lambda: BoundedLoadRing(["a"], load_factor=1.0), InvalidParameterError),
        (lambda: make_router("jump", ["a", "b"]).remove("z"), NotFoundError),
        (lambda: make_router("jump", ["a"]).remove("a"), InvalidParameterError),
        (lambda: make_router("ring", ["a"]).add("a"), InvalidParameterError),
        (lambda: make_router("ring", ["a"]).route(1.5), InvalidParameterError),
        (lambda: make_router("ring", ["a"]).route_many(np.array([1.5])), InvalidParameterError),
        (lambda: measure_router("ring", nodes=1), InvalidParameterError),
    ],
)
def test_bad_input_raises_clear_errors(call: object, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        call()  # type: ignore[operator]
