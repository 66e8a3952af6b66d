"""Notifications: one row per event, paged newest first per account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twitterdesign.reference_app.storage._records import NotificationRecord, Page, row_of
from twitterdesign.reference_app.storage.postgres._connection import Connected, page_sql

__all__ = ["NotificationsMixin"]


class NotificationsMixin(Connected):
    """Notifications."""

    def add_notification(self, note: NotificationRecord) -> None:
        """Store a notification."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO notifications(id, account_id, type, from_account_id, status_id, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                row_of(note),
            )

    def notifications(
        self, account_id: int, page: Page, *, types: Sequence[str] | None = None
    ) -> list[NotificationRecord]:
        """Return an account's notifications, newest first.

        Plan on 50k rows: ``Index Scan Backward using notifications_by_account``.
        """
        tail, params, asc = page_sql(page, "id")
        extra, extra_params = "", []
        if types:
            extra = " AND type = ANY(%s::text[])"
            extra_params = [[t.replace("\x00", "") for t in types]]
        query_params: list[Any] = [account_id, *extra_params, *params]
        rows = self._q(
            "SELECT id, account_id, type, from_account_id, status_id, created_at "
            "FROM notifications WHERE account_id = %s" + extra + tail,
            query_params,
        )
        out = [NotificationRecord(*r) for r in rows]
        return out[::-1] if asc else out

    def clear_notifications(self, account_id: int) -> None:
        """Delete every notification of an account."""
        with self._tx() as conn:
            conn.execute("DELETE FROM notifications WHERE account_id = %s", (account_id,))

    def dismiss_notifications(self, account_id: int, ids: Sequence[int]) -> None:
        """Delete the account's notifications with these ids (others' ids are ignored)."""
        if not ids:
            return
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM notifications WHERE account_id = %s AND id = ANY(%s)",
                (account_id, list(ids)),
            )
