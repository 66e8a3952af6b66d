"""The streaming API (websocket): what each subscriber receives, and what it never may.

Runs in both modes: embedded (events from the app's own fan-out) and the cluster (events
published by the fan-out worker through Redis pub/sub). To show that something did *not*
arrive, a test sends a sentinel that must arrive after it (a post of the listener's own,
which reaches its ``user`` stream) and checks everything received before the sentinel.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.reference_app._entities import Conversation, Notification, Status, validate
from tests.reference_app.conftest import Api, User
from twitterdesign.reference_app.api import routes_streaming
from twitterdesign.reference_app.api.routes_streaming import StreamConnection

pytestmark = [pytest.mark.all_engines, pytest.mark.timeout(120)]


def _connect(api: Api, user: User | None, query: str = "stream=user") -> Any:
    token = f"access_token={user.token}&" if user is not None else ""
    return api.client.websocket_connect(f"/api/v1/streaming?{token}{query}")


def _until(
    ws: WebSocketTestSession, done: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Receive messages up to and including the first for which ``done`` is true."""
    seen = []
    while True:
        message = ws.receive_json()
        seen.append(message)
        if done(message):
            return seen


def _status(message: dict[str, Any]) -> dict[str, Any]:
    """The Status of an ``update`` message (checked against Mastodon's entity)."""
    validate(Status, message["payload"])
    payload: dict[str, Any] = json.loads(message["payload"])
    return payload


def _is_post(text: str) -> Callable[[dict[str, Any]], bool]:
    def check(message: dict[str, Any]) -> bool:
        return message["event"] == "update" and text in _status(message)["content"]

    return check


def test_user_stream_gets_followed_and_own_posts_only(api: Api) -> None:
    ada, bob, cy = api.register("ada"), api.register("bob"), api.register("cy")
    api.follow(bob, ada)
    with _connect(api, bob) as ws:
        api.post(cy, "from someone bob does not follow")
        api.post(ada, "from ada")
        api.post(bob, "bob sentinel")
        seen = _until(ws, _is_post("bob sentinel"))
    texts = [_status(m)["content"] for m in seen]
    assert texts == ["<p>from ada</p>", "<p>bob sentinel</p>"]
    assert all(m["stream"] == ["user"] for m in seen)
    # The payload is the full Status, rendered for bob (a Mastodon client renders it as is).
    first = _status(seen[0])
    assert first["account"]["username"] == "ada"
    assert first["favourited"] is False


def test_private_posts_reach_followers_only_and_never_public_streams(api: Api) -> None:
    ada, bob, eve = api.register("ada"), api.register("bob"), api.register("eve")
    api.follow(bob, ada)
    with _connect(api, bob) as bob_ws, _connect(api, eve, "stream=public") as public_ws:
        bob_ws.send_text(json.dumps({"type": "subscribe", "stream": "public"}))
        eve_user = api.client.websocket_connect(
            f"/api/v1/streaming?access_token={eve.token}&stream=user"
        )
        with eve_user as eve_ws:
            api.post(ada, "followers only", visibility="private")
            api.post(ada, "unlisted one", visibility="unlisted")
            api.post(ada, "public sentinel")
            api.post(eve, "eve sentinel")
            bob_seen = _until(bob_ws, lambda m: m["stream"] == ["public"])
            public_seen = _until(public_ws, _is_post("public sentinel"))
            eve_seen = _until(eve_ws, _is_post("eve sentinel"))
    assert [(m["stream"], _status(m)["content"]) for m in bob_seen] == [
        (["user"], "<p>followers only</p>"),
        (["user"], "<p>unlisted one</p>"),
        (["user"], "<p>public sentinel</p>"),
        (["public"], "<p>public sentinel</p>"),
    ]
    # Unlisted and private statuses never reach a public stream; eve follows nobody.
    assert [_status(m)["content"] for m in public_seen] == ["<p>public sentinel</p>"]
    assert [_status(m)["content"] for m in eve_seen] == ["<p>eve sentinel</p>"]


def test_hashtag_streams_and_replies_to_others_stay_off_public(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    root = api.post(ada, "root post")
    api.settle()  # fanned out (and streamed) before anyone listens
    with (
        _connect(api, None, "stream=hashtag&tag=Python") as tag_ws,
        _connect(api, None, "stream=public:local") as local_ws,
    ):
        api.post(bob, "a reply #python", in_reply_to_id=root["id"])
        api.post(bob, "plain post #rust")
        api.post(bob, "tagged #PYTHON")
        tag_seen = _until(tag_ws, _is_post("tagged"))
        local_seen = _until(local_ws, _is_post("tagged"))
    assert [m["stream"] for m in tag_seen] == [["hashtag", "python"]]
    assert ["reply" in _status(m)["content"] for m in local_seen] == [False, False]
    assert [m["stream"] for m in local_seen] == [["public:local"], ["public:local"]]


def test_deletes_and_notifications_are_streamed(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(bob, ada)
    with _connect(api, bob) as bob_ws, _connect(api, ada, "stream=user:notification") as ada_ws:
        post = api.post(ada, "soon gone")
        _until(bob_ws, _is_post("soon gone"))
        assert api.client.delete(f"/api/v1/statuses/{post['id']}", headers=ada.headers).is_success
        assert _until(bob_ws, lambda m: m["event"] == "delete")[-1] == {
            "stream": ["user"],
            "event": "delete",
            "payload": post["id"],
        }
        kept = api.post(ada, "kept")
        api.client.post(f"/api/v1/statuses/{kept['id']}/favourite", headers=bob.headers)
        note = _until(ada_ws, lambda m: m["event"] == "notification")[-1]
    assert note["stream"] == ["user:notification"]
    validate(Notification, note["payload"])
    body = json.loads(note["payload"])
    assert (body["type"], body["account"]["username"], body["status"]["id"]) == (
        "favourite",
        "bob",
        kept["id"],
    )


def test_unauthenticated_and_unknown_streams_are_refused(api: Api) -> None:
    ada = api.register("ada")
    with pytest.raises(WebSocketDisconnect) as refused, _connect(api, None):
        pass
    assert refused.value.code == 1008  # the user stream needs a token
    with (
        pytest.raises(WebSocketDisconnect) as bad_token,
        api.client.websocket_connect("/api/v1/streaming?access_token=nope&stream=public"),
    ):
        pass
    assert bad_token.value.code == 1008
    with _connect(api, None, "stream=public") as ws:
        for command, status in (
            ({"type": "subscribe", "stream": "user"}, 401),
            ({"type": "subscribe", "stream": "direct:elsewhere"}, 400),
            ({"type": "subscribe", "stream": "hashtag"}, 400),
            ({"type": "dance"}, 400),
        ):
            ws.send_text(json.dumps(command))
            assert ws.receive_json()["status"] == status
        api.post(ada, "still streaming")
        assert _until(ws, _is_post("still streaming"))


def test_a_token_without_read_scope_cannot_open_user_streams(api: Api) -> None:
    user = api.register("ada")
    write_only = api.client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "username": "ada@example.org",
            "password": "correct horse",
            "scope": "write",
        },
    )
    assert write_only.status_code == 200, write_only.text
    token = write_only.json()["access_token"]
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        api.client.websocket_connect(f"/api/v1/streaming?access_token={token}&stream=user"),
    ):
        pass
    assert refused.value.code == 1008
    assert user.id


def test_the_token_may_come_as_the_websocket_subprotocol(api: Api) -> None:
    ada = api.register("ada")
    with api.client.websocket_connect(
        "/api/v1/streaming?stream=user", subprotocols=[ada.token]
    ) as ws:
        assert ws.accepted_subprotocol == ada.token
        api.post(ada, "browser style")
        assert _until(ws, _is_post("browser style"))


def test_health_and_instance_advertise_the_streaming_api(api: Api) -> None:
    assert api.client.get("/api/v1/streaming/health").text == "OK"
    v1 = api.client.get("/api/v1/instance").json()["urls"]["streaming_api"]
    v2 = api.client.get("/api/v2/instance").json()["configuration"]["urls"]["streaming"]
    assert v1 == v2 == "ws://testserver"


def test_a_client_that_does_not_read_is_dropped_and_nobody_else_waits() -> None:
    async def scenario() -> tuple[bool, list[Any]]:
        conn = StreamConnection(None, "http://x", None, asyncio.get_running_loop(), max_queued=3)  # type: ignore[arg-type]
        for i in range(5):  # as the dispatcher thread would: never blocks
            conn.deliver_delete(["public"], i)
        await asyncio.sleep(0)  # let the loop run the handed-over puts
        queued = [conn.queue.get_nowait() for _ in range(conn.queue.qsize())]
        return conn.too_slow, queued

    too_slow, queued = asyncio.run(scenario())
    assert too_slow
    assert [m[2] for m in queued[:-1]] == ["0", "1", "2"]  # then nothing more is kept
    assert queued[-1] is routes_streaming._CLOSE


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    follows=st.sets(st.tuples(st.integers(0, 2), st.integers(0, 2))),
    posts=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["public", "unlisted", "private"])),
        min_size=1,
        max_size=6,
    ),
)
def test_every_streamed_status_is_one_its_subscriber_may_read(
    app_factory: Callable[..., Api], follows: set[tuple[int, int]], posts: list[tuple[int, str]]
) -> None:
    """Visibility property: a user stream carries exactly the statuses its owner follows
    (or wrote) and may read; a public stream exactly the public ones."""
    api = app_factory()
    users = [api.register() for _ in range(3)]
    for a, b in follows:
        if a != b:
            api.follow(users[a], users[b])
    with _connect(api, users[0]) as ws, _connect(api, None, "stream=public") as public_ws:
        ids = [
            (api.post(users[a], f"n{i}", visibility=v)["id"], a, v)
            for i, (a, v) in enumerate(posts)
        ]
        api.post(users[0], "sentinel")
        seen = _until(ws, _is_post("sentinel"))[:-1]
        public_seen = _until(public_ws, _is_post("sentinel"))[:-1]
    followed = {b for a, b in follows if a == 0} | {0}
    assert [_status(m)["id"] for m in seen] == [i for i, a, _ in ids if a in followed]
    for message in seen:
        readable = api.client.get(
            f"/api/v1/statuses/{_status(message)['id']}", headers=users[0].headers
        )
        assert readable.status_code == 200
    assert [_status(m)["id"] for m in public_seen] == [i for i, _, v in ids if v == "public"]


def test_an_idle_event_stream_sends_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Streaming:
        removed = False

        def remove(self, listener: object) -> None:
            self.removed = True

    class _Services:
        streaming = _Streaming()

    monkeypatch.setattr(routes_streaming, "HEARTBEAT_S", 0.01)

    async def scenario() -> list[str]:
        conn = StreamConnection(None, "http://x", None, asyncio.get_running_loop())  # type: ignore[arg-type]
        body = routes_streaming._sse_body(_Services(), conn)  # type: ignore[arg-type]
        chunks = [await body.__anext__() for _ in range(3)]
        conn.deliver_delete(["public"], 42)
        await asyncio.sleep(0)
        while (chunk := await body.__anext__()) == ":thump\n\n":
            pass
        chunks.append(chunk)
        await body.aclose()
        return chunks

    assert asyncio.run(scenario()) == [
        ":)\n\n",
        ":thump\n\n",
        ":thump\n\n",
        "event: delete\ndata: 42\n\n",
    ]
    assert _Services.streaming.removed  # a closed stream stops receiving


def _conversation(message: dict[str, Any]) -> dict[str, Any]:
    assert message["event"] == "conversation"
    assert message["stream"] == ["direct"]
    validate(Conversation, message["payload"])
    payload: dict[str, Any] = json.loads(message["payload"])
    return payload


def _is_conversation(text: str) -> Callable[[dict[str, Any]], bool]:
    def check(message: dict[str, Any]) -> bool:
        return (
            message["event"] == "conversation"
            and text in json.loads(message["payload"])["last_status"]["content"]
        )

    return check


def test_a_direct_status_reaches_only_its_participants_direct_streams(api: Api) -> None:
    ada, bob, eve = api.register("ada"), api.register("bob"), api.register("eve")
    api.follow(bob, ada)
    api.follow(eve, ada)
    with (
        _connect(api, ada, "stream=direct") as ada_direct,
        _connect(api, bob, "stream=direct") as bob_direct,
        _connect(api, eve, "stream=direct") as eve_direct,
        _connect(api, eve) as eve_user,
        _connect(api, bob) as bob_user,
    ):
        dm = api.post(ada, "@bob just us", visibility="direct")
        bob_seen = _until(bob_direct, lambda m: m["event"] == "conversation")
        ada_seen = _until(ada_direct, lambda m: m["event"] == "conversation")
        assert api.client.delete(f"/api/v1/statuses/{dm['id']}", headers=ada.headers).is_success
        assert _until(bob_direct, lambda m: m["event"] == "delete")[-1] == {
            "stream": ["direct"],
            "event": "delete",
            "payload": dm["id"],
        }
        api.post(eve, "eve sentinel", visibility="direct")
        eve_direct_seen = _until(eve_direct, _is_conversation("eve sentinel"))
        api.post(ada, "public sentinel")
        eve_user_seen = _until(eve_user, _is_post("public sentinel"))
        bob_user_seen = _until(bob_user, _is_post("public sentinel"))
    conversation = _conversation(bob_seen[-1])
    assert conversation["last_status"]["id"] == dm["id"]
    assert conversation["last_status"]["visibility"] == "direct"
    assert [a["username"] for a in conversation["accounts"]] == ["ada"]
    assert conversation["unread"] is True
    own = _conversation(ada_seen[-1])
    assert [a["username"] for a in own["accounts"]] == ["bob"]
    assert own["unread"] is False
    assert own["id"] == conversation["id"]
    # eve follows ada but is not mentioned: nothing of the direct status, on any stream;
    # bob gets it on his direct stream only.
    assert [_conversation(m)["last_status"]["content"] for m in eve_direct_seen] == [
        "<p>eve sentinel</p>"
    ]
    assert [m["event"] for m in eve_user_seen] == ["update"]
    # bob, mentioned, hears of the mention as a notification, as Mastodon does.
    assert [m["event"] for m in bob_user_seen] == ["notification", "update"]
    assert json.loads(bob_user_seen[0]["payload"])["type"] == "mention"


def test_direct_statuses_stay_out_of_everyone_elses_reach(api: Api) -> None:
    ada, bob, eve = api.register("ada"), api.register("bob"), api.register("eve")
    api.follow(eve, ada)
    root = api.post(ada, "public root")
    dm = api.post(ada, "@bob secret", visibility="direct", in_reply_to_id=root["id"])
    api.settle()
    assert api.client.get(f"/api/v1/statuses/{dm['id']}", headers=bob.headers).status_code == 200
    for who in (eve, None):
        headers = who.headers if who is not None else {}
        assert api.client.get(f"/api/v1/statuses/{dm['id']}", headers=headers).status_code == 404
        profile = api.client.get(f"/api/v1/accounts/{ada.id}/statuses", headers=headers).json()
        assert dm["id"] not in [s["id"] for s in profile]
        context = api.client.get(f"/api/v1/statuses/{root['id']}/context", headers=headers)
        assert context.json()["descendants"] == []
    home = api.client.get("/api/v1/timelines/home", headers=eve.headers).json()
    assert [s["id"] for s in home] == [root["id"]]
    public = api.client.get("/api/v1/timelines/public").json()
    assert dm["id"] not in [s["id"] for s in public]
    parent = api.client.get(f"/api/v1/statuses/{root['id']}", headers=eve.headers).json()
    assert parent["replies_count"] == 0  # a count must not leak the direct reply
    reblog = api.client.post(f"/api/v1/statuses/{dm['id']}/reblog", headers=bob.headers)
    assert reblog.status_code == 403
    own = api.client.get(f"/api/v1/accounts/{ada.id}/statuses", headers=ada.headers).json()
    assert dm["id"] in [s["id"] for s in own]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    follows=st.sets(st.tuples(st.integers(0, 2), st.integers(0, 2))),
    posts=st.lists(
        st.tuples(
            st.integers(0, 2),
            st.sampled_from(["public", "private", "direct"]),
            st.sets(st.integers(0, 2), max_size=2),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_a_direct_status_never_reaches_a_subscriber_it_does_not_mention(
    app_factory: Callable[..., Api],
    follows: set[tuple[int, int]],
    posts: list[tuple[int, str, set[int]]],
) -> None:
    """Privacy property: a user's direct stream carries exactly the direct statuses they
    wrote or are mentioned in, and no other stream ever carries a direct status."""
    api = app_factory()
    users = [api.register() for _ in range(3)]
    for a, b in follows:
        if a != b:
            api.follow(users[a], users[b])
    with (
        _connect(api, users[0]) as user_ws,
        _connect(api, users[0], "stream=direct") as direct_ws,
        _connect(api, None, "stream=public") as public_ws,
    ):
        made = []
        for i, (author, visibility, mentioned) in enumerate(posts):
            names = " ".join(f"@{users[m].username}" for m in sorted(mentioned))
            status = api.post(users[author], f"n{i} {names}", visibility=visibility)
            made.append((status["id"], author, visibility, mentioned))
        api.post(users[0], "sentinel")
        api.post(users[0], "direct sentinel", visibility="direct")
        user_seen = _until(user_ws, _is_post("sentinel"))[:-1]
        direct_seen = _until(direct_ws, _is_conversation("direct sentinel"))[:-1]
        public_seen = _until(public_ws, _is_post("sentinel"))[:-1]
    direct_ids = {i for i, _, v, _ in made if v == "direct"}
    for seen in (user_seen, public_seen):
        assert not direct_ids & {_status(m)["id"] for m in seen if m["event"] == "update"}
    allowed = [
        i for i, author, v, mentioned in made if v == "direct" and (author == 0 or 0 in mentioned)
    ]
    assert [_conversation(m)["last_status"]["id"] for m in direct_seen] == allowed
    # A mention notification may carry a direct status: only one users[0] may read.
    for m in user_seen:
        if m["event"] == "notification":
            validate(Notification, m["payload"])
            status = json.loads(m["payload"])["status"]
            assert status is None or status["id"] not in direct_ids or status["id"] in allowed
