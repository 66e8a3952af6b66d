"""The services on their own, without HTTP: domain errors and the rules each one owns.

Routes only parse, call one of these and render, so what is checked here is what every
client sees: ownership of notifications and media, visibility of notified statuses,
relationships and follower lists.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import twitterdesign.reference_app.services as services_package
from tests.reference_app._images import png
from tests.reference_app.conftest import make_settings
from twitterdesign.errors import TwitterDesignError
from twitterdesign.reference_app.errors import (
    AppError,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
)
from twitterdesign.reference_app.services import Relationship, Services
from twitterdesign.reference_app.storage import AccountRecord, Page

MISSING = 2**62


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Services]:
    services = Services(make_settings(tmp_path))
    yield services
    services.close()


def _user(s: Services, name: str) -> AccountRecord:
    return s.accounts.register(name, f"{name}@example.org", "correct horse")


# --- domain errors, not HTTP ------------------------------------------------------------
def test_services_raise_domain_errors_not_http_errors(s: Services) -> None:
    with pytest.raises(NotFound) as missing:
        s.accounts.get(MISSING)
    assert isinstance(missing.value, AppError)
    assert isinstance(missing.value, TwitterDesignError)
    assert not hasattr(missing.value, "status_code")
    with pytest.raises(Unauthorized):
        s.accounts.authenticate("nobody", "wrong password")
    ada = _user(s, "ada")
    with pytest.raises(Unprocessable):
        s.statuses.create(ada.id, "x" * (s.statuses.max_chars + 1))
    with pytest.raises(NotFound):
        s.engagement.favourite(ada.id, MISSING)


def test_the_services_package_knows_no_http() -> None:
    """No service module imports a web framework or the API layer above it."""
    banned = ("fastapi", "starlette", "httpx", "twitterdesign.reference_app.api")
    root = Path(services_package.__file__).parent
    found = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert found == []


# --- notifications ----------------------------------------------------------------------
def test_notifications_belong_to_their_owner(s: Services) -> None:
    ada, bob, cat = _user(s, "ada"), _user(s, "bob"), _user(s, "cat")
    s.graph.follow(bob.id, ada.id)
    page = s.notifications.list_page(ada.id, Page())
    assert [(n.record.type, n.account.id) for n in page.items] == [("follow", bob.id)]
    assert page.ids == [page.items[0].record.id]
    note_id = page.items[0].record.id
    assert s.notifications.get(ada.id, note_id).account.username == "bob"
    # Nobody else can read it, nor see it in their list.
    with pytest.raises(NotFound):
        s.notifications.get(cat.id, note_id)
    with pytest.raises(NotFound):
        s.notifications.get(bob.id, note_id)
    assert s.notifications.list_page(cat.id, Page()).items == []
    # Clearing someone else's notifications clears only one's own.
    s.notifications.clear(cat.id)
    assert s.notifications.get(ada.id, note_id).record.id == note_id
    s.notifications.clear(ada.id)
    with pytest.raises(NotFound):
        s.notifications.get(ada.id, note_id)


def test_no_notification_for_oneself(s: Services) -> None:
    ada = _user(s, "ada")
    s.notifications.add(ada.id, "mention", ada.id, None)
    status = s.statuses.create(ada.id, "talking to @ada")
    s.engagement.favourite(ada.id, status.id)
    assert s.notifications.list_page(ada.id, Page()).items == []


def test_a_notification_is_hidden_with_its_status(s: Services) -> None:
    ada, bob = _user(s, "ada"), _user(s, "bob")
    s.graph.follow(ada.id, bob.id)
    secret = s.statuses.create(bob.id, "for followers, @ada", visibility="private")
    page = s.notifications.list_page(ada.id, Page())
    mention = page.items[0]
    assert mention.record.type == "mention"
    assert mention.status is not None
    assert mention.status.id == secret.id
    # Ada stops following Bob: the followers-only status, and its notification, are gone.
    s.graph.unfollow(ada.id, bob.id)
    hidden = s.notifications.list_page(ada.id, Page())
    assert hidden.items == []
    assert hidden.ids == page.ids  # pagination still moves past it
    with pytest.raises(NotFound):
        s.notifications.get(ada.id, mention.record.id)


def test_notification_type_filters(s: Services) -> None:
    ada, bob = _user(s, "ada"), _user(s, "bob")
    s.graph.follow(bob.id, ada.id)
    post = s.statuses.create(ada.id, "hello")
    s.engagement.favourite(bob.id, post.id)
    kinds = [n.record.type for n in s.notifications.list_page(ada.id, Page()).items]
    assert kinds == ["favourite", "follow"]
    only = s.notifications.list_page(ada.id, Page(), types=["follow"])
    assert [n.record.type for n in only.items] == ["follow"]
    without = s.notifications.list_page(ada.id, Page(), exclude_types=["follow"])
    assert [n.record.type for n in without.items] == ["favourite"]
    assert len(without.ids) == 1


# --- graph -------------------------------------------------------------------------------
def test_relationships_follow_and_unfollow(s: Services) -> None:
    ada, bob, cat = _user(s, "ada"), _user(s, "bob"), _user(s, "cat")
    s.graph.follow(ada.id, bob.id)
    s.graph.follow(cat.id, ada.id)
    assert s.graph.relationships(ada.id, [bob.id, cat.id, MISSING]) == [
        Relationship(bob.id, following=True, followed_by=False),
        Relationship(cat.id, following=False, followed_by=True),
        Relationship(MISSING, following=False, followed_by=False),
    ]
    s.graph.unfollow(ada.id, bob.id)
    assert s.graph.relationships(ada.id, [bob.id]) == [Relationship(bob.id, False, False)]
    assert s.graph.relationships(ada.id, []) == []


def test_follow_rules(s: Services) -> None:
    ada = _user(s, "ada")
    with pytest.raises(Unprocessable):
        s.graph.follow(ada.id, ada.id)
    with pytest.raises(NotFound):
        s.graph.follow(ada.id, MISSING)
    with pytest.raises(NotFound):
        s.graph.unfollow(ada.id, MISSING)


def test_follower_and_following_pages(s: Services) -> None:
    ada, bob, cat = _user(s, "ada"), _user(s, "bob"), _user(s, "cat")
    s.graph.follow(bob.id, ada.id)
    s.graph.follow(cat.id, ada.id)
    assert [acc for _, acc in s.graph.followers(ada.id, Page())] == [cat.id, bob.id]
    assert [acc for _, acc in s.graph.following(bob.id, Page())] == [ada.id]
    assert s.graph.following(ada.id, Page()) == []
    with pytest.raises(NotFound):
        s.graph.followers(MISSING, Page())
    with pytest.raises(NotFound):
        s.graph.following(MISSING, Page())


# --- media, accounts, statuses, search -------------------------------------------------
def test_only_the_owner_can_describe_media(s: Services) -> None:
    ada, bob = _user(s, "ada"), _user(s, "bob")
    media = s.media.upload(ada.id, png(), "before")
    with pytest.raises(NotFound):
        s.media.update_description(bob.id, media.id, "defaced")
    with pytest.raises(NotFound):
        s.media.update_description(ada.id, MISSING, "nothing")
    assert s.media.get(media.id, ada.id).description == "before"
    updated = s.media.update_description(ada.id, media.id, "after")
    assert updated.description == "after"
    assert s.media.get(media.id, ada.id).description == "after"


def test_counts_and_batch_reads(s: Services) -> None:
    assert (s.accounts.count(), s.statuses.count()) == (0, 0)
    ada, bob = _user(s, "ada"), _user(s, "bob")
    secret = s.statuses.create(ada.id, "mine", visibility="private")
    assert (s.accounts.count(), s.statuses.count()) == (2, 1)
    assert set(s.accounts.get_many([ada.id, bob.id, MISSING])) == {ada.id, bob.id}
    assert set(s.statuses.get_many([secret.id, MISSING])) == {secret.id}
    assert s.engagement.interactions(bob.id, [secret.id]) == (set(), set())
    assert s.healthy()["fanout_queue_depth"] >= 0


def test_apps_by_client_id_and_token(s: Services) -> None:
    app = s.accounts.create_app("tests", "urn:ietf:wg:oauth:2.0:oob", "read", None)
    assert s.accounts.app_by_client_id(app.client_id).id == app.id
    assert s.accounts.get_app(app.id).client_id == app.client_id
    with pytest.raises(Unauthorized):
        s.accounts.app_by_client_id("no such client")
    with pytest.raises(Unauthorized):
        s.accounts.get_app(None)
    with pytest.raises(Unauthorized):
        s.accounts.get_app(MISSING)


def test_search_status_ids_respect_visibility(s: Services) -> None:
    ada, bob = _user(s, "ada"), _user(s, "bob")
    public = s.statuses.create(ada.id, "walrus in public")
    secret = s.statuses.create(ada.id, "walrus in private", visibility="private")
    assert s.search.status_ids(bob.id, "walrus", 10) == [public.id]
    assert s.search.status_ids(None, "walrus", 10) == [public.id]
    assert set(s.search.status_ids(ada.id, "walrus", 10)) == {public.id, secret.id}
    s.graph.follow(bob.id, ada.id)
    assert set(s.search.status_ids(bob.id, "walrus", 10)) == {public.id, secret.id}


def test_engagement_rules(s: Services) -> None:
    ada, bob = _user(s, "ada"), _user(s, "bob")
    secret = s.statuses.create(ada.id, "followers only", visibility="private")
    with pytest.raises(NotFound):  # not visible to bob: as if it did not exist
        s.engagement.favourite(bob.id, secret.id)
    with pytest.raises(NotFound):
        s.engagement.favourited_by(bob.id, secret.id, Page())
    with pytest.raises(Forbidden):  # visible to its author, but never rebloggable
        s.engagement.reblog(ada.id, secret.id)
    post = s.statuses.create(ada.id, "public")
    s.engagement.favourite(bob.id, post.id)
    assert s.engagement.interactions(bob.id, [post.id]) == ({post.id}, set())
    assert [acc for _, acc in s.engagement.favourited_by(None, post.id, Page())] == [bob.id]
    wrapper = s.engagement.reblog(bob.id, post.id)
    assert wrapper.reblog_of_id == post.id
    assert [acc for _, acc in s.engagement.reblogged_by(None, post.id, Page())] == [bob.id]
    assert s.engagement.unreblog(bob.id, post.id).reblogs_count == 0
