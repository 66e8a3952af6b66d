"""Notifications: who followed, favourited, reblogged or mentioned an account.

A notification belongs to the account it was sent to: only that account lists, reads or
clears it. It is shown only while the status it is about (if any) is still visible to its
owner — a followers-only status whose author the owner no longer follows, or a deleted
one, takes its notification out of sight — and while the account it is from exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import NotFound
from twitterdesign.reference_app.services.notification_groups import (
    GroupPage,
    NotificationGroup,
    NotificationGrouper,
)
from twitterdesign.reference_app.storage import (
    AccountRecord,
    NotificationRecord,
    Page,
    StatusRecord,
    Store,
)

__all__ = ["Notification", "NotificationPage", "NotificationService"]

Hydrate = Callable[[int | None, Sequence[int]], list[StatusRecord]]
"""``(viewer, status ids) -> the statuses viewer may see``, as `StatusService.hydrate`."""


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification its owner may see, with the account it is from and its status."""

    record: NotificationRecord
    account: AccountRecord
    status: StatusRecord | None


@dataclass(frozen=True, slots=True)
class NotificationPage:
    """One page of notifications.

    ``ids`` are those of every notification the page read (after the type filters), so
    pagination cursors move past notifications that are hidden; ``items`` are the ones
    the owner may see, newest first.
    """

    items: list[Notification]
    ids: list[int]


class NotificationService:
    """Store notifications and show each only to its owner, only while it is visible.

    Args:
        store: Persistence.
        ids: Snowflake id generator.
        clock_ms: Current Unix time in milliseconds.
        hydrate: Loads statuses by id and drops those the viewer may not see.
        hidden_accounts: The accounts whose notifications an owner never sees (blocks
            either way, mutes of notifications); None hides none.
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        clock_ms: Callable[[], int],
        *,
        hydrate: Hydrate,
        hidden_accounts: Callable[[int], frozenset[int]] | None = None,
    ) -> None:
        self._store = store
        self._ids = ids
        self._now = clock_ms
        self._hydrate = hydrate
        self._hidden_accounts = hidden_accounts
        self.status_filter: Callable[[int, list[StatusRecord]], list[StatusRecord]] | None = None
        """Drops the statuses an owner's ``hide`` filters of notifications match (and so
        the notifications about them); None drops none."""
        # Called with (notification id, owner) after each one is stored (streaming).
        self.on_added: Callable[[int, int], None] | None = None
        self.groups = NotificationGrouper(store, ids, self._visible)

    def add(self, account_id: int, kind: str, from_id: int, status_id: int | None) -> None:
        """Store a notification of ``kind`` for ``account_id`` (never for oneself)."""
        if account_id == from_id:
            return
        notification_id = self._ids.next_id()
        self._store.add_notification(
            NotificationRecord(notification_id, account_id, kind, from_id, status_id, self._now())
        )
        if self.on_added is not None:
            self.on_added(notification_id, account_id)

    def list_page(
        self,
        owner: int,
        page: Page,
        *,
        types: Sequence[str] | None = None,
        exclude_types: Sequence[str] = (),
    ) -> NotificationPage:
        """Return a page of ``owner``'s notifications, newest first.

        Args:
            owner: The account whose notifications these are (the caller).
            page: Cursors and limit.
            types: Only these kinds (``follow``, ``favourite``, ``reblog``, ``mention``).
            exclude_types: Not these kinds.
        """
        records = self._store.notifications(owner, page, types=types)
        excluded = set(exclude_types)
        records = [n for n in records if n.type not in excluded]
        return NotificationPage(self._visible(owner, records), [n.id for n in records])

    def get(self, owner: int, notification_id: int) -> Notification:
        """Return one of ``owner``'s notifications.

        Raises:
            NotFound: It does not exist, belongs to another account, or is not visible.
        """
        # The oldest notification from ``wanted`` on (``wanted + 1`` overflows int64 at the top).
        records = self._store.notifications(owner, Page(min_id=notification_id - 1, limit=1))
        found = self._visible(owner, [n for n in records if n.id == notification_id])
        if not found:
            raise NotFound("Record not found")
        return found[0]

    def list_groups(
        self,
        owner: int,
        page: Page,
        *,
        types: Sequence[str] | None = None,
        exclude_types: Sequence[str] = (),
        grouped_types: Sequence[str] | None = None,
    ) -> GroupPage:
        """Return a page of ``owner``'s notification groups (see `NotificationGrouper.page`)."""
        return self.groups.page(
            owner, page, types=types, exclude_types=exclude_types, grouped_types=grouped_types
        )

    def get_group(self, owner: int, key: str) -> NotificationGroup:
        """Return one of ``owner``'s notification groups.

        Raises:
            NotFound: No visible notification of ``owner`` has that group key.
        """
        return self.groups.get(owner, key)

    def dismiss_group(self, owner: int, key: str) -> None:
        """Delete every notification of ``owner``'s group ``key``."""
        self.groups.dismiss(owner, key)

    def clear(self, owner: int) -> None:
        """Delete every notification of ``owner``."""
        self._store.clear_notifications(owner)

    def _visible(self, owner: int, records: Sequence[NotificationRecord]) -> list[Notification]:
        if records and self._hidden_accounts is not None:
            hidden = self._hidden_accounts(owner)
            records = [n for n in records if n.from_account_id not in hidden]
        accounts = self._store.get_accounts({n.from_account_id for n in records})
        status_ids = [n.status_id for n in records if n.status_id is not None]
        shown = self._hydrate(owner, status_ids)
        if self.status_filter is not None and shown:
            shown = self.status_filter(owner, shown)
        statuses = {s.id: s for s in shown}
        out: list[Notification] = []
        for n in records:
            account = accounts.get(n.from_account_id)
            if account is None:
                continue
            status = statuses.get(n.status_id) if n.status_id is not None else None
            if n.status_id is not None and status is None:
                continue
            out.append(Notification(n, account, status))
        return out
