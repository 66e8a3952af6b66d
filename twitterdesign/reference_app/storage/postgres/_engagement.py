"""Favourites and the viewer's interaction flags (favourited? reblogged?)."""

from __future__ import annotations

from collections.abc import Iterable

from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage.postgres._connection import page_sql
from twitterdesign.reference_app.storage.postgres._counters import CountersMixin
from twitterdesign.reference_app.storage.postgres._status_reads import unique_ids

__all__ = ["EngagementMixin"]


class EngagementMixin(CountersMixin):
    """``favourite``, ``unfavourite``, ``favourited_by`` and the viewer's flags."""

    def favourite(self, account_id: int, status_id: int, fav_id: int, now_ms: int) -> bool:
        """Add a favourite and bump the counter; return False if it existed.

        Exact under concurrency: a duplicate waits on the unique index and does nothing,
        and ``favourites_count + 1`` is applied to the latest row version under its lock
        — or, with ``deferred_counters``, logged to the counter outbox (no row lock).
        """
        return self._retry(lambda: self._favourite_once(account_id, status_id, fav_id, now_ms))

    def _favourite_once(self, account_id: int, status_id: int, fav_id: int, now_ms: int) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO favourites(id, account_id, status_id, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id, status_id) DO NOTHING",
                (fav_id, account_id, status_id, now_ms),
            )
            if cur.rowcount == 0:
                return False
            if self.deferred_counters:
                key = f"fav:{account_id}:{status_id}:{fav_id}:+"
                self._log_counter_events(conn, [(key, status_id, "favourites", 1)])
                return True
            conn.execute(
                "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = %s",
                (status_id,),
            )
            return True

    def unfavourite(self, account_id: int, status_id: int) -> bool:
        """Remove a favourite and decrement the counter; return False if there was none."""
        return self._retry(lambda: self._unfavourite_once(account_id, status_id))

    def _unfavourite_once(self, account_id: int, status_id: int) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                "DELETE FROM favourites WHERE account_id = %s AND status_id = %s RETURNING id",
                (account_id, status_id),
            ).fetchone()
            if row is None:
                return False
            if self.deferred_counters:
                key = f"fav:{account_id}:{status_id}:{int(row[0])}:-"
                self._log_counter_events(conn, [(key, status_id, "favourites", -1)])
                return True
            conn.execute(
                "UPDATE statuses SET favourites_count = GREATEST(favourites_count - 1, 0) "
                "WHERE id = %s",
                (status_id,),
            )
            return True

    def favourited_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has favourited."""
        wanted = unique_ids(status_ids)
        if not wanted:
            return set()
        rows = self._q(
            "SELECT status_id FROM favourites WHERE account_id = %s "
            "AND status_id = ANY(%s::bigint[])",
            (account_id, wanted),
        )
        return {int(r[0]) for r in rows}

    def interactions(self, account_id: int, status_ids: Iterable[int]) -> tuple[set[int], set[int]]:
        """Return (favourited, reblogged): which of ``status_ids`` the account has each."""
        wanted = unique_ids(status_ids)
        faved: set[int] = set()
        reblogged: set[int] = set()
        if not wanted:
            return faved, reblogged
        for kind, sid in self._q(
            "SELECT 0, status_id FROM favourites WHERE account_id = %(a)s "
            "AND status_id = ANY(%(ids)s::bigint[]) UNION ALL "
            "SELECT 1, reblog_of_id FROM statuses WHERE account_id = %(a)s "
            "AND reblog_of_id = ANY(%(ids)s::bigint[])",
            {"a": account_id, "ids": wanted},
        ):
            (reblogged if kind else faved).add(int(sid))
        return faved, reblogged

    def favourited_by(self, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (favourite_id, account_id) pairs, newest first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, account_id FROM favourites WHERE status_id = %s" + tail,
            [status_id, *params],
        )
        out = [(int(r[0]), int(r[1])) for r in rows]
        return out[::-1] if asc else out
