"""PostgresStore full-text search: every word required, any input safe, visibility kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.storage._factories import status as make_status
from twitterdesign.reference_app.storage.postgres import PostgresStore

HOSTILE = [
    "",
    " ",
    "'",
    '"',
    "\\",
    "&|!:*()",
    "a & b",
    "kafka | !events",
    "kafka:*",
    "kafka <-> events",
    "!kafka",
    "((kafka",
    "' OR 1=1 --",
    "%_",
    "\x00kafka",
    "x" * 5000,
    "🦀 " * 300,
    "日本語のテキスト",
]


@pytest.fixture(scope="module")
def corpus(module_store: PostgresStore) -> PostgresStore:
    store = module_store
    for i, name in [(1, "ada"), (2, "bob"), (3, "cy")]:
        store.create_user(i, name, f"{name}@x.org", "h", 0)
    store.follow(2, 1, 50, 0)
    store.create_status(make_status(100, 1, text="Kafka carries the events"))
    store.create_status(make_status(101, 1, text="kafka kafka KAFKA events, events!"))
    store.create_status(make_status(102, 1, text="Kafka for followers", visibility="private"))
    store.create_status(make_status(103, 1, text="Kafka unlisted", visibility="unlisted"))
    store.create_status(make_status(104, 2, text="", reblog_of_id=100))
    store.create_status(make_status(105, 3, text="Ünïcode façade 日本語 kafka"))
    store.create_status(make_status(106, 3, text="it's a don't-stop e-mail: ada@x.org"))
    return store


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(corpus: PostgresStore, query: str) -> None:
    for order in ("recency", "relevancy"):
        result = corpus.search_status_ids(query, 2, 10, order=order)
        assert isinstance(result, list)


@settings(max_examples=200)
@given(query=st.text(max_size=60), viewer=st.sampled_from([None, 1, 2, 3]))
def test_any_text_is_a_safe_query(corpus: PostgresStore, query: str, viewer: int | None) -> None:
    ids = corpus.search_status_ids(query, viewer, 5, order="relevancy")
    assert len(ids) <= 5
    assert set(ids) <= {100, 101, 102, 103, 105, 106}


def test_every_word_is_required(corpus: PostgresStore) -> None:
    assert corpus.search_status_ids("kafka events", None, 10) == [101, 100]
    assert corpus.search_status_ids("KAFKA carries", None, 10) == [100]
    assert corpus.search_status_ids("kafka tweets", None, 10) == []
    assert corpus.search_status_ids('"kafka" & !carries', None, 10) == [100]  # no operators
    assert corpus.search_status_ids("日本語", None, 10) == [105]
    assert corpus.search_status_ids("façade", None, 10) == [105]
    assert corpus.search_status_ids("don't", None, 10) == [106]


def test_relevancy_ranks_better_matches_first(corpus: PostgresStore) -> None:
    assert corpus.search_status_ids("kafka", None, 10, order="relevancy")[0] == 101
    assert corpus.search_status_ids("kafka", None, 10) == [105, 101, 100]  # newest first


def test_search_respects_visibility_and_skips_reblogs(corpus: PostgresStore) -> None:
    assert corpus.search_status_ids("kafka", 1, 10) == [105, 103, 102, 101, 100]  # own
    assert corpus.search_status_ids("kafka", 2, 10) == [105, 103, 102, 101, 100]  # follower
    assert corpus.search_status_ids("kafka", 3, 10) == [105, 101, 100]  # stranger
    assert 104 not in corpus.search_status_ids("carries", 2, 10)  # the reblog is not text


def test_limit_and_offset_page_through_results(corpus: PostgresStore) -> None:
    assert corpus.search_status_ids("kafka", 1, 2) == [105, 103]
    assert corpus.search_status_ids("kafka", 1, 2, offset=2) == [102, 101]
    assert corpus.search_status_ids("kafka", 1, 2, offset=10) == []


def test_search_tags_prefix_is_literal(module_store: PostgresStore) -> None:
    store = module_store
    store.create_user(50, "tagger", "t@x.org", "h", 0)
    store.create_status(make_status(500, 50, tags=("a_b", "axb", "ab")))
    store.create_status(make_status(501, 50, tags=("ab",)))
    store.create_status(make_status(502, 50, tags=("ab", "a_b"), visibility="private"))
    assert store.search_tags("a_", 10) == [("a_b", 1)]
    assert store.search_tags("A", 10) == [("ab", 2), ("a_b", 1), ("axb", 1)]
    assert store.search_tags("%", 10) == []
