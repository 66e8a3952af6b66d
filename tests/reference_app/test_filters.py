"""Content filters, v2 and v1: CRUD as Mastodon clients call it, and what the server does
with them — ``hide`` leaves matches out of the filter's contexts, ``warn`` marks them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, User

pytestmark = [pytest.mark.all_engines, pytest.mark.timeout(180)]


def _create(api: Api, user: User, **body: Any) -> dict[str, Any]:
    reply = api.client.post("/api/v2/filters", headers=user.headers, json=body)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _texts(api: Api, path: str, user: User) -> list[str]:
    reply = api.client.get(path, headers=user.headers)
    assert reply.status_code == 200, reply.text
    return [s["content"] for s in reply.json()]


def test_v2_crud_and_keywords(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    created = _create(
        api,
        ada,
        title="Spoilers",
        context=["home", "public"],
        filter_action="warn",
        expires_in=3600,
        keywords_attributes=[{"keyword": "ending", "whole_word": True}],
    )
    assert (created["title"], created["context"], created["filter_action"]) == (
        "Spoilers",
        ["home", "public"],
        "warn",
    )
    assert created["expires_at"] is not None
    assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [("ending", True)]
    fid, kid = created["id"], created["keywords"][0]["id"]
    assert api.client.get(f"/api/v2/filters/{fid}", headers=bob.headers).status_code == 404
    assert [f["id"] for f in api.client.get("/api/v2/filters", headers=ada.headers).json()] == [fid]
    changed = api.client.put(
        f"/api/v2/filters/{fid}",
        headers=ada.headers,
        json={
            "title": "Plot",
            "filter_action": "hide",
            "expires_in": "",
            "keywords_attributes": [
                {"id": kid, "_destroy": True},
                {"keyword": "twist", "whole_word": False},
            ],
        },
    ).json()
    assert (changed["title"], changed["filter_action"], changed["expires_at"]) == (
        "Plot",
        "hide",
        None,
    )
    assert [k["keyword"] for k in changed["keywords"]] == ["twist"]
    added = api.client.post(
        f"/api/v2/filters/{fid}/keywords", headers=ada.headers, json={"keyword": "finale"}
    ).json()
    keywords = api.client.get(f"/api/v2/filters/{fid}/keywords", headers=ada.headers).json()
    assert [k["keyword"] for k in keywords] == ["twist", "finale"]
    reply = api.client.put(
        f"/api/v2/filters/keywords/{added['id']}",
        headers=ada.headers,
        json={"whole_word": True},
    )
    assert reply.json()["whole_word"] is True
    assert (
        api.client.delete(
            f"/api/v2/filters/keywords/{added['id']}", headers=bob.headers
        ).status_code
        == 404
    )
    assert (
        api.client.delete(
            f"/api/v2/filters/keywords/{added['id']}", headers=ada.headers
        ).status_code
        == 200
    )
    assert api.client.delete(f"/api/v2/filters/{fid}", headers=ada.headers).json() == {}
    assert api.client.get("/api/v2/filters", headers=ada.headers).json() == []
    assert api.client.get("/api/v2/filters").status_code == 401


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"title": "", "context": ["home"]}, "title"),
        ({"title": "t", "context": []}, "context"),
        ({"title": "t", "context": ["everywhere"]}, "context"),
        ({"title": "t", "context": ["home"], "filter_action": "blur"}, "filter_action"),
        ({"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}, "keyword"),
    ],
)
def test_v2_bad_filters_answer_422(api: Api, body: dict[str, Any], word: str) -> None:
    ada = api.register()
    reply = api.client.post("/api/v2/filters", headers=ada.headers, json=body)
    assert reply.status_code == 422, reply.text
    assert word in reply.json()["error"]
    assert api.client.get("/api/v2/filters", headers=ada.headers).json() == []


def test_hide_removes_matches_in_its_contexts_only(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(ada, bob)
    root = api.post(bob, "the root")
    api.post(bob, "Big SPOILER inside", in_reply_to_id=root["id"])
    api.post(bob, "spoilers are fine")  # whole word: 'spoilers' is another word
    api.post(bob, "nothing to see")
    boost_of = api.post(ada, "ada has a spoiler too")
    api.client.post(f"/api/v1/statuses/{boost_of['id']}/reblog", headers=bob.headers)
    _create(
        api,
        ada,
        title="no spoilers",
        context=["home", "thread"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "spoiler", "whole_word": True}],
    )
    api.settle()
    page = api.client.get("/api/v1/timelines/home", headers=ada.headers).json()
    home = [s["content"] for s in page]
    inner = [s["reblog"]["content"] for s in page if s["reblog"]]
    # The reply and bob's reblog of ada's post are left out; the others stay.
    assert sorted(home) == ["<p>nothing to see</p>", "<p>spoilers are fine</p>", "<p>the root</p>"]
    assert inner == []
    top = api.client.get("/api/v1/timelines/home?order=top", headers=ada.headers).json()
    assert sorted(s["content"] for s in top) == sorted(home)  # the ranked page too
    assert [s for s in top if s["reblog"]] == []
    context = api.client.get(f"/api/v1/statuses/{root['id']}/context", headers=ada.headers)
    assert context.json()["descendants"] == []
    # 'public' is not one of its contexts: there the status comes, marked as filtered.
    public = api.client.get("/api/v1/timelines/public", headers=ada.headers).json()
    marked = [s for s in public if "SPOILER" in s["content"]]
    assert len(marked) == 1
    assert marked[0]["filtered"][0]["filter"]["filter_action"] == "hide"
    assert marked[0]["filtered"][0]["keyword_matches"] == ["spoiler"]
    # Others are not filtered at all.
    assert any("SPOILER" in t for t in _texts(api, "/api/v1/timelines/public", bob))


def test_warn_marks_statuses_for_their_viewer_only(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(ada, bob)
    api.post(bob, "cats and dogs")
    _create(
        api,
        ada,
        title="Pets",
        context=["home"],
        keywords_attributes=[{"keyword": "cat", "whole_word": False}],
    )
    api.settle()
    for _ in range(2):  # the second read is served from the render cache
        (status,) = api.client.get("/api/v1/timelines/home", headers=ada.headers).json()
        (result,) = status["filtered"]
        assert result["filter"]["title"] == "Pets"
        assert result["keyword_matches"] == ["cat"]
        for other in (bob.headers, {}):
            page = api.client.get("/api/v1/timelines/public", headers=other).json()
            assert page[0]["filtered"] == []


def test_hide_filters_notifications_and_streams(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(ada, bob)
    _create(
        api,
        ada,
        title="quiet",
        context=["notifications", "home"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "loud"}],
    )
    with api.client.websocket_connect(
        f"/api/v1/streaming?access_token={ada.token}&stream=user"
    ) as ws:
        api.post(bob, "@ada LOUD news")
        api.post(bob, "@ada calm news")
        seen = []
        while len(seen) < 2:
            message = ws.receive_json()
            payload = json.loads(message["payload"])
            status = payload.get("status", payload)
            seen.append((message["event"], status["content"]))
    assert all("LOUD" not in content for _, content in seen)
    notes = api.client.get("/api/v1/notifications", headers=ada.headers).json()
    assert ["calm" in n["status"]["content"] for n in notes] == [True]


def test_v1_filters_map_onto_v2(api: Api) -> None:
    ada = api.register()
    reply = api.client.post(
        "/api/v1/filters",
        headers=ada.headers,
        json={"phrase": "Election", "context": ["home", "public"], "irreversible": True},
    )
    assert reply.status_code == 200, reply.text
    v1 = reply.json()
    assert (v1["phrase"], v1["irreversible"], v1["whole_word"]) == ("Election", True, True)
    (v2,) = api.client.get("/api/v2/filters", headers=ada.headers).json()
    assert (v2["title"], v2["filter_action"]) == ("Election", "hide")
    assert v2["keywords"][0]["id"] == v1["id"]
    changed = api.client.put(
        f"/api/v1/filters/{v1['id']}",
        headers=ada.headers,
        json={"phrase": "Vote", "irreversible": False, "context": ["thread"]},
    ).json()
    assert (changed["phrase"], changed["irreversible"], changed["context"]) == (
        "Vote",
        False,
        ["thread"],
    )
    assert [f["id"] for f in api.client.get("/api/v1/filters", headers=ada.headers).json()] == [
        v1["id"]
    ]
    assert api.client.delete(f"/api/v1/filters/{v1['id']}", headers=ada.headers).json() == {}
    assert api.client.get("/api/v2/filters", headers=ada.headers).json() == []


_WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "Alphabet", "beta!"])


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    keyword=st.sampled_from(["alpha", "beta", "gam"]),
    whole_word=st.booleans(),
    posts=st.lists(st.lists(_WORDS, min_size=1, max_size=4), min_size=1, max_size=5),
)
def test_a_hide_keyword_never_appears_in_its_context(
    api: Api, keyword: str, whole_word: bool, posts: list[list[str]]
) -> None:
    """Property: no status the home and public timelines return to the filter's owner
    matches its ``hide`` keyword (whole word or not); every other post is there."""
    viewer, author = api.register(), api.register()
    api.follow(viewer, author)
    _create(
        api,
        viewer,
        title="prop",
        context=["home", "public"],
        filter_action="hide",
        keywords_attributes=[{"keyword": keyword, "whole_word": whole_word}],
    )
    texts = [" ".join(words) for words in posts]
    for text in texts:
        api.post(author, text)
    api.settle()

    def matches(text: str) -> bool:  # the model: words of the text, or any substring
        lowered = text.lower()
        if not whole_word:
            return keyword in lowered
        return any(w.strip("!") == keyword for w in lowered.split())

    expected = [f"<p>{t}</p>" for t in reversed(texts) if not matches(t)]
    home = _texts(api, "/api/v1/timelines/home?limit=40", viewer)
    assert home == expected
    public = api.client.get(
        f"/api/v1/accounts/{author.id}/statuses?limit=40", headers=viewer.headers
    ).json()
    assert len(public) == len(texts)  # 'account' is not a context of this filter
