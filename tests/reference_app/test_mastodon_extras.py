"""Mastodon calls clients make on start-up and in passing: multi-gets, account search,
preferences, the instance's (empty) rules and emojis, and the entity fields they read."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.reference_app.conftest import Api
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app import Settings

pytestmark = pytest.mark.all_engines


def test_several_statuses_in_the_order_asked_without_hidden_ones(api: Api) -> None:
    ada, bob, eve = api.register("ada"), api.register("bob"), api.register("eve")
    first = api.post(ada, "first")["id"]
    second = api.post(bob, "second")["id"]
    hidden = api.post(eve, "followers only", visibility="private")["id"]
    query = "&".join(f"id[]={i}" for i in (second, hidden, "999", first, second))
    reply = api.client.get(f"/api/v1/statuses?{query}", headers=ada.headers)
    assert reply.status_code == 200
    assert [s["id"] for s in reply.json()] == [second, first]
    too_many = "&".join(f"id[]={i}" for i in range(1, 22))
    assert api.client.get(f"/api/v1/statuses?{too_many}").status_code == 400


def test_several_accounts_in_the_order_asked(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    reply = api.client.get(f"/api/v1/accounts?id[]={bob.id}&id[]=12345&id[]={ada.id}")
    assert [a["username"] for a in reply.json()] == ["bob", "ada"]
    too_many = "&".join(f"id[]={i}" for i in range(1, 42))
    assert api.client.get(f"/api/v1/accounts?{too_many}").status_code == 400


def test_account_search_by_prefix_and_among_followed(api: Api) -> None:
    ada, adam, bob = api.register("ada"), api.register("adam"), api.register("bob")
    api.follow(bob, adam)
    found = api.client.get("/api/v1/accounts/search?q=@ad", headers=bob.headers).json()
    assert sorted(a["username"] for a in found) == ["ada", "adam"]
    followed = api.client.get(
        "/api/v1/accounts/search?q=ad&following=true", headers=bob.headers
    ).json()
    assert [a["username"] for a in followed] == ["adam"]
    assert api.client.get("/api/v1/accounts/search?q=ad").status_code == 401
    assert api.client.get("/api/v1/accounts/search", headers=ada.headers).status_code == 400


def test_preferences_rules_emojis_and_links(api: Api) -> None:
    ada = api.register("ada")
    prefs = api.client.get("/api/v1/preferences", headers=ada.headers)
    assert prefs.status_code == 200
    assert prefs.json()["posting:default:visibility"] == "public"
    assert api.client.get("/api/v1/preferences").status_code == 401
    for path in ("/api/v1/instance/rules", "/api/v1/custom_emojis", "/api/v1/trends/links"):
        reply = api.client.get(path)
        assert (reply.status_code, reply.json()) == (200, [])


def test_tags_have_a_stable_id_and_credentials_a_role(api: Api) -> None:
    ada = api.register("ada")
    api.post(ada, "#Design matters")
    trend = api.client.get("/api/v1/trends/tags").json()[0]
    found = api.client.get("/api/v2/search?q=%23design&type=hashtags").json()["hashtags"][0]
    assert trend["name"] == found["name"] == "design"
    assert trend["id"] == found["id"]
    assert trend["id"].isdigit()
    me = api.client.get("/api/v1/accounts/verify_credentials", headers=ada.headers).json()
    assert me["role"]["permissions"] == "0"
    assert me["source"]["indexable"] is True


def test_instance_contact_email_from_settings(app_factory: Callable[..., Api]) -> None:
    default = app_factory(domain="social.example")
    assert default.client.get("/api/v1/instance").json()["email"] == "admin@social.example"
    set_here = app_factory(contact_email="help@example.org")
    v1 = set_here.client.get("/api/v1/instance").json()
    v2 = set_here.client.get("/api/v2/instance").json()
    assert v1["email"] == "help@example.org"
    assert v2["contact"] == {"email": "help@example.org", "account": None}


def test_contact_email_is_read_from_the_environment_and_checked() -> None:
    env = {"TWITTERDESIGN_CONTACT_EMAIL": "ops@example.org"}
    assert Settings.from_env(env).resolved_contact_email == "ops@example.org"
    with pytest.raises(InvalidParameterError, match="contact_email"):
        Settings(contact_email="not an address")
