"""Security regressions: token ownership, existence oracles, media content, idempotency."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app._images import png
from tests.reference_app.conftest import Api
from twitterdesign.reference_app.storage import SQLiteStore, StatusRecord


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


def test_authorization_code_cannot_carry_scopes_the_client_did_not_register(api: Api) -> None:
    api.register("scoped", password="scoped user pw")
    reader = _client(api, "read-only app")  # registered for "read" only
    form = {
        "client_id": reader["client_id"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "scope": "read write",
        "username": "scoped",
        "password": "scoped user pw",
    }
    shown = api.client.get("/oauth/authorize", params={**form, "response_type": "code"})
    assert shown.status_code == 400, shown.text
    granted = api.client.post("/oauth/authorize", data=form)
    assert granted.status_code == 400, granted.text
    assert "<pre id='code'>" not in granted.text
    # A granular form of a registered scope is fine, and is what the token carries.
    code = re.search(
        r"<pre id='code'>([^<]+)</pre>",
        api.client.post("/oauth/authorize", data={**form, "scope": "read:statuses"}).text,
    )
    assert code is not None
    tok = api.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": reader["client_id"],
            "client_secret": reader["client_secret"],
            "code": code.group(1),
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        },
    )
    assert tok.status_code == 200, tok.text
    assert tok.json()["scope"] == "read:statuses"
    posted = api.client.post(
        "/api/v1/statuses",
        headers={"Authorization": f"Bearer {tok.json()['access_token']}"},
        json={"status": "should not be allowed"},
    )
    assert posted.status_code == 403


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


# --- item 4: Idempotency-Key: the lookup comes first; another request is refused -------
def _upload(api: Api, user: Any, seed: int = 0) -> str:
    reply = api.client.post(
        "/api/v2/media",
        headers=user.headers,
        files={"file": ("p.png", png(3 + seed, 2), "image/png")},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["id"])


def _count(api: Api, user: Any) -> int:
    me = api.client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    return int(me.json()["statuses_count"])


def test_retry_with_media_returns_the_first_status(api: Api) -> None:
    ada = api.register()
    media = [_upload(api, ada, 0), _upload(api, ada, 1)]
    headers = {**ada.headers, "Idempotency-Key": "with-media"}
    body = {"status": "two pictures", "media_ids": media}
    first = api.client.post("/api/v1/statuses", headers=headers, json=body)
    assert first.status_code == 200, first.text
    again = api.client.post("/api/v1/statuses", headers=headers, json=body)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    # The same request sent as a form body, ids as strings: still the same request.
    form = api.client.post(
        "/api/v1/statuses",
        headers=headers,
        data={"status": "two pictures", "media_ids[]": media},
    )
    assert form.status_code == 200, form.text
    assert form.json()["id"] == first.json()["id"]
    # The lesson's postTweet honours the key the same way.
    lesson_media = _upload(api, ada, 2)
    tweet = {
        "user_id": ada.id,
        "tweet_type": "media",
        "content": "pic",
        "media_field": [lesson_media],
    }
    lesson_headers = {**ada.headers, "Idempotency-Key": "lesson-media"}
    one = api.client.post("/lesson/v1/postTweet", headers=lesson_headers, json=tweet)
    two = api.client.post("/lesson/v1/postTweet", headers=lesson_headers, json=tweet)
    assert one.status_code == two.status_code == 200, two.text
    assert one.json()["tweet_id"] == two.json()["tweet_id"]
    assert _count(api, ada) == 2


def test_retry_of_a_reply_answers_even_after_the_parent_is_gone(api: Api) -> None:
    ada, bob = api.register(), api.register()
    parent = api.post(ada, "a public post")
    headers = {**bob.headers, "Idempotency-Key": "reply-1"}
    body = {"status": "a reply", "in_reply_to_id": parent["id"]}
    first = api.client.post("/api/v1/statuses", headers=headers, json=body)
    assert first.status_code == 200, first.text
    api.client.delete(f"/api/v1/statuses/{parent['id']}", headers=ada.headers)
    again = api.client.post("/api/v1/statuses", headers=headers, json=body)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


def test_lesson_reply_retry_answers_after_the_tweet_became_invisible(api: Api) -> None:
    ada, bob = api.register(), api.register()
    api.follow(bob, ada)
    secret = api.post(ada, "followers only", visibility="private")["id"]
    headers = {**bob.headers, "Idempotency-Key": "lesson-reply"}
    body = {
        "user_id": bob.id,
        "tweet_id": secret,
        "tweeted_user_id": ada.id,
        "reply_content": "seen it",
    }
    first = api.client.post("/lesson/v1/replyTweet", headers=headers, json=body)
    assert first.status_code == 200, first.text
    api.client.post(f"/api/v1/accounts/{ada.id}/unfollow", headers=bob.headers)
    again = api.client.post("/lesson/v1/replyTweet", headers=headers, json=body)
    assert again.status_code == 200, again.text
    assert again.json()["tweet_id"] == first.json()["tweet_id"]


def test_reusing_a_key_for_a_different_request_is_422_and_creates_nothing(api: Api) -> None:
    ada = api.register()
    media = _upload(api, ada)
    headers = {**ada.headers, "Idempotency-Key": "k1"}
    first = api.client.post(
        "/api/v1/statuses", headers=headers, json={"status": "first", "media_ids": [media]}
    )
    assert first.status_code == 200
    for other in (
        {"status": "second", "media_ids": [media]},
        {"status": "first"},
        {"status": "first", "media_ids": [media], "visibility": "private"},
    ):
        reply = api.client.post("/api/v1/statuses", headers=headers, json=other)
        assert reply.status_code == 422, reply.text
        assert set(reply.json()) == {"error"}
        assert "Idempotency-Key" in reply.json()["error"]
    assert _count(api, ada) == 1
    # Keys are per account: another account may use the same key for anything.
    bob = api.register()
    theirs = api.client.post(
        "/api/v1/statuses", headers={**bob.headers, "Idempotency-Key": "k1"}, json={"status": "x"}
    )
    assert theirs.status_code == 200


_request = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["same", "same ", "Same", "other", "  same"]),
        "visibility": st.sampled_from(["public", "unlisted", "private"]),
    }
)


def test_same_key_answers_the_first_status_iff_the_request_is_the_same(api: Api) -> None:
    ada = api.register()
    keys = iter(range(10**6))

    @settings(max_examples=30, deadline=None)
    @given(first=_request, second=_request, as_form=st.booleans())
    def check(first: dict[str, str], second: dict[str, str], as_form: bool) -> None:
        headers = {**ada.headers, "Idempotency-Key": f"prop-{next(keys)}"}
        before = _count(api, ada)
        one = api.client.post("/api/v1/statuses", headers=headers, json=first)
        assert one.status_code == 200, one.text
        send: dict[str, Any] = {"data": second} if as_form else {"json": second}
        two = api.client.post("/api/v1/statuses", headers=headers, **send)
        if first == second:
            assert two.status_code == 200, two.text
            assert two.json()["id"] == one.json()["id"]
        else:
            assert two.status_code == 422, two.text
        assert _count(api, ada) == before + 1

    check()


def test_store_keeps_the_fingerprint_and_forgets_a_deleted_status(tmp_path: Any) -> None:
    store = SQLiteStore(tmp_path / "db.sqlite3")
    try:
        store.create_user(1, "ada", "a@x.org", "h", 0)
        record = StatusRecord(1000, 1, "hi", "public", None, None, None, 1000, 0, 0, 0, 0)
        store.create_status(record, idempotency_key="k", request_fingerprint="f1")
        found = store.idempotent_request(1, "k")
        assert found is not None
        assert (found[0].id, found[1]) == (1000, "f1")
        assert store.idempotent_request(1, "other") is None
        assert store.idempotent_request(2, "k") is None
        store.delete_status(1000)
        assert store.idempotent_request(1, "k") is None
    finally:
        store.close()
