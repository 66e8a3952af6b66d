"""The rendered-JSON memo and the fast page path: never stale, same document as the dicts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.reference_app.conftest import Api
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._render_cache import RenderCache
from twitterdesign.reference_app.services import Services


# --- RenderCache ------------------------------------------------------------------------
def test_cache_rebuilds_when_the_signature_changes() -> None:
    cache = RenderCache(capacity=4)
    built: list[str] = []

    def build(text: str) -> Any:
        def inner() -> str:
            built.append(text)
            return text

        return inner

    assert cache.get("k", 1, build("a")) == "a"
    assert cache.get("k", 1, build("never")) == "a"
    assert cache.get("k", 2, build("b")) == "b"
    assert cache.get("k", 2, build("never")) == "b"
    assert built == ["a", "b"]
    assert (cache.hits, cache.misses) == (2, 2)
    cache._check()


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 3)), max_size=200))
def test_cache_returns_what_build_returns_for_the_signature(ops: list[tuple[int, int]]) -> None:
    cache = RenderCache(capacity=5)
    for key, signature in ops:
        assert (
            cache.get(key, signature, lambda k=key, s=signature: f"{k}:{s}") == f"{key}:{signature}"
        )
        assert len(cache) <= 5
    cache._check()


def test_cache_evicts_the_least_recently_used() -> None:
    cache = RenderCache(capacity=2)
    cache.get("a", 0, lambda: "a")
    cache.get("b", 0, lambda: "b")
    cache.get("a", 0, lambda: "stale")  # a is now the most recent
    cache.get("c", 0, lambda: "c")  # evicts b
    assert cache.get("a", 0, lambda: "rebuilt") == "a"
    assert cache.get("b", 0, lambda: "rebuilt") == "rebuilt"
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize("capacity", [0, -1, 1.5, True])
def test_cache_capacity_is_validated(capacity: Any) -> None:
    with pytest.raises(InvalidParameterError, match="capacity"):
        RenderCache(capacity=capacity)


# --- the fast page path renders what the per-item path renders ------------------------
def _without_views(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        copy = {k: v for k, v in item.items() if k != "views_count"}
        if isinstance(copy.get("reblog"), dict):
            copy["reblog"] = _without_views([copy["reblog"]])[0]
        out.append(copy)
    return out


@pytest.mark.parametrize("viewer", ["reader", None])
@pytest.mark.parametrize("cached", [True, False])
def test_statuses_json_is_the_same_document_as_statuses(
    api: Api, viewer: str | None, cached: bool
) -> None:
    ada, bob, reader = api.register(), api.register(), api.register()
    api.follow(reader, ada)
    first = api.post(ada, f"Hello #World & <friends> @{bob.username}\n\nsecond paragraph")
    reply = api.post(bob, "a reply", in_reply_to_id=first["id"])
    api.client.post(f"/api/v1/statuses/{first['id']}/favourite", headers=reader.headers)
    reblog = api.client.post(f"/api/v1/statuses/{first['id']}/reblog", headers=bob.headers).json()
    services: Services = api.client.app.state.services  # type: ignore[attr-defined]
    ids = [int(reblog["id"]), int(reply["id"]), int(first["id"])]
    found = services.store.get_statuses(ids)
    items = [found[i] for i in ids]
    viewer_id = int(reader.id) if viewer else None
    cache = RenderCache() if cached else None
    r = Renderer(services, "http://testserver", viewer_id, cache=cache)
    for _ in range(2):  # the second round is served from the cache when there is one
        fast = json.loads(r.statuses_json(items))
        slow = r.statuses(items)
        assert _without_views(fast) == _without_views(slow)
        # Each render counted one view of the non-reblog statuses.
        assert [s["views_count"] + 1 for s in fast[1:]] == [s["views_count"] for s in slow[1:]]
    if cache is not None:
        assert cache.hits > 0
        cache._check()
    assert r.statuses_json([]) == "[]"


# --- a change is visible in the very next read ---------------------------------------
def _home(api: Api, user: Any) -> dict[str, dict[str, Any]]:
    reply = api.client.get("/api/v1/timelines/home", headers=user.headers)
    assert reply.status_code == 200, reply.text
    return {s["id"]: s for s in reply.json()}


def test_favourite_reblog_and_counts_show_in_the_next_home_read(api: Api) -> None:
    author, reader, other = api.register(), api.register(), api.register()
    api.follow(reader, author)
    sid = api.post(author, "cache me #please")["id"]
    api.settle()
    before = _home(api, reader)[sid]
    assert before["favourites_count"] == 0
    assert before["favourited"] is False
    assert _home(api, reader)[sid]["views_count"] == before["views_count"] + 1

    api.client.post(f"/api/v1/statuses/{sid}/favourite", headers=reader.headers)
    after = _home(api, reader)[sid]
    assert after["favourites_count"] == 1
    assert after["favourited"] is True

    api.client.post(f"/api/v1/statuses/{sid}/unfavourite", headers=reader.headers)
    assert _home(api, reader)[sid]["favourites_count"] == 0
    assert _home(api, reader)[sid]["favourited"] is False

    api.client.post(f"/api/v1/statuses/{sid}/reblog", headers=other.headers)
    api.post(other, "a reply", in_reply_to_id=sid)
    again = _home(api, reader)[sid]
    assert again["reblogs_count"] == 1
    assert again["replies_count"] == 1


def test_author_changes_show_in_the_embedded_account(api: Api) -> None:
    author, reader, fan = api.register(), api.register(), api.register()
    api.follow(reader, author)
    sid = api.post(author, "who follows me")["id"]
    api.settle()
    assert _home(api, reader)[sid]["account"]["followers_count"] == 1
    api.follow(fan, author)
    api.post(author, "another")
    api.settle()
    account = _home(api, reader)[sid]["account"]
    assert account["followers_count"] == 2
    assert account["statuses_count"] == 2


def test_deleted_status_is_gone_from_the_next_read(api: Api) -> None:
    author, reader = api.register(), api.register()
    api.follow(reader, author)
    keep = api.post(author, "keep")["id"]
    gone = api.post(author, "delete me")["id"]
    api.settle()
    assert {keep, gone} <= set(_home(api, reader))
    reply = api.client.delete(f"/api/v1/statuses/{gone}", headers=author.headers)
    assert reply.status_code == 200, reply.text
    home = _home(api, reader)
    assert gone not in home
    assert keep in home
    public = api.client.get("/api/v1/timelines/public").json()
    assert gone not in {s["id"] for s in public}


def test_followers_only_status_disappears_after_an_unfollow(api: Api) -> None:
    author, reader = api.register(), api.register()
    api.follow(reader, author)
    private = api.post(author, "followers only", visibility="private")["id"]
    public = api.post(author, "everyone")["id"]
    api.settle()
    home = _home(api, reader)
    assert home[private]["visibility"] == "private"
    account_page = api.client.get(
        f"/api/v1/accounts/{author.id}/statuses", headers=reader.headers
    ).json()
    assert private in {s["id"] for s in account_page}

    api.client.post(f"/api/v1/accounts/{author.id}/unfollow", headers=reader.headers)
    assert private not in _home(api, reader)
    account_page = api.client.get(
        f"/api/v1/accounts/{author.id}/statuses", headers=reader.headers
    ).json()
    assert {s["id"] for s in account_page} == {public}


def test_pending_views_match_the_counter_and_the_log(api: Api) -> None:
    author, reader = api.register(), api.register()
    api.follow(reader, author)
    sid = api.post(author, "count my views")["id"]
    api.settle()
    services: Services = api.client.app.state.services  # type: ignore[attr-defined]
    for _ in range(3):
        _home(api, reader)
    services.trends._check()
    assert services.trends.pending_views(int(sid)) >= 3
    services.trends.flush()
    services.trends._check()
    assert services.trends.pending_views(int(sid)) == 0
    assert services.store.get_statuses([int(sid)])[int(sid)].views_count >= 3
