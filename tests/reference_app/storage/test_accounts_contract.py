"""Contract of `AccountStore`: unique names and emails, lookups, counters at zero."""

from __future__ import annotations

from functools import partial

import pytest

from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage import Store

from ._factories import add_users, run_together


def test_create_user_returns_a_fresh_account(store: Store) -> None:
    account = store.create_user(7, "ada", "ada@example.org", "hash", 1234)
    assert (account.id, account.username, account.created_at_ms) == (7, "ada", 1234)
    assert (account.display_name, account.note) == ("", "")
    assert (account.followers_count, account.following_count, account.statuses_count) == (0, 0, 0)
    assert account.last_status_at_ms is None
    assert store.get_accounts([7]) == {7: account}


def test_unique_username_and_email(store: Store) -> None:
    store.create_user(1, "ada", "ada@example.org", "h", 0)
    with pytest.raises(ConflictError, match="username"):
        store.create_user(2, "Ada", "other@example.org", "h", 0)
    with pytest.raises(ConflictError, match="email"):
        store.create_user(3, "bob", "ADA@example.org", "h", 0)
    assert store.count_accounts() == 1  # the failed inserts left nothing behind
    assert store.login_of("other@example.org") is None
    assert store.get_accounts([2, 3]) == {}


def test_username_lookup_is_case_insensitive(store: Store) -> None:
    store.create_user(1, "ada", "ada@example.org", "h", 0)
    found = store.account_by_username("ADA")
    assert found is not None
    assert found.id == 1
    assert store.account_by_username("bob") is None


def test_get_accounts_returns_only_those_that_exist(store: Store) -> None:
    add_users(store, 1, 2)
    assert sorted(store.get_accounts([2, 1, 99, 2])) == [1, 2]
    assert store.get_accounts([]) == {}


def test_get_accounts_takes_many_ids(store: Store) -> None:
    add_users(store, *range(1, 521))  # more ids than one SQL IN list holds
    assert len(store.get_accounts(range(1, 601))) == 520


def test_login_by_email_or_username(store: Store) -> None:
    store.create_user(1, "ada", "ada@example.org", "secret-hash", 0)
    assert store.login_of("ada") == (1, "secret-hash")
    assert store.login_of("ada@example.org") == (1, "secret-hash")
    assert store.login_of("nobody") is None


def test_search_accounts_by_prefix_treats_wildcards_literally(store: Store) -> None:
    store.create_user(1, "ab_c", "a@x.org", "h", 0)
    store.create_user(2, "abxc", "b@x.org", "h", 0)
    store.create_user(3, "zed", "c@x.org", "h", 0)
    assert [a.id for a in store.search_accounts("ab", 10)] == [1, 2]
    assert [a.id for a in store.search_accounts("ab_", 10)] == [1]
    assert store.search_accounts("ab%", 10) == []
    assert len(store.search_accounts("ab", 1)) == 1


def test_search_accounts_ranks_by_followers(store: Store) -> None:
    add_users(store, 1, 2, 3)
    store.follow(3, 2, 100, 0)
    assert [a.id for a in store.search_accounts("u", 10)] == [2, 1, 3]


def test_count_accounts(store: Store) -> None:
    assert store.count_accounts() == 0
    add_users(store, 1, 2, 3)
    assert store.count_accounts() == 3


@pytest.mark.parametrize("clash", ["username", "email"])
def test_two_threads_registering_the_same_name_exactly_one_wins(store: Store, clash: str) -> None:
    def register(round_: int, i: int) -> object:
        username = f"name{round_}" if clash == "username" else f"name{round_}_{i}"
        email = f"e{round_}@x.org" if clash == "email" else f"e{round_}_{i}@x.org"
        return store.create_user(1000 * round_ + i, username, email, "h", 0)

    for round_ in range(5):
        jobs = [partial(register, round_, i) for i in range(2)]
        results = run_together(jobs)
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1
        assert len(losers) == 1
        assert isinstance(losers[0], ConflictError)
        assert clash in losers[0].message
    assert store.count_accounts() == 5
