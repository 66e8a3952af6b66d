"""Grouping of notifications on its own: Mastodon's grouped notifications rules.

Notifications are written straight into a store with ids made for chosen times, so the
12-hour windows can be crossed; the reference model below states the rules
independently of the code: favourites and reblogs of one status, and follows, group when
their times fall in the same 12-hour window (aligned to 00:00 and 12:00 UTC); a group
counts its notifications and samples its newest distinct accounts, at most 8.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.storage._factories import add_users, status
from twitterdesign.ids import Snowflake, first_id_at
from twitterdesign.reference_app.errors import NotFound
from twitterdesign.reference_app.services import NotificationService
from twitterdesign.reference_app.storage import NotificationRecord, Page, SQLiteStore

HOUR_MS = 3_600_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, a window boundary
OWNER = 1
STATUSES = (101, 102)
SENDERS = tuple(range(2, 14))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NotificationService]:
    store = SQLiteStore(tmp_path / "db.sqlite3")
    add_users(store, OWNER, *SENDERS)
    for sid in STATUSES:
        store.create_status(status(sid, OWNER))

    def hydrate(viewer: int | None, ids: list[int]) -> list[object]:
        return list(store.get_statuses(ids).values())

    yield NotificationService(store, Snowflake(0), lambda: T0, hydrate=hydrate)  # type: ignore[arg-type]
    store.close()


_seq = iter(range(1, 10**9))


def _add(
    service: NotificationService, at_ms: int, kind: str, sender: int, sid: int | None = None
) -> int:
    nid = first_id_at(at_ms) + next(_seq) % 4096
    store = service._store
    store.add_notification(NotificationRecord(nid, OWNER, kind, sender, sid, at_ms))
    return nid


def _model(notes: list[tuple[int, str, int, int | None, int]]) -> dict[tuple, dict]:
    """Expected groups keyed by (kind, status, window), from (id, kind, sender, sid, at)."""
    groups: dict[tuple, dict] = {}
    for nid, kind, sender, sid, at in sorted(notes, reverse=True):
        if kind in ("favourite", "reblog", "follow"):
            key: tuple = (kind, sid, at // (12 * HOUR_MS))
        else:
            key = ("ungrouped", nid)
        g = groups.setdefault(key, {"ids": [], "senders": []})
        g["ids"].append(nid)
        if sender not in g["senders"]:
            g["senders"].append(sender)
    return groups


def test_favourites_of_one_status_within_the_window_group(service: NotificationService) -> None:
    a = _add(service, T0 + 1 * HOUR_MS, "favourite", 2, 101)
    b = _add(service, T0 + 11 * HOUR_MS, "favourite", 3, 101)
    c = _add(service, T0 + 12 * HOUR_MS, "favourite", 4, 101)  # the next window
    d = _add(service, T0 + 2 * HOUR_MS, "favourite", 5, 102)  # another status
    e = _add(service, T0 + 3 * HOUR_MS, "reblog", 6, 101)  # another kind
    m = _add(service, T0 + 4 * HOUR_MS, "mention", 7, 101)
    page = service.list_groups(OWNER, Page(limit=40))
    got = [
        (g.notification.record.id, g.count, [x.id for x in g.sample_accounts]) for g in page.groups
    ]
    assert got == [(c, 1, [4]), (b, 2, [3, 2]), (m, 1, [7]), (e, 1, [6]), (d, 1, [5])]
    assert page.groups[1].most_recent_id == b
    assert page.groups[1].page_min_id == a
    assert page.groups[2].key == f"ungrouped-{m}"


def test_grouped_types_limits_which_kinds_group(service: NotificationService) -> None:
    _add(service, T0, "follow", 2)
    _add(service, T0 + 1, "follow", 3)
    assert [g.count for g in service.list_groups(OWNER, Page()).groups] == [1 + 1]
    ungrouped = service.list_groups(OWNER, Page(), grouped_types=["favourite"]).groups
    assert [g.count for g in ungrouped] == [1, 1]
    assert all(g.key.startswith("ungrouped-") for g in ungrouped)


def test_samples_are_the_newest_eight_distinct_accounts(service: NotificationService) -> None:
    for i, sender in enumerate([*SENDERS, 2]):
        _add(service, T0 + i * 1000, "follow", sender)
    (group,) = service.list_groups(OWNER, Page()).groups
    assert group.count == len(SENDERS) + 1
    assert [a.id for a in group.sample_accounts] == [2, 13, 12, 11, 10, 9, 8, 7]


def test_one_group_and_dismissing_it(service: NotificationService) -> None:
    _add(service, T0, "favourite", 2, 101)
    _add(service, T0 + 5, "favourite", 3, 101)
    keep = _add(service, T0 + 9, "follow", 4)
    key = service.list_groups(OWNER, Page()).groups[-1].key
    group = service.get_group(OWNER, key)
    assert group.count == 2
    assert not group.paginated
    service.dismiss_group(OWNER, key)
    assert [g.notification.record.id for g in service.list_groups(OWNER, Page()).groups] == [keep]
    with pytest.raises(NotFound):
        service.get_group(OWNER, key)
    with pytest.raises(NotFound):
        service.get_group(OWNER, "not-a-key")
    service.dismiss_group(OWNER, f"ungrouped-{keep}")  # an ungrouped key names one notification
    assert service.list_groups(OWNER, Page()).groups == []


events = st.lists(
    st.tuples(
        st.integers(0, 48 * HOUR_MS),
        st.sampled_from(["favourite", "reblog", "follow", "mention"]),
        st.sampled_from(SENDERS),
        st.sampled_from(STATUSES),
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=events, limit=st.integers(1, 7))
def test_groups_match_the_model_and_pages_cover_every_group(
    service: NotificationService, events: list[tuple[int, str, int, int]], limit: int
) -> None:
    service.clear(OWNER)
    notes = []
    for at, kind, sender, sid in events:
        sid_or_none = None if kind == "follow" else sid
        notes.append(
            (_add(service, T0 + at, kind, sender, sid_or_none), kind, sender, sid_or_none, T0 + at)
        )
    model = _model(notes)
    whole = service.list_groups(OWNER, Page(limit=80)).groups
    assert len(whole) == len(model)
    expected = sorted(model.values(), key=lambda g: -g["ids"][0])
    for g, want in zip(whole, expected, strict=True):
        assert g.most_recent_id == want["ids"][0] == g.notification.record.id
        assert g.count == len(want["ids"])
        assert [a.id for a in g.sample_accounts] == want["senders"][:8]
        assert g.page_min_id == want["ids"][-1]
    # Paging down with max_id: each page has distinct groups, pages are strictly older,
    # and together they show every group.
    seen: set[str] = set()
    cursor: int | None = None
    while True:
        page = service.list_groups(OWNER, Page(max_id=cursor, limit=limit))
        keys = [g.key for g in page.groups]
        assert len(set(keys)) == len(keys) <= limit
        if cursor is not None:
            assert all(i < cursor for i in page.ids)
        seen.update(keys)
        if len(page.ids) < limit:
            break
        cursor = min(page.ids)
    assert seen == {g.key for g in whole}
