"""Contract of `FilterStore`: a filter is saved whole with exactly its keywords."""

from __future__ import annotations

from twitterdesign.reference_app.storage import FilterKeywordRecord, FilterRecord, Store

from ._factories import add_users


def _filter(
    fid: int, account: int, *keywords: FilterKeywordRecord, **fields: object
) -> FilterRecord:
    values: dict[str, object] = {
        "id": fid,
        "account_id": account,
        "title": f"filter {fid}",
        "context": ("home", "public"),
        "action": "warn",
        "expires_at_ms": None,
        "created_at_ms": fid,
        "keywords": keywords,
    }
    values.update(fields)
    return FilterRecord(**values)  # type: ignore[arg-type]


def test_saved_filters_read_back_oldest_first_per_account(store: Store) -> None:
    add_users(store, 1, 2)
    a = _filter(
        10, 1, FilterKeywordRecord(11, "Spoiler", True), FilterKeywordRecord(12, "ünï", False)
    )
    b = _filter(20, 1, action="hide", context=("thread",), expires_at_ms=99)
    c = _filter(30, 2, FilterKeywordRecord(31, "other", False))
    for f in (b, a, c):
        store.save_filter(f)
    assert store.filters_of(1) == [a, b]
    assert store.filters_of(2) == [c]
    assert store.filters_of(3) == []


def test_saving_again_replaces_fields_and_the_keyword_list(store: Store) -> None:
    add_users(store, 1)
    store.save_filter(
        _filter(10, 1, FilterKeywordRecord(11, "a", True), FilterKeywordRecord(12, "b", False))
    )
    changed = _filter(
        10,
        1,
        FilterKeywordRecord(12, "b2", True),
        FilterKeywordRecord(13, "c", False),
        title="renamed",
        action="hide",
        context=("notifications",),
        expires_at_ms=5,
    )
    store.save_filter(changed)
    assert store.filters_of(1) == [changed]


def test_delete_filter_only_the_owners(store: Store) -> None:
    add_users(store, 1, 2)
    store.save_filter(_filter(10, 1, FilterKeywordRecord(11, "a", True)))
    assert not store.delete_filter(2, 10)
    assert store.delete_filter(1, 10)
    assert not store.delete_filter(1, 10)
    assert store.filters_of(1) == []
    # Its keyword ids are free again: nothing of it is left behind.
    store.save_filter(_filter(40, 1, FilterKeywordRecord(11, "again", False)))
    assert [k.keyword for k in store.filters_of(1)[0].keywords] == ["again"]
