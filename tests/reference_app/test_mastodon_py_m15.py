"""Mastodon.py, unchanged, against a live server: edits, profile edits, blocks, mutes and
filters — the calls its users make daily — in both storage modes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

mastodon = pytest.importorskip("mastodon")
Mastodon = mastodon.Mastodon

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def make_user(server: str) -> Callable[[str], Any]:
    client_id, client_secret = Mastodon.create_app(
        "m15-test", api_base_url=server, scopes=["read", "write", "follow", "push"]
    )

    def make(name: str) -> Any:
        anon = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
        assert anon.create_account(
            name, "correct horse battery", f"{name}@example.org", agreement=True
        )
        api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
        api.log_in(f"{name}@example.org", "correct horse battery", allow_http=True)
        return api

    return make


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_status_update_history_and_source(make_user: Callable[[str], Any]) -> None:
    ada = make_user("ada")
    posted = ada.status_post("first version #draft")
    edited = ada.status_update(posted, "second version", spoiler_text="cw", sensitive=True)
    assert edited.id == posted.id
    assert edited.edited_at is not None
    assert (edited.spoiler_text, edited.sensitive) == ("cw", True)
    history = ada.status_history(posted)
    assert ["first" in h.content for h in history] == [True, False]
    assert history[-1].spoiler_text == "cw"
    source = ada.status_source(posted)
    assert (source.text, source.spoiler_text) == ("second version", "cw")


def test_account_update_credentials(make_user: Callable[[str], Any]) -> None:
    bob = make_user("bob")
    me = bob.account_update_credentials(
        display_name="Bob B.",
        note="I build things",
        bot=True,
        fields=[("Site", "https://bob.example"), ("Pronouns", "he/him")],
        default_privacy="unlisted",
        default_language="en",
    )
    assert (me.display_name, me.bot) == ("Bob B.", True)
    assert [(f.name, f.value) for f in me.fields] == [
        ("Site", "https://bob.example"),
        ("Pronouns", "he/him"),
    ]
    assert (me.source.privacy, me.source.language) == ("unlisted", "en")
    assert bob.status_post("default visibility").visibility == "unlisted"
    with pytest.raises(mastodon.MastodonAPIError):
        bob.account_update_credentials(display_name="x" * 31)


def test_account_block_and_mute(make_user: Callable[[str], Any]) -> None:
    cy, dee, eve = make_user("cy"), make_user("dee"), make_user("eve")
    dee_id = dee.me().id
    eve_id = eve.me().id
    cy.account_follow(dee_id)
    cy.account_follow(eve_id)
    rel = cy.account_block(dee_id)
    assert (rel.blocking, rel.following) == (True, False)
    assert [a.id for a in cy.blocks()] == [dee_id]
    rel = cy.account_mute(eve_id, notifications=False, duration=3600)
    assert (rel.muting, rel.muting_notifications) == (True, False)
    assert [a.id for a in cy.mutes()] == [eve_id]
    dee.status_post("dee is blocked")
    eve.status_post("eve is muted")
    sentinel = cy.status_post("cy sentinel")
    assert _wait_for(lambda: [s.id for s in cy.timeline_home()][:1] == [sentinel.id])
    texts = [s.content for s in cy.timeline_home()]
    assert texts == ["<p>cy sentinel</p>"]
    public = [s.content for s in cy.timeline_public()]
    assert "<p>dee is blocked</p>" not in public
    assert "<p>eve is muted</p>" not in public


def test_filters_v2_create_hides_a_status(make_user: Callable[[str], Any]) -> None:
    fay, gus = make_user("fay"), make_user("gus")
    fay.account_follow(gus.me().id)
    created = fay.create_filter_v2(
        title="No football",
        context=["home"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "football", "whole_word": True}],
    )
    assert created.filter_action == "hide"
    assert [f.id for f in fay.filters_v2()] == [created.id]
    gus.status_post("Football tonight!")
    kept = gus.status_post("Chess tonight")
    assert _wait_for(lambda: bool(fay.timeline_home()))
    assert [s.id for s in fay.timeline_home()] == [kept.id]
