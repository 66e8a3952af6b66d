"""Notifications on SQLite: `NotificationStore`."""

from __future__ import annotations

from collections.abc import Sequence

from twitterdesign.reference_app.storage._records import NotificationRecord, Page, row_of
from twitterdesign.reference_app.storage.sqlite._connection import (
    SQLiteConnection,
    page_sql,
    qmarks,
)

__all__ = ["SQLiteNotifications"]


class SQLiteNotifications(SQLiteConnection):
    """`NotificationStore` over the shared connection: the ``notifications`` table."""

    def add_notification(self, note: NotificationRecord) -> None:
        """Store a notification."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO notifications(id, account_id, type, from_account_id, status_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                row_of(note),
            )

    def notifications(
        self, account_id: int, page: Page, *, types: Sequence[str] | None = None
    ) -> list[NotificationRecord]:
        """Return an account's notifications, newest first."""
        tail, params, asc = page_sql(page, "id")
        extra, extra_params = "", []
        if types:
            extra = f" AND type IN ({qmarks(len(types))})"
            extra_params = list(types)
        rows = self._q(
            "SELECT id, account_id, type, from_account_id, status_id, created_at "
            "FROM notifications WHERE account_id = ?" + extra + tail,
            [account_id, *extra_params, *params],
        )
        out = [NotificationRecord(*r) for r in rows]
        return out[::-1] if asc else out

    def clear_notifications(self, account_id: int) -> None:
        """Delete every notification of an account."""
        with self._tx() as conn:
            conn.execute("DELETE FROM notifications WHERE account_id = ?", (account_id,))

    def dismiss_notifications(self, account_id: int, ids: Sequence[int]) -> None:
        """Delete the account's notifications with these ids (others' ids are ignored)."""
        if not ids:
            return
        with self._tx() as conn:
            conn.execute(
                f"DELETE FROM notifications WHERE account_id = ? AND id IN ({qmarks(len(ids))})",
                [account_id, *ids],
            )
