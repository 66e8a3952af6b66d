"""Status edits as Mastodon clients use them: PUT, history, source, edited_at, the
``update`` notification, the ``status.update`` stream event, and no stale render."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, User

pytestmark = [pytest.mark.all_engines, pytest.mark.timeout(120)]


def _edit(api: Api, user: User, status_id: str, **fields: Any) -> Any:
    return api.client.put(f"/api/v1/statuses/{status_id}", headers=user.headers, json=fields)


def test_edit_changes_the_status_and_keeps_every_version(api: Api) -> None:
    ada = api.register("ada")
    posted = api.post(ada, "first #draft", spoiler_text="cw")
    assert posted["edited_at"] is None
    assert (posted["spoiler_text"], posted["sensitive"]) == ("cw", True)
    history = api.client.get(f"/api/v1/statuses/{posted['id']}/history").json()
    assert [h["content"] for h in history] == [posted["content"]]  # itself, unedited
    assert history[0]["created_at"] == posted["created_at"]

    reply = _edit(api, ada, posted["id"], status="second #final", spoiler_text="", language="EN")
    assert reply.status_code == 200, reply.text
    edited = reply.json()
    assert edited["id"] == posted["id"]
    assert edited["edited_at"] is not None
    assert edited["edited_at"] >= posted["created_at"]
    assert "second" in edited["content"]
    assert (edited["spoiler_text"], edited["sensitive"]) == ("", False)
    assert edited["language"] == "en"
    assert [t["name"] for t in edited["tags"]] == ["final"]
    _edit(api, ada, posted["id"], status="third")
    history = api.client.get(f"/api/v1/statuses/{posted['id']}/history").json()
    assert ["first" in h["content"] for h in history] == [True, False, False]
    assert ["third" in h["content"] for h in history] == [False, False, True]
    assert [h["spoiler_text"] for h in history] == ["cw", "", ""]
    assert history[0]["created_at"] == posted["created_at"]
    assert all(h["account"]["id"] == ada.id for h in history)
    source = api.client.get(f"/api/v1/statuses/{posted['id']}/source", headers=ada.headers)
    assert source.json() == {"id": posted["id"], "text": "third", "spoiler_text": ""}
    fetched = api.client.get(f"/api/v1/statuses/{posted['id']}").json()
    assert fetched["content"] == "<p>third</p>"


def test_only_the_author_edits_and_the_rules_of_posting_apply(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    posted = api.post(ada, "mine")
    assert _edit(api, bob, posted["id"], status="hijack").status_code == 404
    assert _edit(api, ada, posted["id"], status="x" * 281).status_code == 422
    # Text and spoiler text count together, as Mastodon counts them.
    assert _edit(api, ada, posted["id"], status="x" * 200, spoiler_text="y" * 81).status_code == 422
    assert _edit(api, ada, posted["id"], status="   ").status_code == 422
    assert _edit(api, ada, posted["id"], language="english!").status_code == 422
    assert _edit(api, ada, "999999", status="nope").status_code == 404
    no_token = api.client.put(f"/api/v1/statuses/{posted['id']}", json={"status": "x"})
    assert no_token.status_code == 401
    reblog = api.client.post(f"/api/v1/statuses/{posted['id']}/reblog", headers=bob.headers)
    assert _edit(api, bob, reblog.json()["id"], status="edited reblog").status_code == 422
    # Nothing above changed the status or its history.
    assert api.client.get(f"/api/v1/statuses/{posted['id']}").json()["content"] == "<p>mine</p>"
    assert len(api.client.get(f"/api/v1/statuses/{posted['id']}/history").json()) == 1


def test_history_and_source_of_a_followers_only_status_stay_hidden(api: Api) -> None:
    ada, bob, eve = api.register("ada"), api.register("bob"), api.register("eve")
    api.follow(bob, ada)
    secret = api.post(ada, "for followers", visibility="private")
    _edit(api, ada, secret["id"], status="still for followers")
    path = f"/api/v1/statuses/{secret['id']}"
    assert api.client.get(f"{path}/history", headers=eve.headers).status_code == 404
    assert api.client.get(f"{path}/history").status_code == 404
    assert api.client.get(f"{path}/source", headers=eve.headers).status_code == 404
    assert len(api.client.get(f"{path}/history", headers=bob.headers).json()) == 2
    assert api.client.get(f"{path}/source").status_code == 401


def test_rebloggers_get_an_update_notification(api: Api) -> None:
    ada, bob, cy = api.register("ada"), api.register("bob"), api.register("cy")
    posted = api.post(ada, "boost me")
    api.client.post(f"/api/v1/statuses/{posted['id']}/reblog", headers=bob.headers)
    _edit(api, ada, posted["id"], status="boost me, edited")
    notes = api.client.get("/api/v1/notifications", headers=bob.headers).json()
    updates = [n for n in notes if n["type"] == "update"]
    assert len(updates) == 1
    assert updates[0]["account"]["id"] == ada.id
    assert updates[0]["status"]["content"] == "<p>boost me, edited</p>"
    # cy did not reblog it: no update for cy.
    cy_notes = api.client.get("/api/v1/notifications", headers=cy.headers).json()
    assert [n for n in cy_notes if n["type"] == "update"] == []


def test_search_and_hashtags_follow_the_new_text(api: Api) -> None:
    ada = api.register("ada")
    posted = api.post(ada, "zebras #savanna")
    _edit(api, ada, posted["id"], status="giraffes #jungle")
    api.settle()

    def found(q: str) -> list[str]:
        reply = api.client.get(f"/api/v2/search?q={q}&type=statuses", headers=ada.headers)
        return [s["id"] for s in reply.json()["statuses"]]

    assert found("zebras") == []
    assert found("giraffes") == [posted["id"]]
    assert api.client.get("/api/v1/timelines/tag/savanna").json() == []
    jungle = api.client.get("/api/v1/timelines/tag/jungle").json()
    assert [s["id"] for s in jungle] == [posted["id"]]


def test_timelines_never_serve_the_old_text_after_an_edit(api: Api) -> None:
    """The render cache (and the cluster's Redis timelines of ids) cannot go stale."""
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(bob, ada)
    posted = api.post(ada, "old words")
    api.settle()
    for _ in range(2):  # warm every cache with the old text
        home = api.client.get("/api/v1/timelines/home", headers=bob.headers).json()
        assert home[0]["content"] == "<p>old words</p>"
        public = api.client.get("/api/v1/timelines/public").json()
        assert public[0]["content"] == "<p>old words</p>"
    _edit(api, ada, posted["id"], status="new words", spoiler_text="careful")
    home = api.client.get("/api/v1/timelines/home", headers=bob.headers).json()
    public = api.client.get("/api/v1/timelines/public").json()
    profile = api.client.get(f"/api/v1/accounts/{ada.id}/statuses").json()
    for page in (home, public, profile):
        assert page[0]["content"] == "<p>new words</p>"
        assert page[0]["spoiler_text"] == "careful"
        assert page[0]["edited_at"] is not None


def test_edit_reaches_streams_as_status_update(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(bob, ada)
    posted = api.post(ada, "streamed")
    api.settle()
    with api.client.websocket_connect(
        f"/api/v1/streaming?access_token={bob.token}&stream=user"
    ) as ws:
        ws.send_text(json.dumps({"type": "subscribe", "stream": "public"}))
        api.post(bob, "subscribed sentinel")  # public stream is live once this arrives there
        while True:
            m = ws.receive_json()
            if m["stream"] == ["public"] and "sentinel" in m["payload"]:
                break
        _edit(api, ada, posted["id"], status="streamed, edited")
        seen: list[tuple[list[str], str]] = []
        while len(seen) < 2:
            m = ws.receive_json()
            if m["event"] == "status.update":
                payload = json.loads(m["payload"])
                assert payload["id"] == posted["id"]
                seen.append((m["stream"], payload["content"]))
    assert sorted(seen) == [
        (["public"], "<p>streamed, edited</p>"),
        (["user"], "<p>streamed, edited</p>"),
    ]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(
        st.text(
            st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
        ).filter(lambda t: t.strip()),
        min_size=1,
        max_size=4,
    )
)
def test_history_is_append_only_and_its_last_entry_is_the_status(
    api: Api, texts: list[str]
) -> None:
    """Property: every edit appends one version; earlier versions never change."""
    ada = api.register()
    posted = api.post(ada, "original")
    before: list[dict[str, Any]] = api.client.get(f"/api/v1/statuses/{posted['id']}/history").json()
    for text in texts:
        assert _edit(api, ada, posted["id"], status=text).status_code == 200
        history = api.client.get(f"/api/v1/statuses/{posted['id']}/history").json()
        # The never-edited single version becomes the first entry, dated the same.
        assert history[0]["content"] == before[0]["content"]
        assert history[0]["created_at"] == before[0]["created_at"]
        if len(before) > 1:
            assert history[: len(before)] == before
        assert len(history) == max(len(before), 1) + 1
        current = api.client.get(f"/api/v1/statuses/{posted['id']}").json()
        assert history[-1]["content"] == current["content"]
        assert history[-1]["spoiler_text"] == current["spoiler_text"]
        assert history[-1]["created_at"] == current["edited_at"]
        before = history
