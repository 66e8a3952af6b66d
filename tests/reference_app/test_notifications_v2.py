"""``/api/v2/notifications``: grouped notifications as Mastodon 4.3 serves them."""

from __future__ import annotations

import pytest

from tests.reference_app.conftest import Api

pytestmark = pytest.mark.all_engines


def test_favourites_and_follows_group_and_mentions_do_not(api: Api) -> None:
    ada, bob, cy = api.register("ada"), api.register("bob"), api.register("cy")
    post = api.post(ada, "like me")
    for fan in (bob, cy):
        api.client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=fan.headers)
        api.follow(fan, ada)
    api.post(bob, "hi @ada")
    reply = api.client.get("/api/v2/notifications", headers=ada.headers)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    groups = body["notification_groups"]
    assert [(g["type"], g["notifications_count"]) for g in groups] == [
        ("mention", 1),
        ("follow", 2),
        ("favourite", 2),
    ]
    fav = groups[2]
    assert fav["status_id"] == post["id"]
    assert fav["sample_account_ids"] == [cy.id, bob.id]
    assert (
        int(fav["page_min_id"]) < int(fav["page_max_id"]) == int(fav["most_recent_notification_id"])
    )
    assert groups[0]["group_key"].startswith("ungrouped-")
    assert {a["id"] for a in body["accounts"]} == {ada.id, bob.id, cy.id}
    assert {s["id"] for s in body["statuses"]} >= {post["id"]}
    assert 'rel="next"' in reply.headers["Link"]

    only_follows = api.client.get(
        "/api/v2/notifications?types[]=follow", headers=ada.headers
    ).json()["notification_groups"]
    assert [g["type"] for g in only_follows] == ["follow"]
    ungrouped = api.client.get(
        "/api/v2/notifications?grouped_types[]=favourite&exclude_types[]=mention",
        headers=ada.headers,
    ).json()["notification_groups"]
    # Newest first: cy's follow, the favourites (cy's is the newest), bob's follow.
    assert [(g["type"], g["notifications_count"]) for g in ungrouped] == [
        ("follow", 1),
        ("favourite", 2),
        ("follow", 1),
    ]


def test_partial_avatars_keep_only_the_newest_sample_in_full(api: Api) -> None:
    ada, bob, cy = api.register("ada"), api.register("bob"), api.register("cy")
    api.follow(bob, ada)
    api.follow(cy, ada)
    body = api.client.get(
        "/api/v2/notifications?expand_accounts=partial_avatars", headers=ada.headers
    ).json()
    assert [a["id"] for a in body["accounts"]] == [cy.id]
    assert [a["id"] for a in body["partial_accounts"]] == [bob.id]
    assert set(body["partial_accounts"][0]) == {
        "id",
        "acct",
        "locked",
        "bot",
        "url",
        "avatar",
        "avatar_static",
    }
    bad = api.client.get("/api/v2/notifications?expand_accounts=all", headers=ada.headers)
    assert bad.status_code == 400
    assert "expand_accounts" in bad.json()["error"]


def test_one_group_dismiss_and_ownership(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(bob, ada)
    key = api.client.get("/api/v2/notifications", headers=ada.headers).json()[
        "notification_groups"
    ][0]["group_key"]
    one = api.client.get(f"/api/v2/notifications/{key}", headers=ada.headers)
    assert one.status_code == 200
    group = one.json()["notification_groups"][0]
    assert group["group_key"] == key
    assert "page_min_id" not in group
    assert api.client.get(f"/api/v2/notifications/{key}", headers=bob.headers).status_code == 404
    api.client.post(f"/api/v2/notifications/{key}/dismiss", headers=bob.headers)
    assert api.client.get(f"/api/v2/notifications/{key}", headers=ada.headers).status_code == 200
    gone = api.client.post(f"/api/v2/notifications/{key}/dismiss", headers=ada.headers)
    assert gone.status_code == 200
    assert gone.json() == {}
    assert (
        api.client.get("/api/v2/notifications", headers=ada.headers).json()["notification_groups"]
        == []
    )
    assert api.client.get("/api/v2/notifications").status_code == 401
