"""The ranked ("Top") home timeline: the score's guarantees, heap top-k, stable pages.

Properties of the formula first (pure functions), then the API in both modes: the most
engaged status of the timeline comes first, pages never repeat or skip a status while
likes change between them, statuses the viewer may not see never appear, and the lesson
API's ``sort_order=relevancy`` serves the same ranking.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, User
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.services.ranking import RankingWeights, top_ranked
from twitterdesign.reference_app.storage.rankings import InMemoryRankings

pytestmark = [pytest.mark.all_engines, pytest.mark.timeout(180)]

_counts = st.integers(0, 10**6)
_weights = st.builds(
    RankingWeights,
    favourite=st.floats(0.01, 10),
    reblog=st.floats(0.01, 10),
    reply=st.floats(0.01, 10),
    view=st.floats(0.001, 1),
    half_life_s=st.floats(60, 7 * 86_400),
)
_candidate = st.tuples(_counts, _counts, _counts, _counts, st.integers(-86_400 * 30, 0))


def _score(w: RankingWeights, c: tuple[int, int, int, int, int]) -> float:
    return w.score(favourites=c[0], reblogs=c[1], replies=c[2], views=c[3], created_s=c[4])


@given(w=_weights, a=_candidate, extra=st.tuples(_counts, _counts, _counts, _counts))
@settings(max_examples=300)
def test_more_engagement_never_ranks_lower_at_equal_age(
    w: RankingWeights, a: tuple[int, int, int, int, int], extra: tuple[int, int, int, int]
) -> None:
    more = (a[0] + extra[0], a[1] + extra[1], a[2] + extra[2], a[3] + extra[3], a[4])
    assert _score(w, more) >= _score(w, a)
    # Ranked together (the one with more engagement has the *older* id, so a tie on
    # score would put it second): strictly more engagement is strictly first.
    if any(extra):
        assert top_ranked([(_score(w, a), 2), (_score(w, more), 1)], 2) == [1, 2]


@given(w=_weights, a=_candidate, younger_s=st.integers(1, 86_400 * 30))
@settings(max_examples=300)
def test_a_newer_status_never_ranks_lower_at_equal_engagement(
    w: RankingWeights, a: tuple[int, int, int, int, int], younger_s: int
) -> None:
    newer = (*a[:4], a[4] + younger_s)
    assert top_ranked([(_score(w, a), 2), (_score(w, newer), 1)], 2) == [1, 2]


@given(
    scored=st.lists(st.tuples(st.floats(-1e6, 1e6), st.integers(0, 10**9)), max_size=300),
    k=st.integers(0, 400),
)
def test_top_ranked_is_the_best_k_in_order(scored: list[tuple[float, int]], k: int) -> None:
    assert top_ranked(scored, k) == [i for _s, i in sorted(scored, reverse=True)[:k]]


def test_bad_weights_and_snapshot_settings_are_named() -> None:
    with pytest.raises(InvalidParameterError, match="half_life_s"):
        RankingWeights(half_life_s=0)
    with pytest.raises(InvalidParameterError, match="favourite"):
        RankingWeights(favourite=-1)
    with pytest.raises(InvalidParameterError, match="ttl_s"):
        InMemoryRankings(ttl_s=0)


# --- the API -----------------------------------------------------------------------------
def _top(api: Api, user: User, query: str = "") -> tuple[list[str], str | None]:
    reply = api.client.get(f"/api/v1/timelines/home?order=top&{query}", headers=user.headers)
    assert reply.status_code == 200, reply.text
    link = reply.headers.get("link")
    nxt = re.search(r"<[^>]*\?([^>]*)>; rel=\"next\"", link or "")
    return [s["id"] for s in reply.json()], nxt.group(1) if nxt else None


def _like(api: Api, user: User, status_id: str) -> None:
    assert api.client.post(
        f"/api/v1/statuses/{status_id}/favourite", headers=user.headers
    ).is_success


def test_the_most_engaged_status_comes_first_and_latest_stays_chronological(api: Api) -> None:
    reader, author = api.register(), api.register()
    fans = [api.register() for _ in range(3)]
    api.follow(reader, author)
    posts = [api.post(author, f"post {i}")["id"] for i in range(4)]
    for fan in fans:
        _like(api, fan, posts[0])  # the oldest, liked three times
    _like(api, fans[0], posts[2])
    api.settle()
    top, _ = _top(api, reader)
    assert top[:2] == [posts[0], posts[2]]
    assert sorted(top) == sorted(posts)
    latest = api.client.get("/api/v1/timelines/home", headers=reader.headers).json()
    assert [s["id"] for s in latest] == posts[::-1]


def test_pages_never_repeat_or_skip_while_likes_change(api: Api) -> None:
    reader, author, fan = api.register(), api.register(), api.register()
    api.follow(reader, author)
    posts = [api.post(author, f"p{i}")["id"] for i in range(7)]
    api.settle()
    seen, query = [], "limit=3"
    while True:
        page, nxt = _top(api, reader, query)
        seen += page
        # Between pages, the statuses not shown yet get liked: a fresh ranking would
        # move them up into pages already read.
        for sid in set(posts) - set(seen):
            _like(api, fan, sid)
        if nxt is None:
            break
        query = nxt
    assert len(seen) == len(set(seen)) == len(posts)


def test_statuses_the_viewer_may_not_see_never_appear(api: Api) -> None:
    reader, author, other = api.register(), api.register(), api.register()
    api.follow(reader, author)
    public = api.post(author, "for everyone")["id"]
    private = api.post(author, "followers only", visibility="private")["id"]
    api.settle()
    top, _ = _top(api, reader)
    assert public in top
    assert private in top  # the reader follows the author
    assert _top(api, other)[0] == []  # follows nobody: nothing of the author's
    assert api.client.post(
        f"/api/v1/accounts/{author.id}/unfollow", headers=reader.headers
    ).is_success
    top, _ = _top(api, reader)
    assert private not in top  # still in the reader's timeline cache, no longer visible


def test_bad_ranking_parameters_are_clean_client_errors(api: Api) -> None:
    reader = api.register()
    for query, status in [
        ("order=best", 400),
        ("order=top&ranking=../../x", 400),
        ("order=top&offset=-1", 400),
        ("order=top&ranking=neverissued&offset=3", 422),
    ]:
        reply = api.client.get(f"/api/v1/timelines/home?{query}", headers=reader.headers)
        assert reply.status_code == status, (query, reply.text)
        assert "error" in reply.json()


def test_the_lesson_api_serves_the_same_ranking(api: Api) -> None:
    reader, author, fan = api.register(), api.register(), api.register()
    api.follow(reader, author)
    posts = [api.post(author, f"lesson {i}")["id"] for i in range(5)]
    _like(api, fan, posts[1])
    api.settle()
    top, _ = _top(api, reader)
    ids, token = [], None
    while True:
        params = {"user_id": reader.id, "max_result": 2, "sort_order": "relevancy"}
        if token:
            params["next_token"] = token
        reply = api.client.get(
            "/lesson/v1/viewHome_timeline", params=params, headers=reader.headers
        )
        assert reply.status_code == 200, reply.text
        ids += [t["id"] for t in reply.json()["data"]]
        token = reply.json()["meta"]["next_token"]
        if token is None:
            break
    assert ids == top
    assert ids[0] == posts[1]
