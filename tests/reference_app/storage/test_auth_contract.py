"""Contract of `AuthStore`: apps, live tokens, single-use authorization codes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from twitterdesign.reference_app.storage import AppRecord, AuthCodeRecord, Store, TokenRecord

from ._factories import run_together

_APP = AppRecord(1, "toot", None, "urn:ietf:wg:oauth:2.0:oob", "cid", "secret", "read write", 5)


def _code(code_hash: str = "c", app_id: int = 1) -> AuthCodeRecord:
    return AuthCodeRecord(code_hash, app_id, 7, "urn:ietf:wg:oauth:2.0:oob", "read", 10**12)


def test_apps_by_id_and_client_id(store: Store) -> None:
    store.add_app(_APP)
    assert store.get_app(1) == _APP
    assert store.app_by_client_id("cid") == _APP
    assert store.get_app(2) is None
    assert store.app_by_client_id("other") is None


def test_tokens_live_until_revoked(store: Store) -> None:
    token = TokenRecord("h1", 1, 7, "read", 5)
    store.add_token(token)
    store.add_token(TokenRecord("h2", None, None, "read", 5))
    assert store.get_token("h1") == token
    assert store.revoke_token("h1")
    assert store.get_token("h1") is None
    assert store.get_token("h2") is not None
    assert not store.revoke_token("unknown")
    assert store.get_token("unknown") is None


def test_an_auth_code_is_taken_once(store: Store) -> None:
    code = _code()
    store.add_auth_code(code)
    assert store.take_auth_code("c", app_id=1) == code
    assert store.take_auth_code("c", app_id=1) is None


def test_another_apps_code_is_neither_returned_nor_deleted(store: Store) -> None:
    store.add_auth_code(_code(app_id=1))
    assert store.take_auth_code("c", app_id=2) is None
    assert store.take_auth_code("c", app_id=1) is not None


def test_concurrent_redemptions_of_one_code_succeed_once(store: Store) -> None:
    for round_ in range(5):
        store.add_auth_code(_code(f"c{round_}"))
        jobs: list[Callable[[], AuthCodeRecord | None]] = [
            partial(store.take_auth_code, f"c{round_}", app_id=1) for _ in range(4)
        ]
        results = run_together(jobs)
        assert not [r for r in results if isinstance(r, Exception)]
        assert sum(r is not None for r in results) == 1
