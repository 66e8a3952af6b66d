"""The packed string path: vectorized MurmurHash3 and exact grouping of string batches."""

from __future__ import annotations

from collections import Counter

import mmh3
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import topk_texts
from twitterdesign.topk import CountMinSketch, ExactCounter, MisraGries, SpaceSaving, _packed
from twitterdesign.topk._base import aggregate, as_batch, summarize
from twitterdesign.topk._hashing import fingerprint, fingerprints
from twitterdesign.topk._packed import BYTES_SEED, STR_SEED, murmur3_h1, pack

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)
text_batches = st.lists(st.one_of(topk_texts, any_text), min_size=1, max_size=300)


def mmh3_h1(data: bytes, seed: int) -> int:
    """The reference: mmh3's own MurmurHash3 x64-128, first half, of the bytes."""
    return int(mmh3.hash64(data, seed, signed=False)[0])


@given(st.lists(any_text, min_size=1, max_size=120))
def test_vectorized_murmur3_equals_mmh3_on_utf8(texts):
    packed = pack(texts)
    if any("\x00" in t for t in texts):
        assert packed is None  # the separator cannot be told apart: general path
        return
    assert packed is not None
    expected = [mmh3_h1(t.encode("utf-8", "surrogatepass"), STR_SEED) for t in texts]
    assert murmur3_h1(packed).tolist() == expected


@given(st.lists(st.binary(max_size=70), min_size=1, max_size=120))
def test_vectorized_murmur3_equals_mmh3_on_bytes(blobs):
    packed = pack(blobs)
    assert packed is not None
    assert murmur3_h1(packed).tolist() == [mmh3_h1(b, BYTES_SEED) for b in blobs]


@given(text_batches)
def test_batch_and_single_fingerprints_agree(texts):
    assert fingerprints(texts).tolist() == [fingerprint(t) for t in texts]


def test_mixed_or_foreign_batches_are_not_packed():
    assert pack(["a", b"a"]) is None
    assert pack([b"a", "a"]) is None
    assert pack(["a", 1]) is None
    assert pack([1, 2]) is None
    assert pack([b"a", bytearray(b"a")]) is None


@given(text_batches, st.booleans())
def test_grouping_is_exact_and_keeps_first_seen_order(texts, weighted):
    batch_texts = texts * (1 + 64 // len(texts))  # at least 64 items: the packed path
    weights = [1 + (i % 5) for i in range(len(batch_texts))] if weighted else None
    batch = as_batch(batch_texts, weights)
    truth: Counter = Counter()
    for i, t in enumerate(batch_texts):
        truth[t] += weights[i] if weights else 1
    keys, counts = aggregate(batch)
    assert keys == list(truth)
    assert counts.tolist() == list(truth.values())
    lazy, lazy_counts = summarize(batch)
    listed = lazy if isinstance(lazy, list) else lazy.tolist()
    assert listed == keys
    assert lazy_counts.tolist() == counts.tolist()


def test_weights_beyond_float_precision_stay_exact():
    texts = ["#a", "#b"] * 40
    weights = [2**53] * 80
    keys, counts = aggregate(as_batch(texts, weights))
    assert keys == ["#a", "#b"]
    assert counts.tolist() == [40 * 2**53, 40 * 2**53]


def collide_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every long item's fingerprint and every table slot the same."""
    monkeypatch.setattr(
        _packed, "_murmur3", lambda packed, starts, lengths: np.zeros(len(starts), np.uint64)
    )
    monkeypatch.setattr(
        _packed, "key_digest", lambda keys, round_=0: np.zeros(keys.shape[1], np.uint64)
    )


@given(st.lists(topk_texts, min_size=64, max_size=200))
def test_collisions_never_merge_different_items(texts):
    with pytest.MonkeyPatch.context() as mp:
        collide_everything(mp)
        keys, counts = aggregate(as_batch(texts))
        ss = SpaceSaving(4)
        ss.update_many(texts)
    truth = Counter(texts)
    assert dict(zip(keys, counts.tolist(), strict=True)) == dict(truth)
    for item, true in truth.items():
        lo, hi = ss.bounds(item)
        assert lo <= true <= hi


def test_long_items_with_one_fingerprint_are_told_apart(monkeypatch):
    monkeypatch.setattr(
        _packed, "_murmur3", lambda packed, starts, lengths: np.zeros(len(starts), np.uint64)
    )
    texts = ["#" + "x" * 40, "#" + "y" * 40] * 40
    batch = as_batch(texts)
    assert batch.packed is not None
    assert _packed.group(_packed.content_keys(batch.packed), batch.packed, None) is None
    keys, counts = aggregate(batch)
    assert keys == ["#" + "x" * 40, "#" + "y" * 40]
    assert counts.tolist() == [40, 40]


@given(text_batches, st.integers(1, 20))
def test_count_min_string_batches_equal_single_updates(texts, seed):
    batch_texts = texts * (1 + 64 // len(texts))
    a, b = CountMinSketch(64, 3, seed=seed), CountMinSketch(64, 3, seed=seed)
    a.update_many(batch_texts)
    for t in batch_texts:
        b.update(t)
    assert a.to_bytes() == b.to_bytes()


@given(st.lists(topk_texts, min_size=64, max_size=300), st.integers(1, 12))
def test_counter_summaries_on_packed_batches_keep_their_bounds(texts, capacity):
    truth = Counter(texts)
    n = len(texts)
    ss, mg, exact = SpaceSaving(capacity), MisraGries(capacity), ExactCounter()
    for half in (texts[: n // 2], texts[n // 2 :]):
        ss.update_many(half)
        mg.update_many(half)
        exact.update_many(half)
    for item, true in truth.items():
        lo, hi = ss.bounds(item)
        assert lo <= true <= hi
        assert mg.estimate(item) <= true <= mg.estimate(item) + n // (capacity + 1)
        assert exact.estimate(item) == true


def test_a_lone_surrogate_is_counted_not_crashed_on():
    # mmh3 given such a str directly crashes the interpreter; it is hashed as bytes.
    cm = CountMinSketch(32, 2)
    cm.update("\ud800")
    cm.update_many(["\ud800"] * 64)
    assert cm.estimate("\ud800") == 65


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (["#a"] * 64, ["#a"] * 32 + ["x" * 40] * 32),  # one word of key, then four
        (["#a"] * 64, ["#a"] * 32 + ["#" + "b" * 20] * 32),  # one word, then three
        ([b"#a"] * 64, [b"#a"] * 32 + [b"x" * 40] * 32),  # bytes: always four
    ],
)
def test_items_match_across_batches_of_different_key_widths(first, second):
    ss, mg = SpaceSaving(8), MisraGries(8)
    for sketch in (ss, mg):
        sketch.update_many(first)
        sketch.update_many(second)
        sketch._check()
    assert ss.bounds(first[0]) == (96, 96)
    assert mg.estimate(first[0]) == 96
    assert len(ss.top_k(8)) == 2


@given(st.lists(st.text(alphabet="ab#é中", min_size=16, max_size=70), min_size=1, max_size=80))
def test_long_items_hash_and_group_like_the_references(texts):
    # Every item has a whole 16-byte block and whole 8-byte words: the unmasked paths.
    packed = pack(texts)
    assert packed is not None
    assert murmur3_h1(packed).tolist() == [fingerprint(t) for t in texts]
    batch = texts * (1 + 64 // len(texts))
    keys, counts = aggregate(as_batch(batch))
    assert dict(zip(keys, counts.tolist(), strict=True)) == dict(Counter(batch))


def test_long_items_of_different_lengths_with_one_fingerprint(monkeypatch):
    monkeypatch.setattr(
        _packed, "_murmur3", lambda packed, starts, lengths: np.zeros(len(starts), np.uint64)
    )
    texts = ["x" * 40, "x" * 41] * 40
    keys, counts = aggregate(as_batch(texts))
    assert keys == ["x" * 40, "x" * 41]
    assert counts.tolist() == [40, 40]


@pytest.mark.parametrize("table", [["#a", "#b", "#c"], ["#a", 7, "#c"], ["#a"]])
def test_table_matching_falls_back_when_digests_cannot_decide(monkeypatch, table):
    from twitterdesign.topk import _base, _summary

    def same(keys, round_=0):
        return np.zeros(keys.shape[1], np.uint64)

    for module in (_packed, _base, _summary):  # every module that computes digests
        monkeypatch.setattr(module, "key_digest", same)
    ss = SpaceSaving(8)
    ss.update_many(table)  # small batch: the dict path builds the table
    batch = ["#a", "#c", "#d", "#e", "#f"] * 20
    ss.update_many(batch)  # packed batch: digests all equal, so matching must fall back
    ss._check()
    truth = Counter(table) + Counter(batch)
    for item, true in truth.items():
        lo, hi = ss.bounds(item)
        assert lo <= true <= hi
    assert len({h.item for h in ss.top_k(8)}) == len(ss.top_k(8))


def test_production_thresholds_choose_the_path_by_batch_size(monkeypatch):
    from tests.topk.conftest import LOW
    from twitterdesign.topk import _base

    monkeypatch.setattr(_packed, "MIN_PACKED", 512)
    monkeypatch.setattr(_packed, "MIN_GROUPED", 1 << 15)
    monkeypatch.setattr(_base, "_INT_GROUPED", 1 << 12)
    assert LOW < 512
    assert as_batch(["#a"] * 511).packed is None  # hashed one by one
    assert as_batch(["#a"] * 512).packed is not None  # hashed in whole-array passes
    assert _base.group_packed(as_batch(["#a"] * 512)) is None  # summed by a dict
    grouped = _base.group_packed(as_batch(["#a", "#b"] * (1 << 14)))
    assert grouped is not None
    assert grouped[0].tolist() == ["#a", "#b"]
    sparse = np.arange(5000, dtype=np.int64) * 1_000_003_000_001
    keys, _ = aggregate(as_batch(sparse[::-1].copy()))
    assert keys.tolist() == sparse[::-1].tolist()  # grouped: first-seen order
    keys, _ = aggregate(as_batch(sparse[:100][::-1].copy()))
    assert keys.tolist() == sparse[:100].tolist()  # sorted by np.unique
