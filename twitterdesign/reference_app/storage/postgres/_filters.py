"""Content filters on PostgreSQL: `FilterStore`."""

from __future__ import annotations

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage._records import FilterKeywordRecord, FilterRecord
from twitterdesign.reference_app.storage.postgres._connection import Connected, has_nul

__all__ = ["FiltersMixin"]


class FiltersMixin(Connected):
    """``save_filter``, ``filters_of``, ``delete_filter``."""

    def save_filter(self, record: FilterRecord) -> None:
        """Insert or replace a filter with exactly its keywords, in one transaction.

        Raises:
            InvalidParameterError: The title or a keyword holds a NUL character.
        """
        if has_nul(record.title, *(k.keyword for k in record.keywords)):
            raise InvalidParameterError("filter", record.title, "text without NUL characters")
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO filters(id, account_id, title, context, action, expires_at, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE "
                "SET title = EXCLUDED.title, context = EXCLUDED.context, "
                "action = EXCLUDED.action, expires_at = EXCLUDED.expires_at",
                (
                    record.id,
                    record.account_id,
                    record.title,
                    list(record.context),
                    record.action,
                    record.expires_at_ms,
                    record.created_at_ms,
                ),
            )
            conn.execute("DELETE FROM filter_keywords WHERE filter_id = %s", (record.id,))
            if record.keywords:
                conn.execute(
                    "INSERT INTO filter_keywords(id, filter_id, keyword, whole_word) "
                    "SELECT k.id, %s, k.keyword, k.whole_word FROM unnest("
                    "%s::bigint[], %s::text[], %s::boolean[]) AS k(id, keyword, whole_word)",
                    (
                        record.id,
                        [k.id for k in record.keywords],
                        [k.keyword for k in record.keywords],
                        [k.whole_word for k in record.keywords],
                    ),
                )

    def filters_of(self, account_id: int) -> list[FilterRecord]:
        """Return every filter of an account with its keywords, oldest first."""
        rows = self._q(
            "SELECT f.id, f.account_id, f.title, f.context, f.action, f.expires_at, "
            "f.created_at, COALESCE((SELECT array_agg(ARRAY[k.id::text, k.keyword, "
            "k.whole_word::text] ORDER BY k.id) FROM filter_keywords k "
            "WHERE k.filter_id = f.id), '{}') FROM filters f WHERE f.account_id = %s "
            "ORDER BY f.id",
            (account_id,),
        )
        return [
            FilterRecord(
                int(r[0]),
                int(r[1]),
                r[2],
                tuple(r[3]),
                r[4],
                None if r[5] is None else int(r[5]),
                int(r[6]),
                tuple(FilterKeywordRecord(int(k[0]), k[1], k[2] == "true") for k in r[7]),
            )
            for r in rows
        ]

    def delete_filter(self, account_id: int, filter_id: int) -> bool:
        """Delete a filter and its keywords; False if the account has no such filter."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM filters WHERE id = %s AND account_id = %s", (filter_id, account_id)
            )
            if not cur.rowcount:
                return False
            conn.execute("DELETE FROM filter_keywords WHERE filter_id = %s", (filter_id,))
            return True
