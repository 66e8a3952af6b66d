"""Contract of `StatusEditStore`: an edit is one unit of work; the history is append-only."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitterdesign.reference_app.storage import Page, StatusEditRecord, Store

from ._factories import add_users, media, status


def _edit(eid: int, sid: int, author: int, text: str, **fields: object) -> StatusEditRecord:
    values: dict[str, object] = {
        "id": eid,
        "status_id": sid,
        "account_id": author,
        "text": text,
        "spoiler_text": "",
        "sensitive": False,
        "language": None,
        "media_ids": (),
        "created_at_ms": eid,
    }
    values.update(fields)
    return StatusEditRecord(**values)  # type: ignore[arg-type]


def test_first_edit_keeps_the_original_then_the_new_version(store: Store) -> None:
    add_users(store, 1, 2, 3)
    store.create_status(
        status(100, 1, text="hi @u2 #old", tags=("old",), mention_ids=(2,), spoiler_text="cw")
    )
    assert store.status_edits(100) == []
    edited = store.edit_status(
        _edit(201, 100, 1, "hello @u3 #new", sensitive=True, language="en"),
        tags=("new",),
        mention_ids=(3,),
        original_edit_id=200,
    )
    assert edited is not None
    assert (edited.text, edited.tags, edited.mention_ids) == ("hello @u3 #new", ("new",), (3,))
    assert (edited.spoiler_text, edited.sensitive, edited.language) == ("", True, "en")
    assert edited.edited_at_ms == 201
    assert store.get_statuses([100]) == {100: edited}
    history = store.status_edits(100)
    assert [(e.id, e.text, e.spoiler_text, e.created_at_ms) for e in history] == [
        (200, "hi @u2 #old", "cw", 100),  # the original, dated when it was posted
        (201, "hello @u3 #new", "", 201),
    ]
    # The tag index follows the edit: the hashtag timeline and tag search see the new one.
    assert store.public_status_ids(Page(limit=20), tag="old") == []
    assert store.public_status_ids(Page(limit=20), tag="new") == [100]


def test_edit_moves_media_and_search_follows_the_text(store: Store) -> None:
    add_users(store, 1)
    for mid in (500, 501, 502):
        store.add_media(media(mid, 1))
    store.create_status(status(100, 1, text="zebra crossing"), media_ids=[500, 501])
    edited = store.edit_status(
        _edit(201, 100, 1, "giraffe crossing", media_ids=(501, 502)),
        tags=(),
        mention_ids=(),
        original_edit_id=200,
    )
    assert edited is not None
    assert [m.id for m in edited.media] == [501, 502]
    assert store.get_media(500).status_id is None  # type: ignore[union-attr]
    assert [e.media_ids for e in store.status_edits(100)] == [(500, 501), (501, 502)]
    assert store.search_status_ids("zebra", None, 10) == []
    assert store.search_status_ids("giraffe", None, 10) == [100]


def test_editing_a_missing_status_stores_nothing(store: Store) -> None:
    add_users(store, 1)
    assert (
        store.edit_status(_edit(2, 99, 1, "x"), tags=(), mention_ids=(), original_edit_id=1) is None
    )
    assert store.status_edits(99) == []


def test_deleting_a_status_takes_its_history(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1))
    store.edit_status(_edit(201, 100, 1, "x"), tags=(), mention_ids=(), original_edit_id=200)
    store.delete_status(100)
    assert store.status_edits(100) == []


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
        min_size=1,
        max_size=5,
    )
)
def test_history_is_append_only_and_ends_with_the_current_status(
    store: Store, texts: list[str]
) -> None:
    """Property: after n edits the history has n + 1 versions, each earlier one unchanged."""
    sid = store.max_id() or 0
    sid = max(sid, 1000) + 1000
    add_users(store, sid)
    store.create_status(status(sid, sid, text="original"))
    before: list[StatusEditRecord] = []
    for n, text in enumerate(texts):
        eid = sid + 10 * (n + 1)
        store.edit_status(
            _edit(eid, sid, sid, text), tags=(), mention_ids=(), original_edit_id=eid - 1
        )
        history = store.status_edits(sid)
        assert history[: len(before)] == before  # earlier versions never change
        assert len(history) == n + 2
        current = store.get_statuses([sid])[sid]
        last = history[-1]
        assert (last.text, last.spoiler_text, last.sensitive, last.language) == (
            current.text,
            current.spoiler_text,
            current.sensitive,
            current.language,
        )
        assert last.created_at_ms == current.edited_at_ms
        before = history
    assert store.status_edits(sid)[0].text == "original"
