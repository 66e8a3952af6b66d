"""Blocks and mutes as Mastodon has them: what they do to follows, and what they hide —
from timelines, contexts, search, notifications and streams, in both modes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, User

pytestmark = [pytest.mark.all_engines, pytest.mark.timeout(180)]


def _act(api: Api, user: User, target: User, action: str, **body: Any) -> dict[str, Any]:
    reply = api.client.post(
        f"/api/v1/accounts/{target.id}/{action}", headers=user.headers, json=body or None
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _ids(api: Api, path: str, user: User | None = None) -> list[str]:
    reply = api.client.get(path, headers=user.headers if user else None)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return [s["id"] for s in (body["statuses"] if isinstance(body, dict) else body)]


def _notes(api: Api, user: User) -> list[dict[str, Any]]:
    return list(api.client.get("/api/v1/notifications", headers=user.headers).json())


def test_block_ends_follows_both_ways_and_forbids_following(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(ada, bob)
    api.follow(bob, ada)
    rel = _act(api, ada, bob, "block")
    assert (rel["blocking"], rel["following"], rel["followed_by"]) == (True, False, False)
    seen_by_bob = api.client.get(
        f"/api/v1/accounts/relationships?id[]={ada.id}", headers=bob.headers
    ).json()[0]
    assert (seen_by_bob["blocked_by"], seen_by_bob["following"]) == (True, False)
    for follower, followee in ((bob, ada), (ada, bob)):
        reply = api.client.post(f"/api/v1/accounts/{followee.id}/follow", headers=follower.headers)
        assert reply.status_code == 403
    me = api.client.get("/api/v1/accounts/verify_credentials", headers=ada.headers).json()
    assert (me["followers_count"], me["following_count"]) == (0, 0)
    assert [a["id"] for a in api.client.get("/api/v1/blocks", headers=ada.headers).json()] == [
        bob.id
    ]
    assert api.client.get("/api/v1/blocks").status_code == 401
    assert _act(api, ada, bob, "unblock")["blocking"] is False
    api.follow(bob, ada)  # allowed again
    assert api.client.get("/api/v1/blocks", headers=ada.headers).json() == []
    assert (
        api.client.post(f"/api/v1/accounts/{ada.id}/block", headers=ada.headers).status_code == 422
    )


def test_a_blocked_authors_statuses_leave_every_list_even_already_delivered(api: Api) -> None:
    ada, bob, cy = api.register("ada"), api.register("bob"), api.register("cy")
    api.follow(ada, bob)
    api.follow(ada, cy)
    root = api.post(ada, "root by ada")
    bobs = api.post(bob, "bob says #topic with wombats", in_reply_to_id=root["id"])
    api.post(bob, "@ada hello")  # a mention notification
    api.client.post(f"/api/v1/statuses/{root['id']}/favourite", headers=bob.headers)
    boost = api.client.post(f"/api/v1/statuses/{bobs['id']}/reblog", headers=cy.headers).json()
    api.settle()
    assert bobs["id"] in _ids(api, "/api/v1/timelines/home", ada)  # delivered before
    assert boost["id"] in _ids(api, "/api/v1/timelines/home", ada)
    assert len(_notes(api, ada)) >= 2
    _act(api, ada, bob, "block")
    api.settle()
    home = _ids(api, "/api/v1/timelines/home", ada)
    assert bobs["id"] not in home
    assert boost["id"] not in home
    assert bobs["id"] not in _ids(api, "/api/v1/timelines/public", ada)
    assert bobs["id"] not in _ids(api, "/api/v1/timelines/tag/topic", ada)
    context = api.client.get(f"/api/v1/statuses/{root['id']}/context", headers=ada.headers)
    assert context.json()["descendants"] == []
    assert _ids(api, "/api/v2/search?q=wombats&type=statuses", ada) == []
    assert all(n["account"]["id"] != bob.id for n in _notes(api, ada))
    # Others still see all of it; the block hides it from ada only.
    assert bobs["id"] in _ids(api, "/api/v1/timelines/public", cy)
    assert _ids(api, "/api/v2/search?q=wombats&type=statuses", cy) == [bobs["id"]]
    # And bob, blocked, no longer sees ada's posts in lists either.
    assert root["id"] not in _ids(api, "/api/v1/timelines/public", bob)


def test_mute_hides_statuses_and_notifications_only_when_asked(api: Api) -> None:
    ada, bob, cy = api.register("ada"), api.register("bob"), api.register("cy")
    api.follow(ada, bob)
    rel = _act(api, ada, bob, "mute", notifications=False)
    assert (rel["muting"], rel["muting_notifications"], rel["following"]) == (True, False, True)
    post = api.post(bob, "@ada a muted mention")
    api.settle()
    assert post["id"] not in _ids(api, "/api/v1/timelines/home", ada)
    assert post["id"] not in _ids(api, "/api/v1/timelines/public", ada)
    # notifications=false: the mention still notifies ada.
    assert [n["type"] for n in _notes(api, ada) if n["account"]["id"] == bob.id] == ["mention"]
    rel = _act(api, ada, bob, "mute", notifications=True, duration=3600)
    assert rel["muting_notifications"] is True
    assert [n for n in _notes(api, ada) if n["account"]["id"] == bob.id] == []
    mutes = api.client.get("/api/v1/mutes", headers=ada.headers).json()
    assert [(m["id"], m["mute_expires_at"] is not None) for m in mutes] == [(bob.id, True)]
    # A mute hides only; cy's view is unchanged, and bob's profile is still there to open.
    assert post["id"] in _ids(api, "/api/v1/timelines/public", cy)
    assert post["id"] in _ids(api, f"/api/v1/accounts/{bob.id}/statuses", ada)
    _act(api, ada, bob, "unmute")
    assert post["id"] in _ids(api, "/api/v1/timelines/home", ada)
    assert api.client.get("/api/v1/mutes", headers=ada.headers).json() == []


def test_mute_and_block_bad_input(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    path = f"/api/v1/accounts/{bob.id}/mute"
    assert api.client.post(path, headers=ada.headers, json={"duration": -5}).status_code == 400
    assert api.client.post(path, headers=ada.headers, json={"duration": "soon"}).status_code == 400
    huge = api.client.post(path, headers=ada.headers, json={"duration": 9_999_999_999})
    assert huge.status_code == 422
    assert "duration" in huge.json()["error"]
    assert api.client.post("/api/v1/accounts/123/block", headers=ada.headers).status_code == 404
    assert api.client.post(path, json={}).status_code == 401


def test_blocks_page_with_link_headers(api: Api) -> None:
    ada = api.register("ada")
    others = [api.register() for _ in range(3)]
    for other in others:
        _act(api, ada, other, "block")
    first = api.client.get("/api/v1/blocks?limit=2", headers=ada.headers)
    assert [a["id"] for a in first.json()] == [others[2].id, others[1].id]
    assert 'rel="next"' in first.headers["link"]
    next_url = first.headers["link"].split(";")[0].strip("<>")
    second = api.client.get(next_url, headers=ada.headers)
    assert [a["id"] for a in second.json()] == [others[0].id]


def test_streams_leave_out_blocked_and_muted_authors(api: Api) -> None:
    ada, bob, cy, dee = (api.register(n) for n in ("ada", "bob", "cy", "dee"))
    api.follow(ada, bob)
    api.follow(ada, cy)
    _act(api, ada, bob, "block")
    _act(api, ada, cy, "mute")
    with api.client.websocket_connect(
        f"/api/v1/streaming?access_token={ada.token}&stream=public"
    ) as ws:
        api.post(bob, "blocked author")
        api.post(cy, "muted author")
        api.post(dee, "dee sentinel")
        seen = []
        while True:
            message = ws.receive_json()
            content = json.loads(message["payload"])["content"]
            seen.append(content)
            if "sentinel" in content:
                break
    assert seen == ["<p>dee sentinel</p>"]


_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["block", "mute", "mute_keeping_notes", "unblock", "unmute", "post", "mention"]
        ),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=_ACTIONS)
def test_a_hidden_author_never_reaches_the_viewer(api: Api, actions: list[tuple[str, int]]) -> None:
    """Property: whatever blocks, mutes and posts happen in whatever order, the viewer's
    home, public and hashtag timelines, search and notifications hold nothing by an account
    the viewer blocks or mutes (notifications: if the mute covers them), and its streams
    carry no post made while its author was hidden and not unhidden since."""
    viewer = api.register()
    others = [api.register() for _ in range(3)]
    for other in others:
        api.follow(viewer, other)
    word = f"w{viewer.id}"
    blocked: set[str] = set()
    muted: dict[str, bool] = {}  # muted account -> its notifications muted too
    hidden_posts: dict[str, str] = {}  # post id -> author, posted while hidden
    token = f"/api/v1/streaming?access_token={viewer.token}"
    with (
        api.client.websocket_connect(f"{token}&stream=user") as user_ws,
        api.client.websocket_connect(f"{token}&stream=public") as public_ws,
    ):
        for action, n in actions:
            other = others[n]
            if action == "block":
                _act(api, viewer, other, "block")
                blocked.add(other.id)
            elif action in ("mute", "mute_keeping_notes"):
                notes = action == "mute"
                _act(api, viewer, other, "mute", notifications=notes)
                muted[other.id] = notes
            elif action in ("unblock", "unmute"):
                _act(api, viewer, other, action)
                if action == "unblock":
                    blocked.discard(other.id)
                else:
                    muted.pop(other.id, None)
                if other.id not in blocked and other.id not in muted:  # visible again
                    hidden_posts = {p: a for p, a in hidden_posts.items() if a != other.id}
            else:
                text = f"#{word} {word} post" if action == "post" else f"@{viewer.username} {word}"
                posted = api.post(other, text)
                if other.id in blocked or other.id in muted:
                    hidden_posts[posted["id"]] = other.id
        api.post(viewer, "sentinel")
        streamed: set[str] = set()
        for ws in (user_ws, public_ws):
            while True:
                message = ws.receive_json()
                if message["event"] != "update":
                    continue
                status = json.loads(message["payload"])
                if status["content"] == "<p>sentinel</p>":
                    break
                streamed.add(status["id"])
    assert streamed.isdisjoint(hidden_posts)
    hidden = blocked | set(muted)
    quiet = blocked | {a for a, notes in muted.items() if notes}
    rel = api.client.get(
        "/api/v1/accounts/relationships?" + "&".join(f"id[]={o.id}" for o in others),
        headers=viewer.headers,
    ).json()
    assert {r["id"] for r in rel if r["blocking"]} == blocked
    assert {r["id"]: r["muting_notifications"] for r in rel if r["muting"]} == muted
    api.settle()
    lists = [
        "/api/v1/timelines/home?limit=40",
        "/api/v1/timelines/public?limit=40",
        f"/api/v1/timelines/tag/{word}?limit=40",
    ]
    for path in lists:
        page = api.client.get(path, headers=viewer.headers).json()
        assert {s["account"]["id"] for s in page} & hidden == set(), path
    found = api.client.get(
        f"/api/v2/search?q={word}&type=statuses&limit=40", headers=viewer.headers
    ).json()["statuses"]
    assert {s["account"]["id"] for s in found} & hidden == set()
    assert {n["account"]["id"] for n in _notes(api, viewer)} & quiet == set()
