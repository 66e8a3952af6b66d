"""Sketches as Dask reductions, run on a real two-process LocalCluster.

One cluster serves the whole module (started once, closed at the end); the property
tests keep few examples because every example is a round trip through the scheduler.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.topk._truth import true_counts
from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.topk import (
    CountMinSketch,
    ExactCounter,
    FrequentItems,
    MisraGries,
    SpaceSaving,
)

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
import dask.array as da  # noqa: E402
import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402

from twitterdesign.topk.dask import (  # noqa: E402
    group_sketches,
    merge_serialized,
    reduce_sketch,
    window_sketches,
)

on_cluster = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
tags = st.sampled_from(["#a", "#b", "#c", "#worldcup2026", "#é", "#" + "x" * 40]) | st.text(
    alphabet="xyz", min_size=1, max_size=3
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def partitioned(items, cuts):
    """``items`` cut at the (sorted, distinct) positions ``cuts`` into a dask bag."""
    bounds = [0, *sorted(set(cuts)), len(items)]
    chunks = [items[a:b] for a, b in pairwise(bounds)]
    return db.from_delayed([dask.delayed(list)(chunk) for chunk in chunks])


@st.composite
def partitionings(draw):
    items = draw(st.lists(tags, min_size=1, max_size=300))
    cuts = draw(st.lists(st.integers(0, len(items)), max_size=6))
    return items, cuts


@on_cluster
@given(case=partitionings(), fan_in=st.integers(2, 4))
def test_deterministic_sketches_merge_to_exactly_the_single_sketch(client, case, fan_in):
    items, cuts = case
    for template in (CountMinSketch(32, 3, seed=5), ExactCounter()):
        single = type(template).from_bytes(template.to_bytes())
        single.update_many(items)
        merged = reduce_sketch(partitioned(items, cuts), template, split_every=fan_in)
        assert merged.sketch.to_bytes() == single.to_bytes()
        assert merged.partitions == len(set(cuts)) + 1


@on_cluster
@given(case=partitionings())
def test_merged_counter_summaries_keep_their_bounds_for_the_whole_stream(client, case):
    items, cuts = case
    truth = Counter(items)
    for template in (SpaceSaving(4), MisraGries(4), FrequentItems(3)):
        merged = reduce_sketch(partitioned(items, cuts), template, split_every=2).sketch
        assert merged.total_weight == len(items)
        for item, count in truth.items():
            lower, upper = merged.bounds(item)
            assert lower <= count <= upper, (type(template).__name__, item)
        for hitter in merged.top_k(4):
            assert hitter.lower_bound <= truth[hitter.item] <= hitter.upper_bound


def frame(n=400, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "hashtag": rng.choice(["#a", "#b", "#c", "#d"], size=n, p=[0.5, 0.3, 0.15, 0.05]),
            "region": rng.choice(["eu", "us", "in"], size=n),
            "likes": rng.integers(1, 5, size=n),
        },
        index=pd.date_range("2026-01-01", periods=n, freq="37s"),
    )


def test_a_dataframe_column_with_weights_counts_like_pandas(client):
    pdf = frame()
    result = reduce_sketch(
        dd.from_pandas(pdf, npartitions=5), ExactCounter(), column="hashtag", weights="likes"
    )
    expected = pdf.groupby("hashtag")["likes"].sum().to_dict()
    assert {h.item: h.estimate for h in result.top_k(10)} == expected
    assert result.partitions == 5
    assert result.bytes_shipped > 0


def test_group_sketches_give_the_top_k_of_every_region(client):
    pdf = frame()
    result = group_sketches(
        dd.from_pandas(pdf, npartitions=4), ExactCounter(), column="hashtag", by="region"
    )
    assert list(result.sketches) == ["eu", "in", "us"]
    for region, hitters in result.top_k(10).items():
        expected = pdf[pdf.region == region]["hashtag"].value_counts().to_dict()
        assert {h.item: h.estimate for h in hitters} == expected


def test_window_sketches_count_each_window_across_partitions(client):
    pdf = frame()
    result = window_sketches(
        dd.from_pandas(pdf, npartitions=3), SpaceSaving(8), column="hashtag", freq="1h"
    )
    expected = pdf.groupby(pdf.index.floor("1h"))["hashtag"].value_counts()
    assert list(result.sketches) == sorted(set(pdf.index.floor("1h")))
    for window, sketch in result.sketches.items():
        assert {h.item: h.estimate for h in sketch.top_k(8)} == expected[window].to_dict()


def test_window_sketches_take_a_time_column_and_repeated_timestamps(client):
    pdf = pd.DataFrame(
        {
            "t": pd.to_datetime(["2026-01-01 00:10"] * 3 + ["2026-01-01 01:05"] * 2),
            "tag": list("aabab"),
        }
    )
    result = window_sketches(
        dd.from_pandas(pdf, npartitions=2), ExactCounter(), column="tag", freq="1h", time_column="t"
    )
    counts = {str(w): {h.item: h.estimate for h in s.top_k(5)} for w, s in result.sketches.items()}
    assert counts == {
        "2026-01-01 00:00:00": {"a": 2, "b": 1},
        "2026-01-01 01:00:00": {"a": 1, "b": 1},
    }


def test_a_dask_array_of_ids_reduces_with_a_count_min(client):
    ids = np.random.default_rng(1).zipf(1.3, size=5000) % 1000
    result = reduce_sketch(da.from_array(ids, chunks=700), CountMinSketch(256, 4, seed=2))
    single = CountMinSketch(256, 4, seed=2)
    single.update_many(ids)
    assert result.sketch.to_bytes() == single.to_bytes()
    assert result.partitions == 8


def test_only_serialized_sketches_are_shipped_not_the_items(client):
    items = [f"#tag{i % 50}" for i in range(200_000)]
    raw = sum(len(x.encode()) for x in items)
    result = reduce_sketch(db.from_sequence(items, npartitions=8), SpaceSaving(64), split_every=4)
    # 8 partition sketches + 2 intermediate merges, each at most a 64-entry table.
    assert result.bytes_shipped < raw / 50
    assert true_counts((x, 1) for x in items)["#tag7"] == result.sketch.estimate("#tag7")


def test_incompatible_serialized_sketches_fail_clearly(client):
    small, large = SpaceSaving(4), SpaceSaving(8)
    small.update_many(["#a", "#b"])
    large.update_many(["#a"])
    with pytest.raises(IncompatibleError, match="capacity"):
        merge_serialized(db.from_sequence([small.to_bytes(), large.to_bytes()], npartitions=2))
    with pytest.raises(IncompatibleError):
        merge_serialized([small.to_bytes(), MisraGries(4).to_bytes()])
    with pytest.raises(CorruptDataError):
        merge_serialized([small.to_bytes(), b"not a sketch"])


def test_merge_serialized_merges_shipped_sketches(client):
    parts = []
    for chunk in (["#a", "#b", "#a"], ["#a", "#c"], ["#b"]):
        sketch = SpaceSaving(8)
        sketch.update_many(chunk)
        parts.append(sketch.to_bytes())
    result = merge_serialized(db.from_sequence(parts, npartitions=2), split_every=2)
    assert [(h.item, h.estimate) for h in result.top_k(3)] == [("#a", 3), ("#b", 2), ("#c", 1)]


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (
            lambda: reduce_sketch(db.from_sequence(["#a"]), SpaceSaving(4), split_every=1),
            "split_every",
        ),
        (lambda: reduce_sketch(["#a"], SpaceSaving(4)), "collection"),
        (lambda: reduce_sketch(dd.from_pandas(frame(), npartitions=2), SpaceSaving(4)), "column"),
        (
            lambda: reduce_sketch(
                dd.from_pandas(frame(), npartitions=2), SpaceSaving(4), column="nope"
            ),
            "column",
        ),
        (lambda: reduce_sketch(da.ones((4, 4), chunks=2), SpaceSaving(4)), "collection"),
        (lambda: reduce_sketch(db.from_sequence(["#a"]), "SpaceSaving"), "template"),
        (
            lambda: window_sketches(
                dd.from_pandas(frame(), npartitions=2),
                SpaceSaving(4),
                column="hashtag",
                freq="fortnightly",
            ),
            "freq",
        ),
        (lambda: merge_serialized([]), "blobs"),
        (
            lambda: window_sketches(
                dd.from_pandas(frame().reset_index(drop=True), npartitions=2),
                SpaceSaving(4),
                column="hashtag",
                freq="1h",
            ),
            "frame.index",
        ),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(call, named):
    with pytest.raises(InvalidParameterError, match=f"invalid {named}="):
        call()


def test_a_template_that_already_counted_is_refused():
    used = SpaceSaving(4)
    used.update("#a")
    with pytest.raises(InvalidParameterError, match="empty sketch"):
        reduce_sketch(db.from_sequence(["#a"]), used)


def test_without_dask_the_module_names_the_extra():
    code = (
        "import sys; sys.modules['dask'] = None\n"
        "try:\n    import twitterdesign.topk.dask\n"
        "except ImportError as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        'MissingDependencyError this needs dask: pip install "twitterdesign[dask]"'
    )
