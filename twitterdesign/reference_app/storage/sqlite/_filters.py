"""Content filters on SQLite: `FilterStore`."""

from __future__ import annotations

from twitterdesign.reference_app.storage._records import FilterKeywordRecord, FilterRecord
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection

__all__ = ["SQLiteFilters"]


class SQLiteFilters(SQLiteConnection):
    """`FilterStore` over the shared connection: ``filters`` and ``filter_keywords``."""

    def save_filter(self, record: FilterRecord) -> None:
        """Insert or replace a filter with exactly its keywords, in one transaction."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO filters(id, account_id, title, context, action, expires_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "title = excluded.title, context = excluded.context, "
                "action = excluded.action, expires_at = excluded.expires_at",
                (
                    record.id,
                    record.account_id,
                    record.title,
                    " ".join(record.context),
                    record.action,
                    record.expires_at_ms,
                    record.created_at_ms,
                ),
            )
            conn.execute("DELETE FROM filter_keywords WHERE filter_id = ?", (record.id,))
            conn.executemany(
                "INSERT INTO filter_keywords(id, filter_id, keyword, whole_word) "
                "VALUES (?, ?, ?, ?)",
                [(k.id, record.id, k.keyword, int(k.whole_word)) for k in record.keywords],
            )

    def filters_of(self, account_id: int) -> list[FilterRecord]:
        """Return every filter of an account with its keywords, oldest first."""
        rows = self._q(
            "SELECT id, account_id, title, context, action, expires_at, created_at "
            "FROM filters WHERE account_id = ? ORDER BY id",
            (account_id,),
        )
        keywords: dict[int, list[FilterKeywordRecord]] = {}
        for k in self._q(
            "SELECT k.filter_id, k.id, k.keyword, k.whole_word FROM filter_keywords k "
            "JOIN filters f ON f.id = k.filter_id WHERE f.account_id = ? ORDER BY k.id",
            (account_id,),
        ):
            keywords.setdefault(k[0], []).append(FilterKeywordRecord(k[1], k[2], bool(k[3])))
        return [
            FilterRecord(
                r[0],
                r[1],
                r[2],
                tuple(r[3].split()),
                r[4],
                r[5],
                r[6],
                tuple(keywords.get(r[0], ())),
            )
            for r in rows
        ]

    def delete_filter(self, account_id: int, filter_id: int) -> bool:
        """Delete a filter and its keywords; False if the account has no such filter."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM filters WHERE id = ? AND account_id = ?", (filter_id, account_id)
            )
            if cur.rowcount == 0:
                return False
            conn.execute("DELETE FROM filter_keywords WHERE filter_id = ?", (filter_id,))
            return True
