"""PostgresStore offers the `Store` protocol's methods with the same signatures, and its
consistency check finds real damage."""

from __future__ import annotations

import inspect

import pytest

from tests.reference_app.storage._factories import status as make_status
from twitterdesign.reference_app.storage import Store
from twitterdesign.reference_app.storage.postgres import PostgresStore

# The blob methods are being renamed to sketches in the protocol (same signatures).
RENAMED = {"save_blob": "save_sketch", "load_blob": "load_sketch", "blob_names": "sketch_names"}
PROTOCOL_METHODS = sorted(
    name for name, member in vars(Store).items() if callable(member) and not name.startswith("_")
)


@pytest.mark.parametrize("name", PROTOCOL_METHODS)
def test_every_protocol_method_exists_with_the_same_signature(name: str) -> None:
    ours = getattr(PostgresStore, RENAMED.get(name, name), None)
    assert ours is not None, f"PostgresStore lacks {RENAMED.get(name, name)}"
    expected = inspect.signature(getattr(Store, name))
    got = inspect.signature(ours)
    assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == [
        (p.name, p.kind, p.default) for p in expected.parameters.values()
    ]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("UPDATE accounts SET followers_count = 7 WHERE id = 1", "followers_count"),
        ("UPDATE accounts SET statuses_count = 0 WHERE id = 1", "statuses_count"),
        ("UPDATE statuses SET favourites_count = 3 WHERE id = 100", "favourites_count"),
        ("UPDATE statuses SET replies_count = 0 WHERE id = 100", "replies_count"),
        ("DELETE FROM statuses WHERE id = 102", "reblogs_count"),
        ("UPDATE media SET status_id = 999 WHERE id = 50", "media"),
        ("DELETE FROM users WHERE account_id = 2", "no login"),
        ("INSERT INTO status_tags VALUES (999, 'x')", "tag or mention"),
    ],
)
def test_the_consistency_check_finds_damage(
    store: PostgresStore, damage: str, message: str
) -> None:
    from twitterdesign.reference_app.storage import MediaRecord

    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_user(2, "bob", "b@x.org", "h", 0)
    store.add_media(MediaRecord(50, 1, "ab" * 32, "image/png", 1, None, None, None, None, 0))
    store.create_status(make_status(100, 1), media_ids=[50])
    store.create_status(make_status(101, 2, in_reply_to_id=100, in_reply_to_account_id=1))
    store.create_status(make_status(102, 2, "", reblog_of_id=100))
    store.follow(2, 1, 10, 0)
    store._check()
    with store._tx() as conn:
        conn.execute(damage)
    assert not store.integrity_ok()
    assert any(message in p for p in store.integrity_problems()), store.integrity_problems()
    with pytest.raises(AssertionError, match=message):
        store._check()
