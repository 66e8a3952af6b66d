"""Lists over HTTP and the streaming API, on every engine: CRUD, members (followed accounts
only), the lists holding an account, the list timeline and the ``list`` stream."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.reference_app.conftest import Api, User

pytestmark = [pytest.mark.all_engines, pytest.mark.timeout(120)]


def _make_list(api: Api, owner: User, title: str = "friends", **fields: Any) -> str:
    reply = api.client.post("/api/v1/lists", headers=owner.headers, json={"title": title, **fields})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["id"])


def _add(api: Api, owner: User, list_id: str, *members: User) -> Any:
    return api.client.post(
        f"/api/v1/lists/{list_id}/accounts",
        headers=owner.headers,
        data={"account_ids[]": [m.id for m in members]},
    )


def _members(api: Api, owner: User, list_id: str, query: str = "") -> list[str]:
    reply = api.client.get(f"/api/v1/lists/{list_id}/accounts{query}", headers=owner.headers)
    assert reply.status_code == 200, reply.text
    return [a["username"] for a in reply.json()]


def _timeline(api: Api, owner: User, list_id: str, query: str = "") -> list[str]:
    reply = api.client.get(f"/api/v1/timelines/list/{list_id}{query}", headers=owner.headers)
    assert reply.status_code == 200, reply.text
    return [s["content"] for s in reply.json()]


def test_list_crud_and_privacy(api: Api) -> None:
    ada, eve = api.register(), api.register()
    reply = api.client.post(
        "/api/v1/lists",
        headers=ada.headers,
        data={"title": "Close friends", "replies_policy": "followed", "exclusive": "true"},
    )
    assert reply.status_code == 200, reply.text
    created = reply.json()
    assert created["title"] == "Close friends"
    assert (created["replies_policy"], created["exclusive"]) == ("followed", True)
    default = api.client.post("/api/v1/lists", headers=ada.headers, json={"title": "Work"}).json()
    assert (default["replies_policy"], default["exclusive"]) == ("list", False)
    listed = api.client.get("/api/v1/lists", headers=ada.headers).json()
    assert [x["title"] for x in listed] == ["Close friends", "Work"]
    one = api.client.get(f"/api/v1/lists/{created['id']}", headers=ada.headers)
    assert one.json() == created
    changed = api.client.put(
        f"/api/v1/lists/{created['id']}", headers=ada.headers, json={"title": "Inner circle"}
    ).json()
    assert changed == {**created, "title": "Inner circle"}  # only what was given changes
    # Someone else's list does not exist for them, whatever they try.
    for method, path in (
        ("GET", f"/api/v1/lists/{created['id']}"),
        ("PUT", f"/api/v1/lists/{created['id']}"),
        ("DELETE", f"/api/v1/lists/{created['id']}"),
        ("GET", f"/api/v1/lists/{created['id']}/accounts"),
        ("GET", f"/api/v1/timelines/list/{created['id']}"),
    ):
        reply = api.client.request(method, path, headers=eve.headers, json={"title": "mine"})
        assert reply.status_code == 404, (method, path)
    assert api.client.get("/api/v1/lists", headers=eve.headers).json() == []
    assert api.client.delete(f"/api/v1/lists/{created['id']}", headers=ada.headers).json() == {}
    assert api.client.get(f"/api/v1/lists/{created['id']}", headers=ada.headers).status_code == 404
    assert [x["title"] for x in api.client.get("/api/v1/lists", headers=ada.headers).json()] == [
        "Work"
    ]


@pytest.mark.parametrize(
    "body",
    [{}, {"title": "   "}, {"title": "x", "replies_policy": "everyone"}, {"title": "x" * 300}],
)
def test_bad_lists_are_refused(api: Api, body: dict[str, str]) -> None:
    ada = api.register()
    reply = api.client.post("/api/v1/lists", headers=ada.headers, json=body)
    assert reply.status_code == 422
    assert "error" in reply.json()
    assert api.client.get("/api/v1/lists/abc", headers=ada.headers).status_code == 404
    assert api.client.get("/api/v1/lists").status_code == 401


def test_only_followed_accounts_join_and_unfollow_takes_them_out(api: Api) -> None:
    ada, bob, cy, dan = (api.register(n) for n in ("ada", "bob", "cy", "dan"))
    api.follow(ada, bob)
    api.follow(ada, cy)
    list_id = _make_list(api, ada)
    refused = _add(api, ada, list_id, bob, dan)
    assert refused.status_code == 404
    assert "follow" in refused.json()["error"]
    assert _members(api, ada, list_id) == []  # all or none
    assert _add(api, ada, list_id, bob, cy).json() == {}
    assert _add(api, ada, list_id, bob).status_code == 422  # already in the list
    assert _members(api, ada, list_id) == ["cy", "bob"]
    lists_of_bob = api.client.get(f"/api/v1/accounts/{bob.id}/lists", headers=ada.headers)
    assert [x["id"] for x in lists_of_bob.json()] == [list_id]
    assert api.client.get(f"/api/v1/accounts/{bob.id}/lists", headers=dan.headers).json() == []
    api.client.post(f"/api/v1/accounts/{bob.id}/unfollow", headers=ada.headers)
    assert _members(api, ada, list_id) == ["cy"]
    removed = api.client.request(
        "DELETE",
        f"/api/v1/lists/{list_id}/accounts",
        headers=ada.headers,
        json={"account_ids": [cy.id]},
    )
    assert removed.json() == {}
    assert _members(api, ada, list_id) == []
    assert _add(api, ada, list_id).status_code == 422  # no account_ids
    assert _add(api, ada, "999", cy).status_code == 404


def test_members_page_with_links_and_limit_zero(api: Api) -> None:
    ada = api.register("ada")
    others = [api.register(f"m{i}") for i in range(5)]
    for other in others:
        api.follow(ada, other)
    list_id = _make_list(api, ada)
    for other in others:  # one by one: the newest member is m4
        assert _add(api, ada, list_id, other).status_code == 200
    first = api.client.get(f"/api/v1/lists/{list_id}/accounts?limit=2", headers=ada.headers)
    assert [a["username"] for a in first.json()] == ["m4", "m3"]
    url = urlsplit(first.headers["link"].split(">;")[0].lstrip("<"))
    rest = api.client.get(f"{url.path}?{url.query}", headers=ada.headers).json()
    assert [a["username"] for a in rest] == ["m2", "m1"]
    every = api.client.get(f"/api/v1/lists/{list_id}/accounts?limit=0", headers=ada.headers)
    assert [a["username"] for a in every.json()] == ["m4", "m3", "m2", "m1", "m0"]
    assert "link" not in every.headers


def test_list_timeline_shows_members_statuses_the_owner_may_see(api: Api) -> None:
    ada, bob, cy, eve = (api.register(n) for n in ("ada", "bob", "cy", "eve"))
    api.follow(ada, bob)
    api.follow(ada, cy)
    list_id = _make_list(api, ada, replies_policy="list")
    _add(api, ada, list_id, bob)
    root_cy = api.post(cy, "cy root")["id"]
    root_ada = api.post(ada, "ada root")["id"]
    root_eve = api.post(eve, "eve root")["id"]
    api.post(bob, "bob public")
    api.post(bob, "bob followers only", visibility="private")
    api.post(cy, "cy is not a member")
    api.post(bob, "reply to cy", in_reply_to_id=root_cy)
    api.post(bob, "reply to ada", in_reply_to_id=root_ada)
    api.post(bob, "reply to eve", in_reply_to_id=root_eve)
    shown = ["reply to ada", "bob followers only", "bob public"]
    assert _timeline(api, ada, list_id) == [f"<p>{t}</p>" for t in shown]
    api.client.put(
        f"/api/v1/lists/{list_id}", headers=ada.headers, json={"replies_policy": "followed"}
    )
    assert _timeline(api, ada, list_id)[:2] == ["<p>reply to ada</p>", "<p>reply to cy</p>"]
    api.client.put(f"/api/v1/lists/{list_id}", headers=ada.headers, json={"replies_policy": "none"})
    assert _timeline(api, ada, list_id) == [f"<p>{t}</p>" for t in shown]
    page = api.client.get(f"/api/v1/timelines/list/{list_id}?limit=2", headers=ada.headers)
    assert len(page.json()) == 2
    url = urlsplit(page.headers["link"].split(">;")[0].lstrip("<"))
    rest = api.client.get(f"{url.path}?{url.query}", headers=ada.headers).json()
    assert [s["content"] for s in rest] == ["<p>bob public</p>"]
    assert api.client.get(f"/api/v1/timelines/list/{list_id}").status_code == 401


def test_list_stream_gets_members_posts_only_and_only_its_owner_subscribes(api: Api) -> None:
    ada, bob, cy, eve = (api.register(n) for n in ("ada", "bob", "cy", "eve"))
    api.follow(ada, bob)
    api.follow(ada, cy)
    list_id = _make_list(api, ada)
    _add(api, ada, list_id, bob)
    # Subscribed in the handshake (applied before it is accepted), so nothing is missed.
    owner_url = f"/api/v1/streaming?access_token={ada.token}&stream=list&list={list_id}"
    with (
        api.client.websocket_connect(owner_url) as ws,
        api.client.websocket_connect(f"/api/v1/streaming?access_token={eve.token}") as eve_ws,
    ):
        eve_ws.send_text(json.dumps({"type": "subscribe", "stream": "list", "list": list_id}))
        refused = eve_ws.receive_json()
        assert refused["status"] == 401
        api.post(cy, "cy is followed but not a member")
        api.post(eve, "eve is a stranger")
        api.post(bob, "bob is a member")
        message = ws.receive_json()  # the first list message is bob's post
    assert message["stream"] == ["list", list_id]
    assert message["event"] == "update"
    payload = json.loads(message["payload"])
    assert payload["content"] == "<p>bob is a member</p>"
    assert payload["bookmarked"] is False


def test_list_stream_subscribe_command_and_unsubscribe(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(ada, bob)
    list_id = _make_list(api, ada)
    _add(api, ada, list_id, bob)
    with api.client.websocket_connect(f"/api/v1/streaming?access_token={ada.token}") as ws:
        ws.send_text(json.dumps({"type": "subscribe", "stream": "list", "list": "x"}))
        assert ws.receive_json()["status"] == 400  # commands are applied in order
        ws.send_text(json.dumps({"type": "subscribe", "stream": "list", "list": list_id}))
        ws.send_text(json.dumps({"type": "subscribe", "stream": "bogus"}))
        assert ws.receive_json()["status"] == 400  # so the list subscription is in place
        api.post(bob, "first")
        assert json.loads(ws.receive_json()["payload"])["content"] == "<p>first</p>"
        ws.send_text(json.dumps({"type": "unsubscribe", "stream": "list", "list": list_id}))
        ws.send_text(json.dumps({"type": "subscribe", "stream": "user"}))
        ws.send_text(json.dumps({"type": "subscribe", "stream": "bogus"}))
        assert ws.receive_json()["status"] == 400
        api.post(bob, "second")
        api.post(ada, "sentinel")  # ada is not in her list: user stream only
        seen = [ws.receive_json()]
        while "sentinel" not in json.loads(seen[-1]["payload"])["content"]:
            seen.append(ws.receive_json())
    assert [m["stream"] for m in seen] == [["user"], ["user"]]  # off the list stream


def test_list_stream_over_sse_is_refused_to_others(api: Api) -> None:
    ada, eve = api.register(), api.register()
    list_id = _make_list(api, ada)
    for who, query in ((eve, f"list={list_id}"), (ada, "list=abc"), (ada, "")):
        reply = api.client.get(f"/api/v1/streaming/list?{query}", headers=who.headers)
        assert reply.status_code in (400, 401), (who.username, query)
        assert "error" in reply.json()
