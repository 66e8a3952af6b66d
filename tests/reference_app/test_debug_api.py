"""The teaching endpoint ``GET /lesson/v1/debug/statuses/{id}`` in both storage modes.

Off unless ``debug_api_enabled``; when on, it tells which followers' home timelines hold
a status (the timeline store's own answer), who merges it at read time (celebrities),
its counters part by part (adding up to what clients are shown) and its Snowflake id
decoded — and a status the caller may not see is a 404, like one that does not exist.
Every body is checked against the ``StatusInternals`` model (``_entities.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app._entities import StatusInternals, validate
from tests.reference_app.conftest import Api, User

pytestmark = pytest.mark.all_engines

DEBUG = "/lesson/v1/debug/statuses/"
COUNTS = {
    "favourites": "favourites_count",
    "reblogs": "reblogs_count",
    "replies": "replies_count",
    "views": "views_count",
}


@pytest.fixture
def api(app_factory: Callable[..., Api]) -> Api:
    # Threshold 3: an account with 4 followers is a celebrity, pulled at read time.
    return app_factory(debug_api_enabled=True, fanout_threshold=3)


def debug(api: Api, status_id: str, user: User | None = None) -> dict[str, Any]:
    reply = api.client.get(DEBUG + status_id, headers=user.headers if user else {})
    assert reply.status_code == 200, reply.text
    validate(StatusInternals, reply.content)
    return dict(reply.json())


def shown_and_traced(
    api: Api, status_id: str, user: User, tries: int = 5
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status as a client is shown it, then its trace, read until their counts agree.

    A rendered count may be off by one flush batch in the one response that races the
    flush (``services/counters.py``: "the next read is exact"), so a disagreement gets
    a few fresh reads; the trace itself rereads until no flush ran under it.
    """
    for _ in range(tries):
        reply = api.client.get(f"/api/v1/statuses/{status_id}", headers=user.headers)
        shown = dict(reply.json())
        traced = debug(api, status_id, user)
        if all(traced["counters"][n]["total"] == shown[f] for n, f in COUNTS.items()):
            break
    return shown, traced


def read_home(api: Api, user: User) -> list[str]:
    reply = api.client.get("/api/v1/timelines/home", headers=user.headers)
    assert reply.status_code == 200, reply.text
    return [s["id"] for s in reply.json()]


def accts(audience: dict[str, Any]) -> set[str]:
    return {a["acct"] for a in audience["accounts"]}


def test_off_by_default_it_answers_like_an_unknown_route(
    app_factory: Callable[..., Api],
) -> None:
    api = app_factory()
    alice = api.register()
    post = api.post(alice, "hello")
    hidden = api.client.get(DEBUG + post["id"], headers=alice.headers)
    unknown = api.client.get("/lesson/v1/no-such-route/" + post["id"], headers=alice.headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
    assert api.client.get("/api/v2/instance").json()["twitterdesign"] == {"debug_api": False}
    assert DEBUG.rstrip("/") not in str(api.client.get("/openapi.json").json()["paths"])


def test_on_the_instance_says_so(api: Api) -> None:
    assert api.client.get("/api/v2/instance").json()["twitterdesign"] == {"debug_api": True}


def test_pushed_to_the_active_followers_timelines_as_the_store_holds_them(api: Api) -> None:
    alice, bob, carol, dave = (api.register() for _ in range(4))
    for follower in (bob, carol):
        api.follow(follower, alice)
        read_home(api, follower)  # active readers: the fan-out pushes to them
    api.follow(dave, alice)  # dave never reads his home timeline: skipped at write time
    post = api.post(alice, "pushed to two of three")
    api.settle()
    got = debug(api, post["id"], bob)
    fan = got["fanout"]
    assert fan["delivery"] == "push"
    assert fan["author"] == {"id": alice.id, "acct": alice.username}
    assert fan["author_followers"] == fan["followers_checked"] == 3  # threshold 3: pushed
    assert fan["pushed_to"]["count"] == 2
    assert accts(fan["pushed_to"]) == {bob.username, carol.username}
    assert fan["merged_at_read"] == {"count": 0, "accounts": []}
    assert not fan["author_timeline"]  # alice never read her home timeline either
    # dave's timeline is rebuilt from storage when he reads: then the store holds it.
    assert post["id"] in read_home(api, dave)
    again = debug(api, post["id"], dave)["fanout"]
    assert accts(again["pushed_to"]) == {bob.username, carol.username, dave.username}


def test_a_celebritys_post_is_merged_at_read_time_not_pushed(api: Api) -> None:
    celeb = api.register()
    fans = [api.register() for _ in range(4)]
    for fan in fans:
        api.follow(fan, celeb)
        read_home(api, fan)
    post = api.post(celeb, "too many followers to push")
    api.settle()
    fan_out = debug(api, post["id"], fans[0])["fanout"]
    assert fan_out["delivery"] == "pull"
    assert fan_out["author_pulled"]
    assert fan_out["pushed_to"] == {"count": 0, "accounts": []}
    assert fan_out["merged_at_read"]["count"] == 4
    assert accts(fan_out["merged_at_read"]) == {f.username for f in fans}
    assert post["id"] in read_home(api, fans[1])  # merged when the fan reads


def test_counters_add_up_to_what_clients_are_shown(api: Api) -> None:
    alice, bob, carol = (api.register() for _ in range(3))
    post = api.post(alice, "count me")
    for who in (bob, carol):
        assert api.client.post(
            f"/api/v1/statuses/{post['id']}/favourite", headers=who.headers
        ).is_success
    assert api.client.post(f"/api/v1/statuses/{post['id']}/reblog", headers=bob.headers).is_success
    api.post(carol, "a reply", in_reply_to_id=post["id"])
    api.settle()
    shown, traced = shown_and_traced(api, post["id"], bob)
    counters = traced["counters"]
    deferred = counters["mode"] == "deferred"
    assert deferred == (api.client.app.state.services.status_counters is not None)  # type: ignore[attr-defined]
    expected = {"favourites": 2, "reblogs": 1, "replies": 1}
    for name, field in COUNTS.items():
        part = counters[name]
        assert part["total"] == shown[field], name
        if name in expected:
            assert part["total"] == expected[name], name
        adds = part["stored"] + sum(part["shards"]) + part["in_flight"]
        assert part["total"] == adds + sum(part["buffered"]) + part["unbatched"], name
        assert (len(part["shards"]) > 1) == deferred, name  # Redis shards only when deferred
    assert shown["views_count"] >= 1
    assert len(counters["views"]["buffered"]) > 1  # the process's sharded view buffer


def test_the_snowflake_id_is_decoded(api: Api) -> None:
    alice = api.register()
    post = api.post(alice, "what is my id made of")
    flake = debug(api, post["id"])["snowflake"]
    # The lesson's layout: 41 bits of ms since the epoch, 10 of worker, 12 of sequence.
    rebuilt = (
        ((flake["timestamp_ms"] - flake["epoch_ms"]) << 22)
        | (flake["worker_id"] << 12)
        | flake["sequence"]
    )
    assert rebuilt == int(post["id"])
    assert flake["worker_id"] == 0  # the app's Settings.worker_id
    made = datetime.fromisoformat(flake["created_at"])
    assert round(made.timestamp() * 1000) == flake["timestamp_ms"]
    stamped = datetime.fromisoformat(post["created_at"])
    assert abs((made - stamped).total_seconds()) < 5  # the id's clock is the post's clock


def test_a_status_the_caller_may_not_see_is_a_404(api: Api) -> None:
    alice, friend, stranger = (api.register() for _ in range(3))
    api.follow(friend, alice)
    private = api.post(alice, "followers only", visibility="private")
    direct = api.post(alice, f"@{stranger.username} just you", visibility="direct")
    api.settle()
    assert debug(api, private["id"], friend)["id"] == private["id"]
    assert debug(api, private["id"], alice)["id"] == private["id"]
    assert debug(api, direct["id"], stranger)["id"] == direct["id"]
    missing = api.client.get(DEBUG + "123456789", headers=stranger.headers)
    for status_id, who in (
        (private["id"], stranger),
        (private["id"], None),
        (direct["id"], friend),
    ):
        reply = api.client.get(DEBUG + status_id, headers=who.headers if who else {})
        assert reply.status_code == 404
        assert reply.json() == missing.json()  # no oracle: as if it did not exist
    for bad in ("abc", "-1", "9" * 30):
        assert api.client.get(DEBUG + bad).status_code == 404


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(likes=st.lists(st.booleans(), min_size=1, max_size=6), reads=st.integers(0, 3))
def test_counter_totals_follow_any_likes_and_reads(api: Api, likes: list[bool], reads: int) -> None:
    """Property: after any sequence of likes and unlikes by some users, and some reads,
    each counter's parts add up to the count the status shows, and the favourites total
    is the number of users whose last action was a like."""
    author = api.register()
    post = api.post(author, "liked and unliked")
    users = [api.register() for _ in range(len(likes))]
    state: dict[int, bool] = {}
    for i, like in enumerate(likes):
        who = users[i // 2]  # each user acts up to twice: like then unlike, and so on
        verb = "favourite" if like else "unfavourite"
        assert api.client.post(
            f"/api/v1/statuses/{post['id']}/{verb}", headers=who.headers
        ).is_success
        state[i // 2] = like
    for _ in range(reads):
        api.client.get(f"/api/v1/statuses/{post['id']}", headers=author.headers)
    api.settle()
    counters = debug(api, post["id"], author)["counters"]
    assert counters["favourites"]["total"] == sum(state.values())
    shown, traced = shown_and_traced(api, post["id"], author)
    counters = traced["counters"]
    assert counters["favourites"]["total"] == sum(state.values()) == shown["favourites_count"]
    assert counters["views"]["total"] == shown["views_count"] >= reads + 1


@pytest.mark.parametrize(
    ("args", "env", "on"),
    [
        ([], {}, False),
        (["--debug-api"], {}, True),
        ([], {"TWITTERDESIGN_DEBUG_API_ENABLED": "true"}, True),
    ],
    ids=["default-off", "flag", "environment"],
)
def test_serve_keeps_it_off_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    env: dict[str, str],
    on: bool,
) -> None:
    import twitterdesign.reference_app as reference_app
    from twitterdesign.cli import main

    monkeypatch.delenv("TWITTERDESIGN_DEBUG_API_ENABLED", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    served: list[Any] = []
    monkeypatch.setattr(reference_app, "run_server", lambda settings, **_: served.append(settings))
    code: Any = 0
    try:
        main(["serve", "--data-dir", str(tmp_path), *args])
    except SystemExit as exc:
        code = exc.code
    assert code in (0, None)
    assert [s.debug_api_enabled for s in served] == [on]
