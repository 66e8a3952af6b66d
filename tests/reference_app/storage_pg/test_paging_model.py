"""Keyset pagination against a model, and the same operations on SQLite and PostgreSQL.

Each hypothesis example starts from empty tables (`truncate_all`), so the global
timelines can be compared with a model computed in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.storage._factories import expected_page
from tests.reference_app.storage._factories import status as make_status
from tests.reference_app.storage_pg._postgres import truncate_all
from twitterdesign.reference_app.storage import Page, SQLiteStore
from twitterdesign.reference_app.storage.postgres import PostgresStore

AUTHORS = (1, 2, 3)
VISIBILITY = st.sampled_from(["public", "unlisted", "private"])


cursor = st.one_of(st.none(), st.integers(0, 120))
pages = st.builds(Page, max_id=cursor, since_id=cursor, min_id=cursor, limit=st.integers(1, 8))
posts = st.lists(
    st.tuples(st.integers(1, 100), st.sampled_from(AUTHORS), VISIBILITY),
    unique_by=lambda t: t[0],
    max_size=40,
)


@pytest.fixture(scope="module")
def fresh(module_store: PostgresStore, module_schema: str) -> Callable[[], PostgresStore]:
    def reset() -> PostgresStore:
        truncate_all(module_schema)
        for a in AUTHORS:
            module_store.create_user(a, f"u{a}", f"u{a}@x.org", "h", 0)
        return module_store

    return reset


@settings(max_examples=60)
@given(posts=posts, page=pages, authors=st.sets(st.sampled_from(AUTHORS)))
def test_pages_match_the_model(
    fresh: Callable[[], PostgresStore],
    posts: list[tuple[int, int, str]],
    page: Page,
    authors: set[int],
) -> None:
    store = fresh()
    for sid, author, visibility in posts:
        store.create_status(make_status(sid, author, visibility=visibility))
    public = [sid for sid, _, v in posts if v == "public"]
    assert store.public_status_ids(page) == expected_page(public, page)
    by_authors = [sid for sid, a, _ in posts if a in authors]
    assert store.status_ids_by_authors(sorted(authors), page) == expected_page(by_authors, page)
    mine = [sid for sid, a, v in posts if a == 1 and v != "private"]
    assert store.account_status_ids(1, page, visibilities=["public", "unlisted"]) == expected_page(
        mine, page
    )
    assert store.integrity_ok()


# --- differential: the same operations on both stores give the same answers ---------
ops = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.sampled_from(AUTHORS), VISIBILITY, st.integers(0, 5)),
        st.tuples(st.just("reply"), st.sampled_from(AUTHORS), VISIBILITY, st.integers(0, 30)),
        st.tuples(st.just("reblog"), st.sampled_from(AUTHORS), st.integers(0, 30)),
        st.tuples(st.just("fav"), st.sampled_from(AUTHORS), st.integers(0, 30)),
        st.tuples(st.just("unfav"), st.sampled_from(AUTHORS), st.integers(0, 30)),
        st.tuples(st.just("follow"), st.sampled_from(AUTHORS), st.sampled_from(AUTHORS)),
        st.tuples(st.just("unfollow"), st.sampled_from(AUTHORS), st.sampled_from(AUTHORS)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
    ),
    max_size=40,
)
WORDS = ["kafka", "events", "tweets", "manhattan"]


@pytest.fixture(scope="module")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], SQLiteStore]]:
    opened: list[SQLiteStore] = []

    def make() -> SQLiteStore:
        s = SQLiteStore(tmp_path_factory.mktemp("diff") / "db.sqlite3", synchronous="NORMAL")
        opened.append(s)
        for a in AUTHORS:
            s.create_user(a, f"u{a}", f"u{a}@x.org", "h", 0)
        return s

    yield make
    for s in opened:
        s.close()


def _apply(store: SQLiteStore | PostgresStore, script: list[tuple[object, ...]]) -> None:
    next_id = 1000
    posted: list[int] = []

    def target(k: object) -> int | None:
        live = [p for p in posted if store.get_statuses([p])]
        return live[int(k) % len(live)] if live else None  # type: ignore[call-overload]

    for op in script:
        next_id += 1
        kind = op[0]
        if kind == "post":
            _, author, visibility, w = op
            text = " ".join(WORDS[: int(w) % 4 + 1])  # type: ignore[call-overload]
            tags = (WORDS[int(w) % 4],)  # type: ignore[call-overload]
            store.create_status(
                make_status(next_id, author, text, visibility=visibility, tags=tags)  # type: ignore[arg-type]
            )
            posted.append(next_id)
        elif kind == "reply":
            _, author, visibility, k = op
            parent = target(k)
            if parent is not None:
                parent_author = store.get_statuses([parent])[parent].account_id
                store.create_status(
                    make_status(
                        next_id,
                        author,  # type: ignore[arg-type]
                        "re kafka",
                        visibility=visibility,
                        in_reply_to_id=parent,
                        in_reply_to_account_id=parent_author,
                    )
                )
                posted.append(next_id)
        elif kind == "reblog":
            _, author, k = op
            original = target(k)
            if original is not None and store.reblog_of(author, original) is None:  # type: ignore[arg-type]
                store.create_status(make_status(next_id, author, "", reblog_of_id=original))  # type: ignore[arg-type]
        elif kind == "fav":
            status = target(op[2])
            if status is not None:
                store.favourite(op[1], status, next_id, next_id)  # type: ignore[arg-type]
        elif kind == "unfav":
            status = target(op[2])
            if status is not None:
                store.unfavourite(op[1], status)  # type: ignore[arg-type]
        elif kind == "follow":
            if op[1] != op[2]:
                store.follow(op[1], op[2], next_id, next_id)  # type: ignore[arg-type]
        elif kind == "unfollow":
            store.unfollow(op[1], op[2])  # type: ignore[arg-type]
        elif kind == "delete":
            status = target(op[1])
            if status is not None:
                store.delete_status(status)


def _snapshot(store: SQLiteStore | PostgresStore) -> dict[str, object]:
    ids = list(range(1000, 1100))
    vis = ["public", "unlisted", "private"]
    return {
        "statuses": store.get_statuses(ids),
        "accounts": store.get_accounts(AUTHORS),
        "profiles": [
            store.account_status_ids(a, Page(limit=50), visibilities=vis) for a in AUTHORS
        ],
        "no_replies": [
            store.account_status_ids(
                a, Page(limit=50), visibilities=vis, exclude_replies=True, exclude_reblogs=True
            )
            for a in AUTHORS
        ],
        "public": store.public_status_ids(Page(limit=50)),
        "tag": store.public_status_ids(Page(limit=50), tag="KAFKA"),
        "home": store.status_ids_by_authors(AUTHORS, Page(limit=7, min_id=1005)),
        "home2": store.status_ids_by_authors(AUTHORS[:2], Page(limit=5, max_id=1020)),
        "followers": [store.followers_page(a, Page()) for a in AUTHORS],
        "following": [store.following_page(a, Page()) for a in AUTHORS],
        "counts": [store.followee_follower_counts(a) for a in AUTHORS],
        "search": [store.search_status_ids(w, v, 50) for w in WORDS for v in (None, *AUTHORS)],
        "search2": store.search_status_ids("kafka events", 1, 50),
        "tags": store.search_tags("", 10),
        "trending": store.tag_uses_since(0, 10),
        "recent": sorted(store.recent_public_status_ids(0)),
        "replies": store.replies_to(ids),
        "interactions": [store.interactions(a, ids) for a in AUTHORS],
        "favourited_by": [store.favourited_by(i, Page()) for i in ids],
        "reblogged_by": [store.reblogged_by(i, Page()) for i in ids],
        "events": [(e[1], e[2]) for e in store.events_since(0, 1000)],
        "max_id": store.max_id(),
        "count": store.count_statuses(),
    }


@settings(max_examples=40)
@given(script=ops)
def test_postgres_answers_like_sqlite(
    fresh: Callable[[], PostgresStore],
    sqlite_factory: Callable[[], SQLiteStore],
    script: list[tuple[object, ...]],
) -> None:
    pg, lite = fresh(), sqlite_factory()
    _apply(pg, script)
    _apply(lite, script)
    expected, got = _snapshot(lite), _snapshot(pg)
    for key in expected:
        assert got[key] == expected[key], key
    assert pg.integrity_problems() == []


def test_model_page_examples() -> None:
    assert expected_page([1, 2, 3, 4], Page(limit=2)) == [4, 3]
    assert expected_page([1, 2, 3, 4], Page(min_id=1, limit=2)) == [3, 2]
    assert expected_page([1, 2, 3, 4], Page(max_id=4, since_id=1)) == [3, 2]
