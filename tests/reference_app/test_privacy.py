"""Followers-only statuses never reach a non-follower, through any endpoint (property)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, User

# embedded SQLite and the cluster mode (tests/reference_app/_engines.py).
pytestmark = pytest.mark.all_engines

VIS = st.sampled_from(["public", "unlisted", "private"])


def _ids(payload: Any) -> set[str]:
    """Every status id anywhere in a JSON payload (including nested reblogs)."""
    found: set[str] = set()
    if isinstance(payload, dict):
        if "visibility" in payload and "id" in payload and "content" in payload:
            found.add(payload["id"])
        if "status_id" in payload:  # top-k entries of /lesson/v1/trends
            found.add(str(payload["status_id"]))
        for value in payload.values():
            found |= _ids(value)
    elif isinstance(payload, list):
        for item in payload:
            found |= _ids(item)
    return found


scenario = st.fixed_dictionaries(
    {
        "n_users": st.integers(2, 4),
        "edges": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=8),
        "posts": st.lists(
            st.tuples(st.integers(0, 3), VIS, st.booleans(), st.booleans()),
            min_size=1,
            max_size=6,
        ),
        "unfollows": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=2),
        "likes": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), max_size=4),
    }
)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenario)
def test_private_statuses_never_reach_non_followers(api: Api, sc: dict[str, Any]) -> None:
    users = [api.register() for _ in range(sc["n_users"])]
    n = len(users)
    follows: set[tuple[int, int]] = set()
    for a, b in sc["edges"]:
        a, b = a % n, b % n
        if a != b:
            api.follow(users[a], users[b])
            follows.add((a, b))
    posted: list[tuple[int, dict[str, Any]]] = []
    for author, vis, reply, tagged in sc["posts"]:
        author %= n
        fields: dict[str, Any] = {"visibility": vis}
        if reply and posted:
            parent_author, parent = posted[-1]
            # Reply only where the author can see the parent (else the API says 404).
            if (
                parent["visibility"] != "private"
                or parent_author == author
                or ((author, parent_author) in follows)
            ):
                fields["in_reply_to_id"] = parent["id"]
        text = f"secret words {'#leak' if tagged else ''} @{users[(author + 1) % n].username}"
        posted.append((author, api.post(users[author], text, **fields)))
    for a, b in sc["unfollows"]:
        a, b = a % n, b % n
        if (a, b) in follows:
            api.client.post(f"/api/v1/accounts/{users[b].id}/unfollow", headers=users[a].headers)
            follows.discard((a, b))
    for who, idx in sc["likes"]:
        if posted:
            _, st_ = posted[idx % len(posted)]
            api.client.post(
                f"/api/v1/statuses/{st_['id']}/favourite", headers=users[who % n].headers
            )
    api.settle()

    def may_see(viewer: int | None, author: int) -> bool:
        return viewer is not None and (viewer == author or (viewer, author) in follows)

    private = {s["id"]: a for a, s in posted if s["visibility"] == "private"}
    for v in [*range(n), None]:
        headers = users[v].headers if v is not None else {}
        forbidden = {sid for sid, a in private.items() if not may_see(v, a)}
        urls = [
            "/api/v1/timelines/public",
            "/api/v1/timelines/tag/leak",
            "/api/v2/search?q=secret",
            "/api/v1/trends/statuses",
            "/lesson/v1/trends",
            *[f"/api/v1/accounts/{u.id}/statuses" for u in users],
            *[f"/api/v1/statuses/{s['id']}/context" for _, s in posted],
            *[f"/api/v1/statuses/{s['id']}" for _, s in posted],
        ]
        if v is not None:
            me = users[v]
            urls += [
                "/api/v1/timelines/home",
                "/api/v1/notifications",
                f"/lesson/v1/viewHome_timeline?user_id={me.id}",
                f"/lesson/v1/searchTweet?user_id={me.id}&search_term=secret",
                *[
                    f"/lesson/v1/viewUser_timeline?user_id={me.id}&target_user_id={u.id}"
                    for u in users
                ],
            ]
        for url in urls:
            reply = api.client.get(url, headers=headers)
            assert reply.status_code in (200, 404), (url, reply.text)
            leaked = _ids(reply.json()) & forbidden
            assert not leaked, (url, v, leaked)
        # A hidden status is a 404 for its favourited_by list too (no counts leak).
        for sid in forbidden:
            reply = api.client.get(f"/api/v1/statuses/{sid}/favourited_by", headers=headers)
            assert reply.status_code == 404


def test_private_reply_is_not_counted_on_a_public_parent(api: Api) -> None:
    ada, bob = api.register(), api.register()
    parent = api.post(ada, "public parent")
    api.post(bob, "followers-only reply", in_reply_to_id=parent["id"], visibility="private")
    seen = api.client.get(f"/api/v1/statuses/{parent['id']}").json()
    assert seen["replies_count"] == 0
    context = api.client.get(f"/api/v1/statuses/{parent['id']}/context").json()
    assert context["descendants"] == []


def test_followers_see_private_posts_and_cannot_reblog_them(api: Api) -> None:
    ada, bob, eve = api.register(), api.register(), api.register()
    api.follow(bob, ada)
    secret = api.post(ada, "for followers", visibility="private")
    api.settle()
    assert (
        api.client.get(f"/api/v1/statuses/{secret['id']}", headers=bob.headers).status_code == 200
    )
    assert (
        api.client.get(f"/api/v1/statuses/{secret['id']}", headers=eve.headers).status_code == 404
    )
    home = api.client.get("/api/v1/timelines/home", headers=bob.headers).json()
    assert [s["id"] for s in home] == [secret["id"]]
    reblog = api.client.post(f"/api/v1/statuses/{secret['id']}/reblog", headers=bob.headers)
    assert reblog.status_code == 403
    assert reblog.json() == {"error": "Private statuses cannot be reblogged"}


def _unused(u: User) -> None:  # keeps the User import meaningful for type checkers
    del u
