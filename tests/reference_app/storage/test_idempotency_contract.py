"""Contract of `IdempotencyStore` (and the key half of ``create_status``'s unit of work)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from twitterdesign.reference_app.storage import Store

from ._factories import add_users, run_together, status


def _status_events(store: Store) -> list[int]:
    return [sid for _, sid, _ in store.events_since(0, 1000) if sid is not None]


def test_idempotency_key_returns_the_first_status(store: Store) -> None:
    add_users(store, 1)
    first, created = store.create_status(status(100, 1), idempotency_key="k")
    again, created_again = store.create_status(status(101, 1), idempotency_key="k")
    assert created
    assert not created_again
    assert again.id == first.id == 100
    assert store.get_statuses([101]) == {}


def test_same_key_twice_stores_one_status_and_one_event(store: Store) -> None:
    add_users(store, 1)
    first, _ = store.create_status(status(100, 1), idempotency_key="k")
    again, created = store.create_status(status(101, 1, text="other"), idempotency_key="k")
    assert not created
    assert again == first
    assert store.count_statuses() == 1
    assert store.get_accounts([1])[1].statuses_count == 1
    assert _status_events(store) == [100]


def test_the_key_belongs_to_one_account(store: Store) -> None:
    add_users(store, 1, 2)
    a, created_a = store.create_status(status(100, 1), idempotency_key="k")
    b, created_b = store.create_status(status(101, 2), idempotency_key="k")
    assert created_a
    assert created_b
    assert (a.id, b.id) == (100, 101)
    assert store.count_statuses() == 2
    assert _status_events(store) == [100, 101]


def test_idempotent_request_returns_the_status_and_fingerprint(store: Store) -> None:
    add_users(store, 1)
    stored, _ = store.create_status(status(100, 1), idempotency_key="k", request_fingerprint="f1")
    assert store.idempotent_request(1, "k") == (stored, "f1")
    assert store.idempotent_request(1, "other") is None
    assert store.idempotent_request(2, "k") is None
    store.create_status(status(101, 1), idempotency_key="plain")
    assert store.idempotent_request(1, "plain") == (store.get_statuses([101])[101], "")


def test_the_key_of_a_deleted_status_is_forgotten(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1), idempotency_key="k", request_fingerprint="f1")
    store.delete_status(100)
    assert store.idempotent_request(1, "k") is None
    stored, created = store.create_status(
        status(101, 1), idempotency_key="k", request_fingerprint="f2"
    )
    assert created
    assert store.idempotent_request(1, "k") == (stored, "f2")


def test_concurrent_requests_with_one_key_store_one_status(store: Store) -> None:
    add_users(store, 1)
    jobs: list[Callable[[], object]] = [
        partial(store.create_status, status(sid, 1), idempotency_key="race")
        for sid in range(100, 108)
    ]
    results = run_together(jobs)
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(created for _, created in results) == 1
    assert len({s.id for s, _ in results}) == 1
    assert store.count_statuses() == 1
    assert len(_status_events(store)) == 1
