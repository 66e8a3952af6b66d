"""The index behind each hot query, checked with EXPLAIN on ~50k rows per table.

The store's own SQL is captured (``_q`` recorded, not run), then explained on a schema
filled with 2,000 accounts, 50,000 statuses, ~50,000 follow edges, 50,000 notifications
and 50,000 hashtag links, after VACUUM ANALYZE. Only the plan's shape is asserted (which
index, never a sequential scan of the big table): no timings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from twitterdesign.reference_app.storage import Page
from twitterdesign.reference_app.storage.postgres import PostgresStore

pytestmark = pytest.mark.slow

_FILL = (
    "INSERT INTO accounts(id, username, created_at) "
    "SELECT g, 'u' || g, 0 FROM generate_series(1, 2000) g",
    "INSERT INTO users(account_id, email, password_hash) "
    "SELECT g, 'u' || g || '@x.org', 'h' FROM generate_series(1, 2000) g",
    "INSERT INTO statuses(id, account_id, text, visibility, created_at) "
    "SELECT 1000000 + g, 1 + (g * 7919) % 2000, 'status number ' || g "
    "|| CASE WHEN g % 50 = 0 THEN ' kafka' ELSE '' END, "
    "(ARRAY['public', 'public', 'public', 'unlisted', 'private'])[1 + g % 5], g "
    "FROM generate_series(1, 50000) g",
    "INSERT INTO status_tags(status_id, tag) "
    "SELECT 1000000 + g, 'tag' || (g % 100) FROM generate_series(1, 50000) g",
    "INSERT INTO follows(follower_id, followee_id, id, created_at) "
    "SELECT 1 + g % 2000, 1 + (g * 31 + g / 2000) % 2000, 5000000 + g, 0 "
    "FROM generate_series(1, 50000) g ON CONFLICT DO NOTHING",
    "INSERT INTO notifications(id, account_id, type, from_account_id, created_at) "
    "SELECT 9000000 + g, 1 + g % 2000, 'favourite', 1, g FROM generate_series(1, 50000) g",
)


@pytest.fixture(scope="module")
def filled(module_store: PostgresStore) -> PostgresStore:
    with module_store._tx() as conn:
        for statement in _FILL:
            conn.execute(statement)
    with module_store._pool.connection() as conn:
        conn.execute("VACUUM ANALYZE")
    return module_store


@pytest.fixture
def plan_of(filled: PostgresStore) -> Iterator[Callable[[Callable[[], Any]], str]]:
    """``plan_of(lambda: store.method(...))`` -> the EXPLAIN text of the SQL it ran last."""
    real_q = filled._q

    def plan(call: Callable[[], Any]) -> str:
        seen: list[tuple[str, Any]] = []
        filled._q = lambda query, params=(): seen.append((query, params)) or []  # type: ignore[method-assign]
        try:
            call()
        finally:
            del filled._q
        query, params = seen[-1]
        return "\n".join(str(r[0]) for r in real_q("EXPLAIN " + query, params))

    yield plan
    assert filled._q == real_q


def _uses(plan: str, index: str) -> None:
    assert f" {index} " in plan + " ", plan
    assert "Seq Scan on statuses" not in plan, plan


def test_home_timeline_scans_each_authors_index(filled: PostgresStore, plan_of: Any) -> None:
    authors = list(range(1, 201))
    plan = plan_of(lambda: filled.status_ids_by_authors(authors, Page(max_id=1040000)))
    _uses(plan, "statuses_by_account")
    # One bounded scan per author (LATERAL ... LIMIT), never one pass over all statuses.
    assert "Function Scan on unnest" in plan, plan
    assert "Nested Loop" in plan, plan


def test_public_timeline_reads_the_partial_index(filled: PostgresStore, plan_of: Any) -> None:
    plan = plan_of(lambda: filled.public_status_ids(Page(max_id=1040000)))
    assert "Index Only Scan Backward using statuses_public" in plan, plan
    _uses(plan_of(lambda: filled.public_status_ids(Page(), tag="tag7")), "status_tags_pkey")


def test_follow_pages_and_notifications_use_their_indexes(
    filled: PostgresStore, plan_of: Any
) -> None:
    _uses(plan_of(lambda: filled.followers_page(5, Page(max_id=5040000))), "follows_by_followee")
    _uses(plan_of(lambda: filled.following_page(5, Page())), "follows_by_follower")
    _uses(plan_of(lambda: filled.notifications(5, Page())), "notifications_by_account")
    profile = plan_of(
        lambda: filled.account_status_ids(5, Page(), visibilities=["public", "unlisted"])
    )
    _uses(profile, "statuses_by_account")


@pytest.mark.parametrize("order", ["recency", "relevancy"])
@pytest.mark.parametrize("words", ["kafka", "12345", "number 777"])
def test_search_uses_the_gin_index(
    filled: PostgresStore, plan_of: Any, words: str, order: str
) -> None:
    _uses(plan_of(lambda: filled.search_status_ids(words, 5, 20, order=order)), "statuses_search")


def test_account_prefix_search_uses_the_lower_indexes(filled: PostgresStore, plan_of: Any) -> None:
    plan = plan_of(lambda: filled.search_accounts("U12", 10))
    assert "accounts_username_lower" in plan, plan
    assert "accounts_display_name_lower" in plan, plan
