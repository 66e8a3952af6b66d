"""OAuth grants, media upload and serving, the lesson's API, operations endpoints."""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3

from PIL import Image

from tests.reference_app._images import gif, png
from tests.reference_app.conftest import Api


def test_password_grant_and_revoke(api: Api) -> None:
    api.register("pat", password="secret pass 1")
    form = {
        "grant_type": "password",
        "client_id": api.app["client_id"],
        "client_secret": api.app["client_secret"],
        "username": "pat",
        "password": "secret pass 1",
        "scope": "read write",
    }
    tok = api.client.post("/oauth/token", data=form).json()
    assert tok["token_type"] == "Bearer"
    assert len(tok["access_token"]) >= 43  # 32 random bytes, base64url
    headers = {"Authorization": f"Bearer {tok['access_token']}"}
    assert api.client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code == 200
    wrong = api.client.post("/oauth/token", data={**form, "password": "nope"})
    assert wrong.status_code == 401
    assert (
        api.client.post(
            "/oauth/revoke",
            data={
                "client_id": api.app["client_id"],
                "client_secret": api.app["client_secret"],
                "token": tok["access_token"],
            },
        ).status_code
        == 200
    )
    assert api.client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code == 401


def test_authorization_code_grant(api: Api) -> None:
    api.register("cody", password="code grant pw")
    page = api.client.get(
        "/oauth/authorize",
        params={
            "client_id": api.app["client_id"],
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            "response_type": "code",
            "scope": "read",
        },
    )
    assert page.status_code == 200
    assert "<form" in page.text
    shown = api.client.post(
        "/oauth/authorize",
        data={
            "client_id": api.app["client_id"],
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            "scope": "read",
            "username": "cody",
            "password": "code grant pw",
        },
    )
    code = re.search(r"<pre id='code'>([^<]+)</pre>", shown.text)
    assert code is not None
    tok = api.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "code": code.group(1),
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        },
    )
    assert tok.status_code == 200
    assert tok.json()["scope"] == "read"
    # A code works once.
    again = api.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "code": code.group(1),
        },
    )
    assert again.status_code == 401


def test_secrets_are_stored_hashed(api: Api) -> None:
    user = api.register("hashy", password="plain text pw")
    db = api.client.app.state.services.settings.database_path  # type: ignore[attr-defined]
    conn = sqlite3.connect(db)
    try:
        (pw_hash,) = conn.execute("SELECT password_hash FROM users").fetchone()
        token_hashes = {r[0] for r in conn.execute("SELECT token_hash FROM tokens")}
    finally:
        conn.close()
    assert pw_hash.startswith("$argon2id$")
    assert "plain text pw" not in pw_hash
    assert user.token not in token_hashes
    assert hashlib.sha256(user.token.encode()).hexdigest() in token_hashes


def test_media_upload_attach_and_serve(api: Api) -> None:
    ada = api.register()
    data = png(3, 2)
    up = api.client.post(
        "/api/v2/media",
        headers=ada.headers,
        files={"file": ("x.txt", data, "text/plain")},
        data={"description": "a tiny image"},
    )
    assert up.status_code == 200, up.text
    media = up.json()
    assert media["type"] == "image"
    assert media["meta"]["original"]["width"] == 3
    assert media["meta"]["original"]["height"] == 2
    status = api.post(ada, "with a picture", media_ids=[media["id"]])
    assert [m["id"] for m in status["media_attachments"]] == [media["id"]]
    only = api.client.get(f"/api/v1/accounts/{ada.id}/statuses?only_media=true").json()
    assert [s["id"] for s in only] == [status["id"]]
    path = media["url"].split("testserver", 1)[1]
    served = api.client.get(path)
    assert served.status_code == 200
    # The stored image is the upload's pixels, encoded again (see test_media.py).
    with Image.open(io.BytesIO(served.content)) as img:
        assert img.format == "PNG"
        assert img.size == (3, 2)
        assert img.convert("L").tobytes() == bytes(6)
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    etag = served.headers["etag"]
    assert etag == f'"{hashlib.sha256(served.content).hexdigest()}"'
    assert api.client.get(path, headers={"If-None-Match": etag}).status_code == 304
    # The same media cannot be attached twice; someone else's media not at all.
    again = api.client.post(
        "/api/v1/statuses",
        headers=ada.headers,
        json={"status": "again", "media_ids": [media["id"]]},
    )
    assert again.status_code == 422
    bob = api.register()
    theft = api.client.post(
        "/api/v1/statuses", headers=bob.headers, json={"status": "mine", "media_ids": [media["id"]]}
    )
    assert theft.status_code == 422


def test_media_type_checked_by_content_and_size_limited(app_factory) -> None:  # type: ignore[no-untyped-def]
    api = app_factory(media_max_bytes=100)
    ada = api.register()
    fake = api.client.post(
        "/api/v2/media",
        headers=ada.headers,
        files={"file": ("evil.png", b"<svg onload=alert(1)>", "image/png")},
    )
    assert fake.status_code == 422
    big = api.client.post(
        "/api/v2/media",
        headers=ada.headers,
        files={"file": ("big.png", png(60, 60) + bytes(200), "image/png")},
    )
    assert big.status_code == 422
    ok = api.client.post(
        "/api/v2/media", headers=ada.headers, files={"file": ("a.gif", gif(4, 5), "image/gif")}
    )
    assert ok.status_code == 200
    assert ok.json()["meta"]["original"]["size"] == "4x5"
    missing = api.client.post("/api/v2/media", headers=ada.headers, data={"description": "x"})
    assert missing.status_code == 422


def test_lesson_api_calls(api: Api) -> None:
    ada, bob = api.register("lesson_ada"), api.register("lesson_bob")
    follow = api.client.post(
        "/lesson/v1/followAccount",
        headers=bob.headers,
        json={"account_id": bob.id, "followed_account_id": ada.id},
    )
    assert follow.json()["following"] is True
    post = api.client.post(
        "/lesson/v1/postTweet",
        headers=ada.headers,
        json={
            "user_id": ada.id,
            "access_type": "public",
            "tweet_type": "text",
            "content": "Designing Twitter",
            "tweet_length": 17,
            "list_of_used_hashtags": ["systemdesign"],
            "list_of_tagged_people": [bob.id],
            "tweet_location": "PK",
        },
    )
    assert post.status_code == 200, post.text
    tweet = post.json()["tweet"]
    assert tweet["tags"][0]["name"] == "systemdesign"
    assert tweet["mentions"][0]["id"] == bob.id
    tid = post.json()["tweet_id"]
    like = api.client.post(
        "/lesson/v1/likeTweet",
        headers=bob.headers,
        json={"user_id": bob.id, "tweet_id": tid, "tweeted_user_id": ada.id, "user_location": "US"},
    )
    assert like.json()["tweet"]["favourites_count"] == 1
    reply = api.client.post(
        "/lesson/v1/replyTweet",
        headers=bob.headers,
        json={
            "user_id": bob.id,
            "tweet_id": tid,
            "tweeted_user_id": ada.id,
            "reply_type": "public",
            "reply_content": "Nice",
            "reply_length": 4,
        },
    )
    assert reply.json()["tweet"]["in_reply_to_id"] == tid
    rt = api.client.post(
        "/lesson/v1/retweet",
        headers=bob.headers,
        json={"user_id": bob.id, "tweet_id": tid, "retweet_user_id": ada.id},
    )
    assert rt.json()["tweet"]["reblog"]["id"] == tid
    api.settle()
    home = api.client.get(
        "/lesson/v1/viewHome_timeline",
        headers=bob.headers,
        params={"user_id": bob.id, "max_result": 10},
    ).json()
    assert tid in [t["id"] for t in home["data"]]
    found = api.client.get(
        "/lesson/v1/searchTweet",
        headers=bob.headers,
        params={"user_id": bob.id, "search_term": "designing"},
    ).json()
    assert [t["id"] for t in found["data"]] == [tid]
    user_tl = api.client.get(
        "/lesson/v1/viewUser_timeline",
        headers=bob.headers,
        params={"user_id": bob.id, "target_user_id": ada.id},
    ).json()
    assert [t["id"] for t in user_tl["data"]] == [tid]
    # Acting as someone else is refused; a wrong length is invalid.
    other = api.client.post(
        "/lesson/v1/likeTweet", headers=bob.headers, json={"user_id": ada.id, "tweet_id": tid}
    )
    assert other.status_code == 403
    bad_len = api.client.post(
        "/lesson/v1/postTweet",
        headers=ada.headers,
        json={"user_id": ada.id, "content": "abc", "tweet_length": 5},
    )
    assert bad_len.status_code == 422
    assert set(bad_len.json()) == {"error"}


def test_lesson_search_pages_by_next_token(api: Api) -> None:
    ada = api.register()
    ids = [api.post(ada, f"needle number {i}")["id"] for i in range(13)]
    got: list[str] = []
    token = None
    for _ in range(5):
        params = {"user_id": ada.id, "search_term": "needle"}
        if token:
            params["next_token"] = token
        page = api.client.get("/lesson/v1/searchTweet", headers=ada.headers, params=params).json()
        got += [t["id"] for t in page["data"]]
        token = page["meta"]["next_token"]
        if token is None:
            break
    assert len(got) == 13  # 10 by default, then 3
    assert got == ids[::-1]


def test_operations_endpoints(api: Api) -> None:
    ada = api.register()
    api.post(ada, "counted")
    assert api.client.get("/healthz").json()["status"] == "ok"
    metrics = api.client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert (
        'twitterdesign_http_requests_total{method="POST",route="/api/v1/statuses",status="200"}'
        in text
    )
    assert "twitterdesign_fanout_queue_depth" in text
    assert "twitterdesign_sketch_bytes" in text
    spec = api.client.get("/openapi.json").json()
    for path in (
        "/api/v1/statuses",
        "/api/v1/timelines/home",
        "/lesson/v1/postTweet",
        "/api/v2/search",
        "/api/v2/media",
        "/oauth/token",
    ):
        assert path in spec["paths"]
    # Mastodon clients call paths with a trailing slash.
    assert api.client.get("/api/v1/instance/").status_code == 200
    v2 = api.client.get("/api/v2/instance").json()
    assert v2["api_versions"] == {"mastodon": 2}


def test_lesson_trends_have_bounds_and_hide_private(api: Api) -> None:
    ada, bob = api.register(), api.register()
    public = api.post(ada, "#topk is fun")
    secret = api.post(ada, "#topk secret", visibility="private")
    for _ in range(3):
        api.client.get(f"/api/v1/statuses/{public['id']}")
        api.client.get(f"/api/v1/statuses/{secret['id']}", headers=ada.headers)
    trends = api.client.get("/lesson/v1/trends", headers=bob.headers).json()
    tags = {t["name"]: t for t in trends["tags"]}
    assert tags["topk"]["uses"] == 1  # the private post's tag is not counted
    assert tags["topk"]["lower_bound"] <= 1 <= tags["topk"]["upper_bound"]
    viewed = [e["status_id"] for e in trends["most_viewed"]]
    assert viewed == [public["id"]]  # 4 views: the POST response and 3 GETs
    top = trends["most_viewed"][0]
    assert top["lower_bound"] <= 4 <= top["upper_bound"]
    assert secret["id"] not in [e["status_id"] for e in trends["engaged"]]
