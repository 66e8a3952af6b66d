"""Mastodon.py, unchanged, against a live server: bookmarks, favourites, markers, lists,
list timelines and streams, followed hashtags — in both storage modes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

mastodon = pytest.importorskip("mastodon")
Mastodon = mastodon.Mastodon

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def app_keys(server: str) -> tuple[str, str]:
    keys: tuple[str, str] = Mastodon.create_app(
        "mastodon-py-curation", api_base_url=server, scopes=["read", "write", "follow", "push"]
    )
    return keys


_names = iter(range(10**6))


def _user(server: str, keys: tuple[str, str], stem: str) -> Any:
    name = f"{stem}{next(_names)}"
    client_id, client_secret = keys
    anon = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
    assert anon.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
    api.log_in(f"{name}@example.org", "correct horse battery", allow_http=True)
    return api


def _wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_bookmarks_and_favourites(server: str, app_keys: tuple[str, str]) -> None:
    ada, bob = _user(server, app_keys, "ada"), _user(server, app_keys, "bob")
    posts = [bob.status_post(f"keep me {i}") for i in range(3)]
    for post in (posts[1], posts[0], posts[2]):
        marked = ada.status_bookmark(post)
        assert marked.bookmarked is True
    ada.status_favourite(posts[0])
    ada.status_favourite(posts[2])
    first = ada.bookmarks(limit=2)
    assert [s.id for s in first] == [posts[2].id, posts[0].id]
    rest = ada.fetch_next(first)
    assert [s.id for s in rest] == [posts[1].id]
    assert ada.status(posts[1]).bookmarked is True
    assert bob.status(posts[1]).bookmarked is False
    assert ada.status_unbookmark(posts[1]).bookmarked is False
    assert [s.id for s in ada.bookmarks()] == [posts[2].id, posts[0].id]
    liked = ada.favourites()
    assert [s.id for s in liked] == [posts[2].id, posts[0].id]
    assert all(s.favourited for s in liked)


def test_markers_and_unread_count(server: str, app_keys: tuple[str, str]) -> None:
    ada = _user(server, app_keys, "ada")
    fans = [_user(server, app_keys, "fan") for _ in range(3)]
    me = ada.me()
    for fan in fans:
        fan.account_follow(me)
    assert ada.markers_get(["home", "notifications"]) == {}
    post = ada.status_post("read up to here")
    saved = ada.markers_set(["home"], [post])
    assert saved["home"].last_read_id == post.id
    assert saved["home"].version == 1
    notes = ada.notifications()
    assert len(notes) == 3
    assert ada.notifications_unread_count().count == 3
    ada.markers_set("notifications", notes[1].id)  # notes are newest first
    assert ada.notifications_unread_count().count == 1
    both = ada.markers_get(["home", "notifications"])
    assert both["home"].last_read_id == post.id
    assert both["notifications"].last_read_id == notes[1].id
    again = ada.markers_set(["home"], [ada.status_post("later")])
    assert again["home"].version == 2


def test_lists_and_list_timelines(server: str, app_keys: tuple[str, str]) -> None:
    ada, bob, cy = (_user(server, app_keys, n) for n in ("ada", "bob", "cy"))
    bob_account, cy_account = bob.me(), cy.me()
    ada.account_follow(bob_account)
    ada.account_follow(cy_account)
    close = ada.list_create("Close friends", replies_policy="followed", exclusive=False)
    assert close.title == "Close friends"
    ada.list_accounts_add(close, [bob_account])
    assert [a.id for a in ada.list_accounts(close)] == [bob_account.id]
    assert [x.id for x in ada.account_lists(bob_account)] == [close.id]
    assert [x.id for x in ada.lists()] == [close.id]
    renamed = ada.list_update(close, "Inner circle", replies_policy="list")
    assert (renamed.title, renamed.replies_policy) == ("Inner circle", "list")
    posts = [bob.status_post(f"bob says {i}") for i in range(3)]
    cy.status_post("cy is not in the list")
    timeline = ada.timeline_list(close, limit=2)
    assert [s.id for s in timeline] == [posts[2].id, posts[1].id]
    assert [s.id for s in ada.fetch_next(timeline)] == [posts[0].id]
    with pytest.raises(mastodon.MastodonNotFoundError):
        bob.timeline_list(close)
    ada.list_accounts_delete(close, [bob_account])
    assert ada.list_accounts(close) == []
    ada.list_delete(close)
    assert ada.lists() == []


def test_list_stream_delivers_a_members_post(server: str, app_keys: tuple[str, str]) -> None:
    ada, bob, cy = (_user(server, app_keys, n) for n in ("ada", "bob", "cy"))
    ada.account_follow(bob.me())
    ada.account_follow(cy.me())
    friends = ada.list_create("friends")
    ada.list_accounts_add(friends, [bob.me()])
    received: list[Any] = []
    arrived = threading.Event()

    class Listener(mastodon.StreamListener):  # type: ignore[misc]
        def on_update(self, status: Any) -> None:
            received.append(status)
            if "from bob" in status.content:
                arrived.set()

    handle = ada.stream_list(friends.id, Listener(), run_async=True, timeout=30)
    try:
        assert _wait_for(handle.is_receiving)  # subscribed before the response began
        cy.status_post("from cy, followed but not a member")
        bob.status_post("from bob, a member")
        assert arrived.wait(20)
    finally:
        handle.close()
    assert [s.content for s in received] == ["<p>from bob, a member</p>"]


def test_followed_tags(server: str, app_keys: tuple[str, str]) -> None:
    ada = _user(server, app_keys, "ada")
    ada.status_post("#Python and #rust")
    tag = ada.tag("python")
    assert (tag.name, tag.following) == ("python", False)
    assert int(tag.history[0].uses) == 1
    assert ada.tag_follow("python").following is True
    ada.tag_follow("rust")
    assert [t.name for t in ada.followed_tags()] == ["rust", "python"]
    assert ada.tag_unfollow("rust").following is False
    assert [t.name for t in ada.followed_tags()] == ["python"]
