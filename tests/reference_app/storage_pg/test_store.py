"""PostgresStore: the SQLite store's tests (tests/reference_app/test_storage.py), ported,
plus every other method of the protocol on small, hand-checked data."""

from __future__ import annotations

import pytest

from tests.reference_app.storage._factories import status as make_status
from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage import (
    AppRecord,
    AuthCodeRecord,
    MediaRecord,
    NotificationRecord,
    Page,
)
from twitterdesign.reference_app.storage.postgres import PostgresStore


def _media(mid: int, account: int, sha: str = "ab" * 32) -> MediaRecord:
    return MediaRecord(mid, account, sha, "image/png", 10, 2, 3, None, None, mid)


def test_migrations_apply_once_and_reopen(store: PostgresStore, store_factory) -> None:  # type: ignore[no-untyped-def]
    store.create_user(1, "ada", "ada@example.org", "h", 0)
    version = store.schema_version()
    second = store_factory()
    assert second.schema_version() == version >= 1
    assert second.account_by_username("ADA") is not None  # case-insensitive
    assert second.integrity_ok()


def test_full_text_search_and_delete_keep_index_in_sync(store: PostgresStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_status(make_status(100, 1, text="Kafka carries the events"))
    store.create_status(make_status(101, 1, text="Manhattan stores tweets"))
    assert store.search_status_ids("kafka", None, 10) == [100]
    store.delete_status(100)
    assert store.search_status_ids("kafka", None, 10) == []
    assert store.integrity_ok()


def test_status_records_round_trip(store: PostgresStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_user(2, "bob", "b@x.org", "h", 0)
    store.add_media(_media(50, 1))
    store.add_media(_media(51, 1, "cd" * 32))
    status = make_status(100, 1, text="hi @bob #b #a", tags=("b", "a"), mention_ids=(2,))
    stored, created = store.create_status(status, media_ids=[51, 50])
    assert created
    assert stored.tags == ("a", "b")
    assert stored.mention_ids == (2,)
    assert [m.id for m in stored.media] == [50, 51]
    assert all(m.status_id == 100 for m in stored.media)
    assert store.get_media(50) == stored.media[0]
    assert store.media_by_hash("cd" * 32) == stored.media[1]
    store.update_media_description(50, "a cat")
    assert store.get_statuses([100])[100].media[0].description == "a cat"
    assert store.get_accounts([1])[1].last_status_at_ms == 100
    assert store.account_status_ids(1, Page(), visibilities=["public"], only_media=True) == [100]
    assert store.max_id() == 100
    store.delete_status(100)
    media = store.get_media(50)
    assert media is not None
    assert media.status_id is None  # unlinked, the bytes stay
    assert store.max_id() == 51


def test_graph_reads_and_pages(store: PostgresStore) -> None:
    for i in range(1, 6):
        store.create_user(i, f"u{i}", f"u{i}@x.org", "h", 0)
    for n, follower in enumerate([2, 3, 4, 5]):
        assert store.follow(follower, 1, 100 + n, 0)
    store.follow(1, 2, 200, 0)
    assert store.follows(2, 1)
    assert not store.follows(1, 3)
    assert store.following_set(1, [2, 3, 2]) == {2}
    assert store.followed_by_set(1, [2, 3, 9]) == {2, 3}
    assert sorted(store.follower_ids(1)) == [2, 3, 4, 5]
    assert store.followee_ids(1) == [2]
    assert store.followee_follower_counts(2) == {1: 4}
    assert store.followers_page(1, Page(limit=2)) == [(103, 5), (102, 4)]
    assert store.followers_page(1, Page(max_id=102, limit=2)) == [(101, 3), (100, 2)]
    assert store.followers_page(1, Page(min_id=100, limit=2)) == [(102, 4), (101, 3)]
    assert store.followers_page(1, Page(since_id=101, limit=5)) == [(103, 5), (102, 4)]
    assert store.following_page(1, Page()) == [(200, 2)]
    assert store.unfollow(2, 1)
    assert not store.unfollow(2, 1)
    accounts = store.get_accounts([1, 2])
    assert (accounts[1].followers_count, accounts[2].following_count) == (3, 0)
    assert store.integrity_ok()


def test_accounts_search_and_login(store: PostgresStore) -> None:
    store.create_user(1, "ada", "Ada@Example.org", "h1", 0)
    store.create_user(2, "adam_x", "adam@x.org", "h2", 0)
    store.create_user(3, "bob", "bob@x.org", "h3", 0)
    store.follow(3, 2, 10, 0)
    assert [a.id for a in store.search_accounts("AD", 10)] == [2, 1]  # most followed first
    assert [a.id for a in store.search_accounts("adam_", 10)] == [2]
    assert store.search_accounts("a%", 10) == []  # LIKE wildcards are literal
    assert store.login_of("ada@example.ORG") == (1, "h1")
    assert store.login_of("BOB") == (3, "h3")
    assert store.login_of("nobody") is None
    assert store.account_by_username("nobody") is None
    assert store.count_accounts() == 3


def test_engagement_sets_and_pages(store: PostgresStore) -> None:
    for i in (1, 2, 3):
        store.create_user(i, f"u{i}", f"u{i}@x.org", "h", 0)
    store.create_status(make_status(100, 1))
    store.create_status(make_status(101, 1))
    store.create_status(make_status(102, 2, text="", reblog_of_id=100))
    with pytest.raises(ConflictError, match="reblogged"):
        store.create_status(make_status(103, 2, text="", reblog_of_id=100))
    assert store.favourite(2, 101, 500, 0)
    assert store.favourite(3, 101, 501, 0)
    assert not store.favourite(3, 101, 502, 0)
    assert store.favourited_set(2, [100, 101]) == {101}
    assert store.reblogged_set(2, [100, 101]) == {100}
    assert store.interactions(2, [100, 101]) == ({101}, {100})
    assert store.interactions(2, []) == (set(), set())
    assert store.reblog_of(2, 100) == 102
    assert store.reblog_of(3, 100) is None
    assert store.favourited_by(101, Page()) == [(501, 3), (500, 2)]
    assert store.reblogged_by(100, Page()) == [(102, 2)]
    assert store.unfavourite(2, 101)
    assert not store.unfavourite(2, 101)
    assert store.get_statuses([101])[101].favourites_count == 1
    store.add_views({100: 3, 101: 2, 999: 5})
    store.add_views({100: 1})
    assert store.get_statuses([100])[100].views_count == 4
    assert store.integrity_ok()


def test_timelines(store: PostgresStore) -> None:
    for i in (1, 2, 3):
        store.create_user(i, f"u{i}", f"u{i}@x.org", "h", 0)
    store.create_status(make_status(100, 1, tags=("x",)))
    store.create_status(make_status(101, 2, visibility="private", tags=("x",)))
    store.create_status(make_status(102, 1, in_reply_to_id=101, in_reply_to_account_id=2))
    store.create_status(make_status(103, 1, in_reply_to_id=100, in_reply_to_account_id=1))
    store.create_status(make_status(104, 1, text="", reblog_of_id=100))
    store.create_status(make_status(105, 3, visibility="unlisted", tags=("X", "y")))
    vis = ["public", "unlisted", "private"]
    assert store.account_status_ids(1, Page(), visibilities=vis) == [104, 103, 102, 100]
    assert store.account_status_ids(1, Page(), visibilities=vis, exclude_replies=True) == [
        104,
        103,
        100,
    ]
    assert store.account_status_ids(1, Page(), visibilities=vis, exclude_reblogs=True) == [
        103,
        102,
        100,
    ]
    assert store.account_status_ids(1, Page(), visibilities=[]) == []
    assert store.public_status_ids(Page()) == [104, 103, 102, 100]
    assert store.public_status_ids(Page(limit=2, min_id=100)) == [103, 102]
    assert store.public_status_ids(Page(), tag="X") == [100]
    assert store.status_ids_by_authors([1, 2], Page(limit=3)) == [104, 103, 102]
    assert store.status_ids_by_authors([1, 2], Page(max_id=102)) == [101, 100]
    assert store.status_ids_by_authors([2, 3], Page(min_id=100, limit=1)) == [101]
    assert store.status_ids_by_authors([], Page()) == []
    assert store.replies_to([100, 101]) == [102, 103]
    assert store.recent_public_status_ids(101) == [102, 103]
    assert store.search_tags("", 10) == [("x", 1)]
    assert store.tag_uses_since(0, 10) == [("x", 1)]
    assert store.count_statuses() == 6


def test_notifications(store: PostgresStore) -> None:
    for nid, kind in [(1, "follow"), (2, "favourite"), (3, "mention"), (4, "favourite")]:
        store.add_notification(NotificationRecord(nid, 7, kind, 8, None, nid))
    store.add_notification(NotificationRecord(5, 9, "follow", 8, None, 5))
    assert [n.id for n in store.notifications(7, Page())] == [4, 3, 2, 1]
    assert [n.id for n in store.notifications(7, Page(), types=["favourite"])] == [4, 2]
    assert [n.id for n in store.notifications(7, Page(min_id=1, limit=2))] == [3, 2]
    assert store.notifications(7, Page(max_id=2))[0] == NotificationRecord(
        1, 7, "follow", 8, None, 1
    )
    store.clear_notifications(7)
    assert store.notifications(7, Page()) == []
    assert len(store.notifications(9, Page())) == 1


def test_apps_tokens_and_codes(store: PostgresStore) -> None:
    from twitterdesign.reference_app.storage import TokenRecord

    app = AppRecord(1, "toot", None, "urn:ietf:wg:oauth:2.0:oob", "cid", "secret", "read", 0)
    store.add_app(app)
    assert store.app_by_client_id("cid") == app
    assert store.get_app(1) == app
    assert store.get_app(2) is None
    token = TokenRecord("th", 1, 5, "read", 0)
    store.add_token(token)
    assert store.get_token("th") == token
    assert store.revoke_token("th")
    assert not store.revoke_token("nope")
    assert store.get_token("th") is None
    code = AuthCodeRecord("ch", 1, 5, "urn:x", "read", 99)
    store.add_auth_code(code)
    assert store.take_auth_code("ch", app_id=2) is None  # another app's code stays
    assert store.take_auth_code("ch", app_id=1) == code
    assert store.take_auth_code("ch", app_id=1) is None  # single use


def test_sketches(store: PostgresStore) -> None:
    assert store.load_sketch("trends/tags") is None
    store.save_sketch("trends/tags", b"\x00\x01", 1)
    store.save_sketch("trends/tags", b"\x02", 2)
    store.save_sketch("trends/statuses", b"", 2)
    store.save_sketch("trends_x", b"x", 2)
    store.save_sketch("other", b"o", 2)
    assert store.load_sketch("trends/tags") == b"\x02"
    assert store.load_sketch("trends/statuses") == b""
    assert store.sketch_names("trends/") == ["trends/statuses", "trends/tags"]
    assert store.sketch_names("trends_") == ["trends_x"]  # _ is literal


def test_outbox_logs_statuses_and_graph_changes(store: PostgresStore) -> None:
    assert store.event_head() == 0
    assert store.events_since(0, 10) == []
    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_user(2, "bob", "b@x.org", "h", 0)
    store.create_status(make_status(100, 1))
    store.follow(2, 1, 10, 5)
    store.unfollow(2, 1)
    events = store.events_since(0, 10)
    assert [(e[1], e[2]) for e in events] == [(100, 1), (None, 2), (None, 2)]
    assert [e[0] for e in events] == sorted(e[0] for e in events)
    assert store.event_head() == events[-1][0]
    assert store.events_since(events[0][0], 1) == [events[1]]
    assert store.trim_events(6) == 1  # the status (t=100) and the unfollow (now) stay
    assert [e[1] for e in store.events_since(0, 10)] == [100, None]


def test_nul_characters_are_refused_or_match_nothing(store: PostgresStore) -> None:
    from twitterdesign.errors import InvalidParameterError

    store.create_user(1, "ada", "a@x.org", "h", 0)
    with pytest.raises(InvalidParameterError, match="username"):
        store.create_user(2, "a\x00b", "b@x.org", "h", 0)
    with pytest.raises(InvalidParameterError, match="text"):
        store.create_status(make_status(100, 1, text="a\x00b"))
    assert store.account_by_username("ada\x00") is None
    assert store.login_of("\x00") is None
    assert store.search_status_ids("\x00", None, 5) == []
    assert store.search_tags("\x00", 5) == []
    assert store.get_token("\x00") is None
    assert store.load_sketch("\x00") is None
    assert store.idempotent_request(1, "\x00") is None
