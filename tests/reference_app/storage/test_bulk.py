"""Bulk loading (`storage.bulk`): every engine ends up as if each row had been written
through the store's own units of work — counters, hashtags, search — and the outbox empty.

Runs against every engine of `ENGINES` (PostgreSQL in a schema of its own, skipped when
the server is unreachable).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import follow_edge_lists, seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.services import extract_hashtags
from twitterdesign.reference_app.storage import Page, SQLiteStore, Store
from twitterdesign.reference_app.storage.bulk import (
    BULK_WORKER_ID,
    BulkHistory,
    bulk_load,
    synthetic_history,
)
from twitterdesign.timeline import FollowerGraph, power_law_graph

END_MS = 1_750_000_000_000


def _history(n_users: int = 40, n_statuses: int = 300, seed: int = 1) -> BulkHistory:
    graph = power_law_graph(n_users, mean_followees=min(4.0, (n_users - 1) / 2), rng=seed)
    return synthetic_history(graph, n_statuses, end_ms=END_MS, rng=seed + 1)


def _counts_match_rows(store: Store, history: BulkHistory) -> None:
    """Every account's counters equal the rows the public read API returns."""
    ids = [int(i) for i in history.account_ids]
    accounts = store.get_accounts(ids)
    assert sorted(accounts) == sorted(ids)
    big = Page(limit=10**6)
    for index, aid in enumerate(ids):
        acc = accounts[aid]
        assert acc.username == history.usernames[index]
        assert acc.followers_count == len(store.follower_ids(aid))
        assert acc.following_count == len(store.followee_ids(aid))
        own = store.account_status_ids(aid, big, visibilities=["public", "unlisted", "private"])
        assert acc.statuses_count == len(own)
        newest = store.get_statuses(own[:1])
        expected_last = newest[own[0]].created_at_ms if own else None
        assert acc.last_status_at_ms == expected_last


def test_a_loaded_history_reads_back_through_the_public_api(store: Store) -> None:
    history = _history()
    report = bulk_load(store, history)
    assert (report.accounts, report.statuses) == (40, 300)
    assert report.follows == history.graph.n_edges
    assert report.status_tags == sum(len(t) for t in history.status_tags)
    assert store.count_accounts() == 40
    assert store.count_statuses() == 300
    # Graph counters are the graph's degrees, and equal the edge rows.
    by_id = store.get_accounts(int(i) for i in history.account_ids)
    followers = [by_id[int(a)].followers_count for a in history.account_ids]
    assert followers == history.graph.follower_counts.tolist()
    _counts_match_rows(store, history)
    # Statuses: newest first, ids in time order, tags as the app would extract them.
    public = store.public_status_ids(Page(limit=1000))
    assert public == sorted(history.status_ids.tolist(), reverse=True)
    statuses = store.get_statuses(public)
    for sid in public[:50]:
        s = statuses[sid]
        assert set(s.tags) == set(extract_hashtags(s.text))
        assert s.visibility == "public"
        assert (s.replies_count, s.reblogs_count, s.favourites_count) == (0, 0, 0)
    # Hashtag timelines and full-text search see the loaded statuses.
    tag = history.status_tags[0][0]
    pairs = zip(history.status_ids.tolist(), history.status_tags, strict=True)
    expected = sorted((sid for sid, tags in pairs if tag in tags), reverse=True)
    assert store.public_status_ids(Page(limit=1000), tag=tag) == expected
    assert sorted(store.search_status_ids(tag, None, 1000), reverse=True) == expected
    assert dict(store.search_tags(tag, 5))[tag] >= len(expected)
    # Loaded history is not fan-out: the outbox stays empty.
    assert store.event_head() == 0
    assert store.events_since(0, 10) == []
    assert store.integrity_ok()
    problems = getattr(store, "integrity_problems", None)
    if problems is not None:  # PostgreSQL: counters, search vectors, logins, outbox
        assert problems() == []
    # An app started afterwards makes ids above every loaded one.
    assert store.max_id() == max(int(history.status_ids.max()), int(history.follow_ids.max()))


def test_the_sqlite_search_index_is_complete(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "db.sqlite3")
    bulk_load(store, _history())
    store.close()
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    try:
        # FTS5's own check: the index matches the content table row for row.
        conn.execute("INSERT INTO statuses_fts(statuses_fts, rank) VALUES ('integrity-check', 1)")
        assert conn.execute("SELECT count(*) FROM statuses_fts").fetchone()[0] == 300
        assert conn.execute("SELECT count(*) FROM fanout_log").fetchone()[0] == 0
    finally:
        conn.close()


def test_posting_after_a_load_keeps_the_counters(store: Store) -> None:
    from tests.reference_app.storage._factories import status

    history = _history(n_users=5, n_statuses=10)
    bulk_load(store, history)
    author = int(history.account_ids[0])
    before = store.get_accounts([author])[author].statuses_count
    new_id = store.max_id() + 1  # type: ignore[operator]
    store.create_status(status(new_id, author, text="after the load #fresh"))
    assert store.get_accounts([author])[author].statuses_count == before + 1
    assert store.event_head() == 1  # a new post is fan-out, unlike the history
    _counts_match_rows(store, history)


def test_a_store_that_holds_rows_is_refused(store: Store) -> None:
    store.create_user(1, "ada", "ada@example.org", "h", 0)
    with pytest.raises(InvalidParameterError, match="store"):
        bulk_load(store, _history())
    assert store.count_accounts() == 1  # nothing half-loaded


def test_a_second_load_is_refused(store: Store) -> None:
    bulk_load(store, _history(n_users=5, n_statuses=3))
    with pytest.raises(InvalidParameterError, match="store"):
        bulk_load(store, _history(n_users=5, n_statuses=3, seed=7))


def test_bad_arguments_name_the_parameter(store: Store) -> None:
    with pytest.raises(InvalidParameterError, match="store"):
        bulk_load(object(), _history())
    with pytest.raises(InvalidParameterError, match="history"):
        bulk_load(store, "not a history")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="password_hash"):
        bulk_load(store, _history(), password_hash="")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_statuses": -1}, "n_statuses"),
        ({"n_statuses": 1.5}, "n_statuses"),
        ({"span_ms": 0}, "span_ms"),
        ({"end_ms": 5}, "end_ms"),
        ({"hashtags": []}, "hashtags"),
        ({"hashtags": "python"}, "hashtags"),
        ({"hashtags": ["#python"]}, "hashtags"),
        ({"hashtags": ["Python"]}, "hashtags"),
        ({"hashtags": ["a", "a"]}, "hashtags"),
        ({"username_prefix": "1user"}, "username_prefix"),
        ({"n_statuses": 10_000, "span_ms": 1}, "span_ms"),
    ],
)
def test_synthetic_history_validates_its_arguments(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {"n_statuses": 10, "end_ms": END_MS, **kwargs}
    graph = FollowerGraph.from_edges([1], [0])
    with pytest.raises(InvalidParameterError, match=name):
        synthetic_history(graph, **args)  # type: ignore[arg-type]


def test_synthetic_history_needs_a_graph() -> None:
    with pytest.raises(InvalidParameterError, match="graph"):
        synthetic_history([(1, 0)], 10)  # type: ignore[arg-type]


def test_synthetic_history_is_reproducible_and_time_ordered() -> None:
    a, b = _history(seed=3), _history(seed=3)
    a._check()
    assert a.status_texts == b.status_texts
    assert np.array_equal(a.status_ids, b.status_ids)
    assert (np.diff(a.status_ids) > 0).all()
    assert (np.diff(a.status_created_ms) >= 0).all()
    assert int(a.account_ids.max()) < int(a.follow_ids.min())
    assert int(a.follow_ids.max()) < int(a.status_ids.min())
    assert ((a.status_ids >> 12) & 1023 == BULK_WORKER_ID).all()
    assert int(a.status_created_ms.max()) <= END_MS
    for text, tags in zip(a.status_texts, a.status_tags, strict=True):
        assert extract_hashtags(text) == tags


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edges=follow_edge_lists(max_users=10, max_edges=30), n_statuses=st.integers(0, 40), seed=seeds
)
def test_loaded_counts_equal_counts_of_rows(
    make_store: Callable[[], Store],
    edges: tuple[int, list[int], list[int]],
    n_statuses: int,
    seed: int,
) -> None:
    n, src, dst = edges
    graph = FollowerGraph.from_edges(src, dst, n_users=n)
    history = synthetic_history(graph, n_statuses, end_ms=END_MS, rng=seed)
    history._check()
    store = make_store()
    bulk_load(store, history)
    assert store.count_accounts() == n
    assert store.count_statuses() == n_statuses
    _counts_match_rows(store, history)
    assert store.event_head() == 0
