"""Bookmarks, the favourites page, markers and the unread count, hashtags: over HTTP, on
every engine (embedded SQLite and the PostgreSQL + Redis cluster)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.reference_app.conftest import Api, User

pytestmark = pytest.mark.all_engines


def _ids(reply: Any) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [s["id"] for s in reply.json()]


def _next(reply: Any) -> str:
    """The path and query of the ``rel="next"`` link."""
    url = urlsplit(reply.headers["link"].split(">;")[0].lstrip("<"))
    return f"{url.path}?{url.query}"


# --- bookmarks --------------------------------------------------------------------------
def test_bookmark_is_idempotent_and_shows_for_its_owner_only(api: Api) -> None:
    ada, bob = api.register(), api.register()
    sid = api.post(bob, "worth keeping")["id"]
    for _ in range(2):
        reply = api.client.post(f"/api/v1/statuses/{sid}/bookmark", headers=ada.headers)
        assert reply.status_code == 200, reply.text
        assert reply.json()["bookmarked"] is True
    assert api.client.get(f"/api/v1/statuses/{sid}", headers=ada.headers).json()["bookmarked"]
    # Another viewer of the same status (the render cache is shared) sees its own flag.
    assert (
        api.client.get(f"/api/v1/statuses/{sid}", headers=bob.headers).json()["bookmarked"] is False
    )
    assert _ids(api.client.get("/api/v1/bookmarks", headers=ada.headers)) == [sid]
    assert _ids(api.client.get("/api/v1/bookmarks", headers=bob.headers)) == []
    for _ in range(2):
        reply = api.client.post(f"/api/v1/statuses/{sid}/unbookmark", headers=ada.headers)
        assert reply.status_code == 200
        assert reply.json()["bookmarked"] is False
    assert _ids(api.client.get("/api/v1/bookmarks", headers=ada.headers)) == []


def test_bookmarked_flag_in_timelines_and_on_reblogs(api: Api) -> None:
    ada, bob = api.register(), api.register()
    api.follow(ada, bob)
    sid = api.post(bob, "original")["id"]
    reblog = api.client.post(f"/api/v1/statuses/{sid}/reblog", headers=bob.headers).json()
    # Bookmarking the reblog bookmarks the original, as favourites do.
    marked = api.client.post(f"/api/v1/statuses/{reblog['id']}/bookmark", headers=ada.headers)
    assert marked.json()["id"] == sid
    api.settle()
    home = api.client.get("/api/v1/timelines/home", headers=ada.headers).json()
    by_id = {s["id"]: s for s in home}
    assert by_id[sid]["bookmarked"] is True
    assert by_id[reblog["id"]]["reblog"]["bookmarked"] is True
    public = api.client.get("/api/v1/timelines/public", headers=bob.headers).json()
    assert all(s["bookmarked"] is False for s in public)


def test_bookmarks_page_newest_bookmark_first_with_links(api: Api) -> None:
    ada, bob = api.register(), api.register()
    sids = [api.post(bob, f"s{i}")["id"] for i in range(5)]
    for sid in (sids[3], sids[0], sids[4], sids[1]):  # bookmark order, not status order
        api.client.post(f"/api/v1/statuses/{sid}/bookmark", headers=ada.headers)
    first = api.client.get("/api/v1/bookmarks?limit=3", headers=ada.headers)
    assert _ids(first) == [sids[1], sids[4], sids[0]]
    rest = api.client.get(_next(first), headers=ada.headers)
    assert _ids(rest) == [sids[3]]


def test_a_status_one_may_not_see_cannot_be_bookmarked(api: Api) -> None:
    ada, bob = api.register(), api.register()
    hidden = api.post(bob, "followers only", visibility="private")["id"]
    for action in ("bookmark", "unbookmark"):
        reply = api.client.post(f"/api/v1/statuses/{hidden}/{action}", headers=ada.headers)
        assert reply.status_code == 404
        assert reply.json() == {"error": "Record not found"}
    assert api.client.post("/api/v1/statuses/nope/bookmark", headers=ada.headers).status_code == 404


def test_a_bookmark_hidden_later_leaves_the_page_but_not_its_cursor(api: Api) -> None:
    ada, bob = api.register(), api.register()
    api.follow(ada, bob)
    private = api.post(bob, "for followers", visibility="private")["id"]
    public = api.post(bob, "for all")["id"]
    for sid in (private, public):
        api.client.post(f"/api/v1/statuses/{sid}/bookmark", headers=ada.headers)
    api.client.post(f"/api/v1/accounts/{bob.id}/unfollow", headers=ada.headers)
    reply = api.client.get("/api/v1/bookmarks", headers=ada.headers)
    assert _ids(reply) == [public]
    api.client.delete(f"/api/v1/statuses/{public}", headers=bob.headers)
    assert _ids(api.client.get("/api/v1/bookmarks", headers=ada.headers)) == []


def test_bookmark_scopes(api: Api) -> None:
    ada, bob = api.register(), api.register()
    sid = api.post(bob, "x")["id"]
    assert api.client.get("/api/v1/bookmarks").status_code == 401
    assert api.client.post(f"/api/v1/statuses/{sid}/bookmark").status_code == 401
    read_only = _token(api, ada, "read")
    assert api.client.post(f"/api/v1/statuses/{sid}/bookmark", headers=read_only).status_code == 403
    assert api.client.get("/api/v1/bookmarks", headers=read_only).status_code == 200
    narrow = _token(api, ada, "read:favourites")
    assert api.client.get("/api/v1/bookmarks", headers=narrow).status_code == 403
    assert api.client.get("/api/v1/favourites", headers=narrow).status_code == 200


def _token(api: Api, user: User, scope: str) -> dict[str, str]:
    """A password-grant token of ``user`` with only ``scope``."""
    reply = api.client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "username": f"{user.username}@example.org",
            "password": "correct horse",
            "scope": scope,
        },
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


# --- favourites -------------------------------------------------------------------------
def test_favourites_newest_like_first_with_links(api: Api) -> None:
    ada, bob = api.register(), api.register()
    sids = [api.post(bob, f"s{i}")["id"] for i in range(4)]
    for sid in (sids[2], sids[0], sids[3]):
        api.client.post(f"/api/v1/statuses/{sid}/favourite", headers=ada.headers)
    api.client.post(f"/api/v1/statuses/{sids[1]}/favourite", headers=bob.headers)
    first = api.client.get("/api/v1/favourites?limit=2", headers=ada.headers)
    assert _ids(first) == [sids[3], sids[0]]
    assert all(s["favourited"] for s in first.json())
    assert _ids(api.client.get(_next(first), headers=ada.headers)) == [sids[2]]
    api.client.post(f"/api/v1/statuses/{sids[0]}/unfavourite", headers=ada.headers)
    assert _ids(api.client.get("/api/v1/favourites", headers=ada.headers)) == [sids[3], sids[2]]
    assert api.client.get("/api/v1/favourites").status_code == 401


# --- markers and the unread count -------------------------------------------------------
def test_markers_persist_per_account_with_versions(api: Api) -> None:
    ada, bob = api.register(), api.register()
    assert api.client.get("/api/v1/markers?timeline[]=home", headers=ada.headers).json() == {}
    saved = api.client.post(
        "/api/v1/markers", headers=ada.headers, data={"home[last_read_id]": "1234"}
    )
    assert saved.status_code == 200, saved.text
    home = saved.json()["home"]
    assert home["last_read_id"] == "1234"
    assert home["version"] == 1
    assert home["updated_at"].endswith("Z")
    again = api.client.post(
        "/api/v1/markers",
        headers=ada.headers,
        json={"home": {"last_read_id": "1300"}, "notifications": {"last_read_id": "7"}},
    ).json()
    assert (again["home"]["last_read_id"], again["home"]["version"]) == ("1300", 2)
    assert again["notifications"]["version"] == 1
    both = api.client.get(
        "/api/v1/markers?timeline[]=home&timeline[]=notifications", headers=ada.headers
    ).json()
    assert {k: (v["last_read_id"], v["version"]) for k, v in both.items()} == {
        "home": ("1300", 2),
        "notifications": ("7", 1),
    }
    assert api.client.get("/api/v1/markers?timeline[]=home", headers=bob.headers).json() == {}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"home[last_read_id]": "abc"},
        {"home[last_read_id]": "-1"},
        {"somewhere[last_read_id]": "5"},
    ],
)
def test_bad_markers_are_refused(api: Api, body: dict[str, str]) -> None:
    ada = api.register()
    reply = api.client.post("/api/v1/markers", headers=ada.headers, data=body)
    assert reply.status_code in (400, 422)
    assert "error" in reply.json()
    assert api.client.post("/api/v1/markers", data={"home[last_read_id]": "5"}).status_code == 401


def test_unread_count_counts_after_the_notifications_marker(api: Api) -> None:
    ada = api.register()
    fans = [api.register() for _ in range(3)]
    for fan in fans:
        api.follow(fan, ada)
    notes = api.client.get("/api/v1/notifications", headers=ada.headers).json()
    assert len(notes) == 3
    count = api.client.get("/api/v1/notifications/unread_count", headers=ada.headers)
    assert count.status_code == 200
    assert count.json() == {"count": 3}
    oldest_read = sorted(notes, key=lambda n: int(n["id"]))[0]["id"]
    api.client.post(
        "/api/v1/markers", headers=ada.headers, data={"notifications[last_read_id]": oldest_read}
    )
    unread = api.client.get("/api/v1/notifications/unread_count", headers=ada.headers).json()
    assert unread == {"count": 2}
    capped = api.client.get("/api/v1/notifications/unread_count?limit=1", headers=ada.headers)
    assert capped.json() == {"count": 1}
    only = api.client.get("/api/v1/notifications/unread_count?types[]=mention", headers=ada.headers)
    assert only.json() == {"count": 0}
    assert api.client.get("/api/v1/notifications/unread_count").status_code == 401
    bad = api.client.get("/api/v1/notifications/unread_count?limit=x", headers=ada.headers)
    assert bad.status_code == 400


# --- hashtags ---------------------------------------------------------------------------
def test_tag_page_follow_and_unfollow(api: Api) -> None:
    ada, bob = api.register(), api.register()
    api.post(ada, "#Python is fun")
    api.post(ada, "more #python")
    api.post(bob, "#python too")
    api.post(bob, "#python hidden", visibility="private")
    tag = api.client.get("/api/v1/tags/Python", headers=ada.headers)
    assert tag.status_code == 200, tag.text
    body = tag.json()
    assert body["name"] == "python"
    assert body["following"] is False
    trend = api.client.get("/api/v1/trends/tags").json()[0]
    assert body["id"] == trend["id"]  # the same stable id everywhere
    assert len(body["history"]) == 7
    today = body["history"][0]
    assert (today["uses"], today["accounts"]) == ("3", "2")
    assert all(d["uses"] == "0" for d in body["history"][1:])
    days = [int(d["day"]) for d in body["history"]]
    assert days == sorted(days, reverse=True)
    assert days[0] - days[1] == 86_400
    assert "following" not in api.client.get("/api/v1/tags/python").json()
    for _ in range(2):
        followed = api.client.post("/api/v1/tags/python/follow", headers=ada.headers)
        assert followed.status_code == 200
        assert followed.json()["following"] is True
    api.client.post("/api/v1/tags/rust/follow", headers=ada.headers)
    listed = api.client.get("/api/v1/followed_tags", headers=ada.headers)
    assert [t["name"] for t in listed.json()] == ["rust", "python"]
    assert all(t["following"] is True for t in listed.json())
    page = api.client.get("/api/v1/followed_tags?limit=1", headers=ada.headers)
    assert [t["name"] for t in page.json()] == ["rust"]
    assert [t["name"] for t in api.client.get(_next(page), headers=ada.headers).json()] == [
        "python"
    ]
    assert api.client.get("/api/v1/followed_tags", headers=bob.headers).json() == []
    unfollowed = api.client.post("/api/v1/tags/python/unfollow", headers=ada.headers)
    assert unfollowed.json()["following"] is False
    assert [
        t["name"] for t in api.client.get("/api/v1/followed_tags", headers=ada.headers).json()
    ] == ["rust"]


def test_tag_errors(api: Api) -> None:
    ada = api.register()
    assert api.client.get("/api/v1/tags/not-a-tag").status_code == 404
    assert api.client.post("/api/v1/tags/no%20space/follow", headers=ada.headers).status_code == 404
    assert api.client.post("/api/v1/tags/python/follow").status_code == 401
    assert api.client.get("/api/v1/followed_tags").status_code == 401
    unused = api.client.get("/api/v1/tags/neverused").json()
    assert all(d["uses"] == "0" for d in unused["history"])
