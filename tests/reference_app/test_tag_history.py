"""`TagHistory`: per-day uses and distinct accounts of hashtags, bounded and mergeable.

The distinct counts are HyperLogLog estimates; what a user relies on is that the reported
number is within the sketch's bounds of the true number of different accounts, also
after two instances' histories are merged (an account seen by both counts once).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.reference_app.services.tag_history import (
    RELATIVE_STANDARD_ERROR,
    TagHistory,
)

DAY_MS = 86_400_000
TAGS = ("python", "rust", "go")

# (account, tag index) pairs: few accounts so that the same account repeats a tag often.
streams = st.lists(st.tuples(st.integers(1, 150), st.integers(0, len(TAGS) - 1)), max_size=300)


def _true_accounts(stream: list[tuple[int, int]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {t: set() for t in TAGS}
    for account, tag in stream:
        out[TAGS[tag]].add(account)
    return out


def _feed(history: TagHistory, stream: list[tuple[int, int]], at_ms: int = 0) -> None:
    for account, tag in stream:
        history.update([TAGS[tag]], account_id=account, at_ms=at_ms)


def test_one_account_using_a_tag_ten_times_is_one_account() -> None:
    h = TagHistory()
    for i in range(10):
        h.update(["python"], account_id=42, at_ms=i)
    today = h.history("python", now_ms=10)[0]
    assert (today.uses, today.accounts) == (10, 1)


@settings(max_examples=60)
@given(stream=streams)
def test_distinct_accounts_within_the_bounds(stream: list[tuple[int, int]]) -> None:
    h = TagHistory()
    _feed(h, stream)
    h._check()
    for tag, accounts in _true_accounts(stream).items():
        day = h.history(tag, now_ms=0)[0]
        assert day.uses == sum(1 for _, t in stream if TAGS[t] == tag)
        assert day.accounts_lower <= len(accounts) <= day.accounts_upper
        # Below a few hundred accounts the sketch is still a list of hashes: exact.
        assert day.accounts == len(accounts)


@settings(max_examples=60)
@given(left=streams, right=streams)
def test_two_instances_merged_count_their_union(
    left: list[tuple[int, int]], right: list[tuple[int, int]]
) -> None:
    a, b = TagHistory(), TagHistory()
    _feed(a, left)
    _feed(b, right)
    merged = TagHistory.from_bytes(a.to_bytes()).merge(TagHistory.from_bytes(b.to_bytes()))
    union = _true_accounts(left + right)
    for tag in TAGS:
        day = merged.history(tag, now_ms=0)[0]
        assert day.accounts_lower <= len(union[tag]) <= day.accounts_upper
        assert day.accounts == len(union[tag])
        assert day.uses == sum(1 for _, t in left + right if TAGS[t] == tag)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_large_distinct_counts_stay_within_the_relative_error(seed: int) -> None:
    """Thousands of accounts (the sketch in HLL mode), split over two instances."""
    rng = np.random.default_rng(seed)
    a, b = TagHistory(max_tags=100), TagHistory(max_tags=100)
    truth: dict[str, set[int]] = {}
    for i in range(40):
        tag = f"t{i}"
        n = int(rng.integers(200, 20_000))
        ids = rng.integers(0, 2**62, size=n)
        truth[tag] = set(ids.tolist())
        for j, account in enumerate(ids.tolist() * 2):  # every account posts twice
            (a if j % 3 else b).update([tag], account_id=account, at_ms=0)
    merged = a.merge(b)
    inside = 0
    for tag, accounts in truth.items():
        day = merged.history(tag, now_ms=0)[0]
        true = len(accounts)
        inside += day.accounts_lower <= true <= day.accounts_upper
        assert abs(day.accounts - true) <= 5 * RELATIVE_STANDARD_ERROR * true
    # The bounds are at 2 standard deviations: about 95% of the tags fall inside.
    assert inside >= 0.85 * len(truth)


def test_days_are_kept_for_a_week_and_tags_per_day_are_bounded() -> None:
    h = TagHistory(days=7, max_tags=2)
    for day in range(10):
        h.update(["old"], account_id=1, at_ms=day * DAY_MS)
    week = h.history("old", now_ms=9 * DAY_MS)
    assert [d.day_s for d in week] == [(9 - i) * 86_400 for i in range(7)]
    assert [d.uses for d in week] == [1] * 7
    h.update(["a"], account_id=1, at_ms=9 * DAY_MS)
    h.update(["a"], account_id=2, at_ms=9 * DAY_MS)
    h.update(["b"], account_id=3, at_ms=9 * DAY_MS)  # evicts "old", the least used today
    h._check()
    today = {t: h.history(t, now_ms=9 * DAY_MS)[0].uses for t in ("old", "a", "b")}
    assert today == {"old": 0, "a": 2, "b": 1}


def test_bad_arguments_and_bytes_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="days"):
        TagHistory(days=0)
    with pytest.raises(InvalidParameterError, match="max_tags"):
        TagHistory(max_tags=0)
    with pytest.raises(IncompatibleError):
        TagHistory(days=7).merge(TagHistory(days=3))
    h = TagHistory()
    h.update(["python"], account_id=1, at_ms=0)
    data = h.to_bytes()
    for bad in (data[:-1], data + b"x", b"XXXX" + data[4:], b""):
        with pytest.raises(CorruptDataError):
            TagHistory.from_bytes(bad)


def test_trends_service_merges_the_instances_published_histories(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two app instances on one database: each counts its posts, the reads merge."""
    from tests.reference_app.storage._factories import status
    from twitterdesign.reference_app.services import TrendsService
    from twitterdesign.reference_app.storage import SQLiteStore

    store = SQLiteStore(tmp_path / "db.sqlite3")
    now = 5 * DAY_MS

    def instance(worker: int) -> TrendsService:
        return TrendsService(
            store, lambda: now, window_s=3600.0, flush_interval_s=1.0, worker_id=worker
        )

    one, two = instance(0), instance(1)
    for sid, (service, author) in enumerate(
        [(one, 1), (one, 1), (one, 2), (two, 2), (two, 3), (two, 3)], start=1
    ):
        service.on_created(status(sid, author, tags=("python",), created_at_ms=now))
    one.persist()
    two.persist()
    for service in (one, two):
        today = service.tag_history("python")[0]
        assert (today.uses, today.accounts) == (6, 3)
    store.close()
