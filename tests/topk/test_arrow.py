"""Arrow arrays and pandas Series as input: same sketch as the Python items, nulls skipped."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import topk_texts
from tests.topk.test_protocol import FACTORIES, names
from twitterdesign.errors import InvalidParameterError
from twitterdesign.topk import DecayedTopK, SpaceSaving, WindowedTopK

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

# Strings of every kind the list path handles (long, non-ASCII, empty, with NUL), but
# no lone surrogates: Arrow strings are valid UTF-8 and cannot hold them.
arrow_texts = topk_texts.filter(lambda t: "\ud800" not in t)
text_lists = st.lists(arrow_texts, max_size=120)
int64s = st.integers(min_value=-(2**63), max_value=2**63 - 1)
int_lists = st.lists(st.one_of(st.integers(0, 20), int64s), max_size=120)
weight_lists = st.integers(1, 9)


def built(name, items, weights=None):
    sketch = FACTORIES[name]()
    sketch.update_many(items, weights)
    return sketch


def columnar_forms(items, arrow_type, cut):
    """The same items as an Arrow array, a chunked array cut at ``cut`` and a Series."""
    array = pa.array(items, type=arrow_type)
    chunked = pa.chunked_array([array[:cut], array[cut:]], type=arrow_type)
    series = pd.Series(array.to_pandas(), dtype=pd.ArrowDtype(arrow_type))
    return {"array": array, "chunked": chunked, "series": series}


@names
@settings(max_examples=40)
@given(items=text_lists, large=st.booleans(), data=st.data())
def test_string_columns_build_the_same_sketch_as_the_python_list(name, items, large, data):
    cut = data.draw(st.integers(0, len(items)))
    expected = built(name, items).to_bytes()
    kind = pa.large_string() if large else pa.string()
    for form, column in columnar_forms(items, kind, cut).items():
        assert built(name, column).to_bytes() == expected, form


@names
@settings(max_examples=25)
@given(items=st.lists(st.binary(max_size=40), max_size=100), large=st.booleans())
def test_binary_columns_count_bytes_items(name, items, large):
    kind = pa.large_binary() if large else pa.binary()
    assert built(name, pa.array(items, kind)).to_bytes() == built(name, items).to_bytes()


@names
@settings(max_examples=25)
@given(items=int_lists)
def test_integer_columns_build_the_same_sketch_as_python_ints(name, items):
    expected = built(name, items).to_bytes()
    assert built(name, pa.array(items, pa.int64())).to_bytes() == expected
    assert built(name, pd.Series(items, dtype="int64")).to_bytes() == expected
    small = [x for x in items if 0 <= x < 2**31]
    assert built(name, pa.array(small, pa.uint32())).to_bytes() == built(name, small).to_bytes()


@names
@settings(max_examples=25)
@given(stream=st.lists(st.tuples(arrow_texts, weight_lists), max_size=100))
def test_weights_may_be_arrow_or_pandas_too(name, stream):
    items = [x for x, _ in stream]
    weights = [w for _, w in stream]
    expected = built(name, items, weights).to_bytes()
    assert built(name, pa.array(items), pa.array(weights, pa.int32())).to_bytes() == expected
    assert built(name, pd.Series(items), pd.Series(weights)).to_bytes() == expected


@names
@settings(max_examples=25)
@given(left=text_lists, right=text_lists)
def test_sketches_from_arrow_and_from_python_merge(name, left, right):
    from_python = built(name, left).merge(built(name, right))
    mixed = built(name, pa.array(left, pa.string())).merge(built(name, right))
    assert mixed.to_bytes() == from_python.to_bytes()


@names
@settings(max_examples=25)
@given(stream=st.lists(st.tuples(st.one_of(st.none(), arrow_texts), weight_lists), max_size=100))
def test_nulls_are_skipped_with_their_weights(name, stream):
    items = [x for x, _ in stream]
    weights = [w for _, w in stream]
    kept = [(x, w) for x, w in stream if x is not None]
    expected = built(name, [x for x, _ in kept], [w for _, w in kept]).to_bytes()
    assert built(name, pa.array(items, pa.string()), weights).to_bytes() == expected
    assert built(name, pd.Series(items, dtype=object), weights).to_bytes() == expected


def test_pandas_missing_values_of_every_kind_are_skipped():
    series = pd.Series(["#a", None, float("nan"), pd.NA, "#a", "#b"], dtype=object)
    sketch = SpaceSaving(4)
    sketch.update_many(series)
    assert sketch.total_weight == 3
    assert sketch.estimate("#a") == 2
    ints = pd.Series([7, None, 7], dtype="Int64")
    counted = SpaceSaving(4)
    counted.update_many(ints)
    assert (counted.total_weight, counted.estimate(7)) == (2, 2)


def test_dictionary_and_categorical_columns_count_their_values():
    tags = ["#a", "#b", "#a", "#c", "#a"] * 10
    expected = SpaceSaving(3)
    expected.update_many(tags)
    for column in (pa.array(tags).dictionary_encode(), pd.Series(tags, dtype="category")):
        sketch = SpaceSaving(3)
        sketch.update_many(column)
        assert sketch.to_bytes() == expected.to_bytes()


def test_a_sliced_array_counts_only_its_slice():
    array = pa.array([f"#t{i % 7}" for i in range(100)])
    part = array.slice(13, 50)
    sketch, expected = SpaceSaving(10), SpaceSaving(10)
    sketch.update_many(part)
    expected.update_many(part.to_pylist())
    assert sketch.to_bytes() == expected.to_bytes()


def test_windowed_and_decayed_sketches_take_arrow_with_timestamps():
    tags = pa.array(["#a", "#b", "#a", "#a"] * 8)
    times = pa.array(np.repeat([0.0, 70.0], 16))
    makers = (
        lambda: WindowedTopK(window_s=60, buckets=6),
        lambda: DecayedTopK(half_life_s=30.0, capacity=8),
    )
    for make in makers:
        from_arrow, from_list = make(), make()
        from_arrow.update_many(tags, timestamps_s=times)
        from_list.update_many(tags.to_pylist(), timestamps_s=times.to_numpy())
        assert from_arrow.to_bytes() == from_list.to_bytes()


@pytest.mark.parametrize(
    ("column", "named"),
    [
        (pa.array([1.5, 2.0]), "items"),
        (pa.array([True, False]), "items"),
        (pa.array([2**63 + 1], pa.uint64()), "items"),
        (pd.DataFrame({"tag": ["#a"]}), "items"),
        (pd.Series(["#a", 3], dtype=object), "items"),
    ],
)
def test_unsupported_columns_are_refused_clearly(column, named):
    with pytest.raises(InvalidParameterError, match=f"invalid {named}="):
        SpaceSaving(4).update_many(column)


def test_weights_with_nulls_or_the_wrong_length_are_refused():
    with pytest.raises(InvalidParameterError, match="weights"):
        SpaceSaving(4).update_many(pa.array(["#a", "#b"]), pa.array([1, None]))
    with pytest.raises(InvalidParameterError, match="weights"):
        SpaceSaving(4).update_many(pa.array(["#a", None]), [1])


def test_importing_topk_does_not_import_arrow_pandas_or_dask():
    code = (
        "import sys, twitterdesign.topk; "
        "print(sorted(m for m in ('pyarrow', 'pandas', 'dask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
