"""Security regressions: token ownership, existence oracles, media content, idempotency."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api


def _client(api: Api, name: str) -> dict[str, Any]:
    reply = api.client.post(
        "/api/v1/apps",
        data={"client_name": name, "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"},
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _verify(api: Api, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return api.client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code


# --- item 1: only the issuing client may revoke a token ---------------------------------
def test_revoke_refuses_a_token_issued_to_another_client(api: Api) -> None:
    victim = api.register()  # token issued to the fixture's client
    other = _client(api, "someone else's app")
    reply = api.client.post(
        "/oauth/revoke",
        data={
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
            "token": victim.token,
        },
    )
    assert reply.status_code == 403, reply.text
    assert set(reply.json()) == {"error"}
    assert _verify(api, victim.token) == 200  # still valid
    # The issuing client may revoke it.
    own = api.client.post(
        "/oauth/revoke",
        data={
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "token": victim.token,
        },
    )
    assert own.status_code == 200
    assert _verify(api, victim.token) == 401


def test_revoke_of_an_unknown_token_is_not_an_error(api: Api) -> None:
    other = _client(api, "any app")
    for token in ("not-a-token", ""):
        reply = api.client.post(
            "/oauth/revoke",
            data={
                "client_id": other["client_id"],
                "client_secret": other["client_secret"],
                "token": token,
            },
        )
        assert reply.status_code == 200, reply.text


def test_revoke_needs_valid_client_credentials(api: Api) -> None:
    user = api.register()
    reply = api.client.post(
        "/oauth/revoke",
        data={"client_id": api.app["client_id"], "client_secret": "wrong", "token": user.token},
    )
    assert reply.status_code == 401
    assert _verify(api, user.token) == 200


def _code_for(api: Api, client: dict[str, Any], username: str, password: str) -> str:
    shown = api.client.post(
        "/oauth/authorize",
        data={
            "client_id": client["client_id"],
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            "scope": "read",
            "username": username,
            "password": password,
        },
    )
    found = re.search(r"<pre id='code'>([^<]+)</pre>", shown.text)
    assert found is not None, shown.text
    return found.group(1)


def test_authorization_code_presented_by_another_client_is_not_consumed(api: Api) -> None:
    api.register("codeowner", password="code owner pw")
    code = _code_for(api, api.app, "codeowner", "code owner pw")
    thief = _client(api, "thief")

    def redeem(client: dict[str, Any]) -> Any:
        return api.client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
                "code": code,
                "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            },
        )

    assert redeem(thief).status_code == 401
    owner = redeem(api.app)
    assert owner.status_code == 200, owner.text
    assert _verify(api, owner.json()["access_token"]) == 200


# --- item 2: the lesson routes are no oracle for who wrote a private status -------------
_LESSON_ROUTES = {
    "likeTweet": "tweeted_user_id",
    "replyTweet": "tweeted_user_id",
    "retweet": "retweet_user_id",
}


def _lesson_call(api: Api, caller: Any, route: str, tweet_id: str, guess: str | None) -> Any:
    body: dict[str, Any] = {"user_id": caller.id, "tweet_id": tweet_id}
    if route == "replyTweet":
        body["reply_content"] = "a reply"
    if guess is not None:
        body[_LESSON_ROUTES[route]] = guess
    return api.client.post(f"/lesson/v1/{route}", headers=caller.headers, json=body)


def test_lesson_routes_answer_alike_for_a_hidden_status_whatever_author_is_guessed(
    api: Api,
) -> None:
    ada, bob, cat = api.register(), api.register(), api.register()
    api.follow(cat, ada)
    secret = api.post(ada, "followers only", visibility="private")["id"]
    missing = str(int(secret) + 1_000_003)  # no status has this id
    guesses = st.one_of(
        st.none(),
        st.sampled_from([ada.id, bob.id, cat.id, "0", secret]),
        st.integers(0, 2**63 - 1).map(str),
    )

    @settings(max_examples=40, deadline=None)
    @given(route=st.sampled_from(sorted(_LESSON_ROUTES)), guess=guesses)
    def probe(route: str, guess: str | None) -> None:
        hidden = _lesson_call(api, bob, route, secret, guess)
        absent = _lesson_call(api, bob, route, missing, guess)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json() == absent.json()

    probe()
    # A caller who may see the status still learns a wrong guess (422).
    wrong = _lesson_call(api, cat, "likeTweet", secret, bob.id)
    assert wrong.status_code == 422, wrong.text
    right = _lesson_call(api, cat, "likeTweet", secret, ada.id)
    assert right.status_code == 200, right.text


# --- item 6: what counts reveal about followers-only statuses ---------------------------
def test_statuses_count_includes_followers_only_posts_as_mastodon_does(api: Api) -> None:
    ada, bob, cat = api.register(), api.register(), api.register()
    api.post(ada, "public")
    api.post(ada, "followers only 1", visibility="private")
    api.post(ada, "followers only 2", visibility="private")
    # The author's count is one number for every viewer: Mastodon (and Twitter, for
    # protected posts) count every status of the account, whatever its visibility.
    for headers in ({}, bob.headers, ada.headers):
        account = api.client.get(f"/api/v1/accounts/{ada.id}", headers=headers).json()
        assert account["statuses_count"] == 3
    shown = api.client.get(f"/api/v1/accounts/{ada.id}/statuses", headers=bob.headers).json()
    assert [s["content"] for s in shown] == ["<p>public</p>"]
    # A count on someone else's status never reveals a followers-only reply.
    api.follow(cat, bob)
    parent = api.post(bob, "a public question")
    api.post(cat, "a followers-only answer", visibility="private", in_reply_to_id=parent["id"])
    for viewer in ({}, ada.headers, bob.headers):
        got = api.client.get(f"/api/v1/statuses/{parent['id']}", headers=viewer).json()
        assert got["replies_count"] == 0
