"""Grouped notifications (Mastodon 4.3's ``/api/v2/notifications``).

Favourites and reblogs of one status, and follows, that arrive within one 12-hour window
share a group key; every other notification is a group of its own (``ungrouped-<id>``).
A page holds at most one notification per group, the newest of the page's range, and
each group reports how many notifications it has up to the top of the page, the newest
of them, up to eight sample accounts, and the span it covers within the page.

One deliberate difference from Mastodon: Mastodon anchors a group's 12 hours at its
first notification and remembers the anchor in Redis; here the 12-hour windows are
aligned to the clock (00:00 and 12:00 UTC of the notification id's time). A group still
spans at most 12 hours, and its key is a function of the notification alone, so it needs
no extra column or shared state, and a window maps to a range of Snowflake ids that one
indexed read finds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twitterdesign.ids import Snowflake, first_id_at
from twitterdesign.reference_app.errors import NotFound
from twitterdesign.reference_app.storage import (
    AccountRecord,
    NotificationRecord,
    Page,
    Store,
)

if TYPE_CHECKING:
    from twitterdesign.reference_app.services.notifications import Notification

    Visible = Callable[[int, Sequence[NotificationRecord]], list[Notification]]
    """``(owner, records) -> notifications`` for the records the owner may see."""

__all__ = [
    "GROUPABLE_TYPES",
    "MAXIMUM_GROUP_SPAN_HOURS",
    "SAMPLE_ACCOUNTS_SIZE",
    "GroupPage",
    "NotificationGroup",
    "NotificationGrouper",
]

GROUPABLE_TYPES = ("favourite", "reblog", "follow")
"""Kinds that group (Mastodon's ``GROUPABLE_NOTIFICATION_TYPES``)."""

MAXIMUM_GROUP_SPAN_HOURS = 12
"""The longest time one group spans (Mastodon's ``MAXIMUM_GROUP_SPAN_HOURS``)."""

SAMPLE_ACCOUNTS_SIZE = 8
"""Most sample accounts per group (Mastodon's ``SAMPLE_ACCOUNTS_SIZE``)."""

_HOUR_MS = 3_600_000
_BATCH = 200
_KEY = re.compile(r"^(?:(favourite|reblog)-(\d{1,19})|(follow))-(\d{1,12})$")


@dataclass(frozen=True, slots=True)
class NotificationGroup:
    """One group of a page: the page's notification for it and the group's summary.

    Attributes:
        key: The group key (``ungrouped-<id>`` for a notification that does not group).
        notification: The notification standing for the group on this page, with its
            account and status.
        count: Notifications in the group up to the top of the page.
        most_recent_id: The newest of them.
        sample_accounts: The accounts of the newest ones, newest first, distinct, at most 8.
        page_min_id: The oldest notification of the group within the page's range.
        latest_at_ms: When the newest notification of the group up to the page's top was
            made (Unix milliseconds).
        paginated: Whether the page fields apply (a list page; not a single group).
    """

    key: str
    notification: Notification
    count: int
    most_recent_id: int
    sample_accounts: list[AccountRecord]
    page_min_id: int
    latest_at_ms: int
    paginated: bool


@dataclass(frozen=True, slots=True)
class GroupPage:
    """A page of groups, newest first, and the ids of the notifications standing for them."""

    groups: list[NotificationGroup]
    ids: list[int]


class NotificationGrouper:
    """Group an account's notifications as Mastodon's grouped notifications API does.

    Args:
        store: Persistence.
        ids: The Snowflake generator the notification ids came from (for their times).
        visible: Keeps the notifications their owner may see, with their statuses.
    """

    def __init__(self, store: Store, ids: Snowflake, visible: Visible) -> None:
        self._store = store
        self._ids = ids
        self._visible = visible

    def key_of(self, note: NotificationRecord, grouped: frozenset[str]) -> str:
        """Return the group key of ``note`` when the kinds in ``grouped`` group."""
        if note.type not in grouped or note.type not in GROUPABLE_TYPES:
            return f"ungrouped-{note.id}"
        if note.type != "follow" and note.status_id is None:
            return f"ungrouped-{note.id}"
        hour = self._ids.decode(note.id).timestamp_ms // _HOUR_MS
        bucket = hour - hour % MAXIMUM_GROUP_SPAN_HOURS
        if note.type == "follow":
            return f"follow-{bucket}"
        return f"{note.type}-{note.status_id}-{bucket}"

    def page(
        self,
        owner: int,
        page: Page,
        *,
        types: Sequence[str] | None = None,
        exclude_types: Sequence[str] = (),
        grouped_types: Sequence[str] | None = None,
    ) -> GroupPage:
        """Return up to ``page.limit`` groups of ``owner``'s notifications, newest first.

        Without ``min_id`` the page has the newest groups below ``max_id`` (and above
        ``since_id``); with it, the groups right after ``min_id``. Each group appears
        once, standing for it the newest (oldest, with ``min_id``) notification of the
        range read; its count and samples cover the group up to the page's newest id.
        """
        grouped = frozenset(grouped_types if grouped_types else GROUPABLE_TYPES)
        ascending = page.min_id is not None
        picked = self._scan(owner, page, types, frozenset(exclude_types), grouped)
        if ascending:
            picked.reverse()
        if not picked:
            return GroupPage([], [])
        top, bottom = picked[0][0].record.id, picked[-1][0].record.id
        # A short page is the last one: its range reaches to the request's own bound.
        begin: int | None = bottom
        end: int | None = top
        if len(picked) < page.limit:
            if ascending:
                end = None if page.max_id is None else page.max_id - 1
            else:
                begin = None if page.since_id is None else page.since_id + 1
        groups = [self._group(owner, n, key, begin, end, paginated=True) for n, key in picked]
        return GroupPage(groups, [n.record.id for n, _ in picked])

    def get(self, owner: int, key: str) -> NotificationGroup:
        """Return ``owner``'s group ``key`` as a whole (no page fields).

        Raises:
            NotFound: The key is malformed or no visible notification of the owner has it.
        """
        members = self._members(owner, key)
        seen = self._visible(owner, members[:1])
        if not seen:
            raise NotFound("Record not found")
        return self._group(owner, seen[0], key, None, None, paginated=False)

    def dismiss(self, owner: int, key: str) -> None:
        """Delete every notification of ``owner``'s group ``key`` (none: nothing happens)."""
        ids = [n.id for n in self._members(owner, key)]
        self._store.dismiss_notifications(owner, ids)

    def _scan(
        self,
        owner: int,
        page: Page,
        types: Sequence[str] | None,
        excluded: frozenset[str],
        grouped: frozenset[str],
    ) -> list[tuple[Notification, str]]:
        ascending = page.min_id is not None
        cursor = Page(max_id=page.max_id, since_id=page.since_id, min_id=page.min_id, limit=_BATCH)
        picked: list[tuple[Notification, str]] = []
        keys: set[str] = set()
        while True:
            batch = self._store.notifications(owner, cursor, types=types)
            ordered = batch[::-1] if ascending else batch
            kept = [n for n in ordered if n.type not in excluded]
            for found in self._visible(owner, kept):
                key = self.key_of(found.record, grouped)
                if key not in keys:
                    keys.add(key)
                    picked.append((found, key))
                    if len(picked) == page.limit:
                        return picked
            if len(batch) < _BATCH:
                return picked
            if ascending:
                cursor = Page(min_id=batch[0].id, max_id=page.max_id, limit=_BATCH)
            else:
                cursor = Page(max_id=batch[-1].id, since_id=page.since_id, limit=_BATCH)

    def _group(
        self,
        owner: int,
        found: Notification,
        key: str,
        begin: int | None,
        end: int | None,
        *,
        paginated: bool,
    ) -> NotificationGroup:
        note = found.record
        if key.startswith("ungrouped-"):
            return NotificationGroup(
                key, found, 1, note.id, [found.account], note.id, note.created_at_ms, paginated
            )
        members = [n for n in self._members(owner, key) if end is None or n.id <= end]
        accounts = self._store.get_accounts({n.from_account_id for n in members})
        members = [n for n in members if n.from_account_id in accounts] or [note]
        newest = members[0]
        in_page = [n.id for n in members if begin is None or n.id >= begin]
        samples: list[AccountRecord] = []
        for n in members:
            account = accounts.get(n.from_account_id)
            if account is not None and all(a.id != account.id for a in samples):
                samples.append(account)
                if len(samples) == SAMPLE_ACCOUNTS_SIZE:
                    break
        return NotificationGroup(
            key,
            found,
            len(members),
            newest.id,
            samples,
            min(in_page) if in_page else note.id,
            newest.created_at_ms,
            paginated,
        )

    def _members(self, owner: int, key: str) -> list[NotificationRecord]:
        """Every notification of ``owner`` with group key ``key``, newest first."""
        if key.startswith("ungrouped-"):
            raw = key.removeprefix("ungrouped-")
            if not raw.isdigit() or len(raw) > 19:
                return []
            wanted = int(raw)
            found = self._store.notifications(owner, Page(min_id=wanted - 1, limit=1))
            return [n for n in found if n.id == wanted]
        match = _KEY.match(key)
        if match is None:
            return []
        kind = match.group(1) or "follow"
        status_id = int(match.group(2)) if match.group(2) else None
        bucket = int(match.group(4))
        epoch = self._ids.epoch_ms
        try:
            low = first_id_at(bucket * _HOUR_MS, epoch_ms=epoch)
            high = first_id_at((bucket + MAXIMUM_GROUP_SPAN_HOURS) * _HOUR_MS, epoch_ms=epoch)
        except ValueError:
            return []
        out: list[NotificationRecord] = []
        cursor = Page(max_id=high, since_id=low - 1, limit=_BATCH)
        while True:
            batch = self._store.notifications(owner, cursor, types=[kind])
            out.extend(n for n in batch if n.status_id == status_id)
            if len(batch) < _BATCH:
                return out
            cursor = Page(max_id=batch[-1].id, since_id=low - 1, limit=_BATCH)
