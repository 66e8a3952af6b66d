"""Status edits and their history on PostgreSQL: `StatusEditStore`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage._records import StatusEditRecord, StatusRecord
from twitterdesign.reference_app.storage.postgres._connection import has_nul
from twitterdesign.reference_app.storage.postgres._status_reads import (
    StatusReadsMixin,
    unique_ids,
)

__all__ = ["StatusEditsMixin"]

_EDIT_COLS = (
    "id, status_id, account_id, text, spoiler_text, sensitive, language, media_ids, created_at"
)


class StatusEditsMixin(StatusReadsMixin):
    """``edit_status`` and ``status_edits``."""

    def edit_status(
        self,
        edit: StatusEditRecord,
        *,
        tags: Sequence[str],
        mention_ids: Sequence[int],
        original_edit_id: int,
    ) -> StatusRecord | None:
        """Snapshot the original (first edit only), apply the edit, append it; one transaction.

        The status row is locked first, so two concurrent edits of one status apply one
        after the other, each appending its own version.

        Raises:
            InvalidParameterError: The text, spoiler text, language or a tag holds a NUL.
        """
        for name, value in (
            ("text", edit.text),
            ("spoiler_text", edit.spoiler_text),
            ("language", edit.language),
        ):
            if has_nul(value):
                raise InvalidParameterError(name, value, "text without NUL characters")
        if any(has_nul(t) for t in tags):
            raise InvalidParameterError("tags", tuple(tags), "tags without NUL characters")
        return self._retry(
            lambda: self._edit_once(edit, list(tags), unique_ids(mention_ids), original_edit_id)
        )

    def _edit_once(
        self, edit: StatusEditRecord, tags: list[str], mentions: list[int], original_id: int
    ) -> StatusRecord | None:
        sid = edit.status_id
        with self._tx() as conn:
            row = conn.execute(
                "SELECT account_id, text, spoiler_text, sensitive, language, created_at "
                "FROM statuses WHERE id = %s FOR UPDATE",
                (sid,),
            ).fetchone()
            if row is None:
                return None
            current = [
                int(r[0])
                for r in conn.execute(
                    "SELECT id FROM media WHERE status_id = %s ORDER BY id", (sid,)
                ).fetchall()
            ]
            conn.execute(
                f"INSERT INTO status_edits({_EDIT_COLS}) "
                "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s "
                "WHERE NOT EXISTS (SELECT 1 FROM status_edits WHERE status_id = %s)",
                (original_id, sid, *row[:5], current, row[5], sid),
            )
            conn.execute(
                "UPDATE statuses SET text = %s, spoiler_text = %s, sensitive = %s, "
                "language = %s, edited_at = %s WHERE id = %s",
                (
                    edit.text,
                    edit.spoiler_text,
                    edit.sensitive,
                    edit.language,
                    edit.created_at_ms,
                    sid,
                ),
            )
            self._replace_links(conn, sid, tags, mentions)
            wanted = unique_ids(edit.media_ids)
            conn.execute(
                "UPDATE media SET status_id = NULL "
                "WHERE status_id = %s AND NOT (id = ANY(%s::bigint[]))",
                (sid, wanted),
            )
            attached = {
                int(r[0])
                for r in conn.execute(
                    "UPDATE media SET status_id = %s WHERE id = ANY(%s::bigint[]) "
                    "AND (status_id IS NULL OR status_id = %s) RETURNING id",
                    (sid, wanted, sid),
                ).fetchall()
            }
            conn.execute(
                f"INSERT INTO status_edits({_EDIT_COLS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    edit.id,
                    sid,
                    row[0],
                    edit.text,
                    edit.spoiler_text,
                    edit.sensitive,
                    edit.language,
                    [m for m in wanted if m in attached],
                    edit.created_at_ms,
                ),
            )
            return self._hydrate(conn, [sid]).get(sid)

    @staticmethod
    def _replace_links(conn: Any, sid: int, tags: list[str], mentions: list[int]) -> None:
        conn.execute("DELETE FROM status_tags WHERE status_id = %s", (sid,))
        if tags:
            conn.execute(
                "INSERT INTO status_tags(status_id, tag) "
                "SELECT %s, unnest(%s::text[]) ON CONFLICT DO NOTHING",
                (sid, list(dict.fromkeys(tags))),
            )
        conn.execute("DELETE FROM mentions WHERE status_id = %s", (sid,))
        if mentions:
            conn.execute(
                "INSERT INTO mentions(status_id, account_id) "
                "SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
                (sid, mentions),
            )

    def status_edits(self, status_id: int) -> list[StatusEditRecord]:
        """Return every stored version of a status, oldest first."""
        rows = self._q(
            f"SELECT {_EDIT_COLS} FROM status_edits WHERE status_id = %s ORDER BY id",
            (status_id,),
        )
        return [
            StatusEditRecord(
                int(r[0]),
                int(r[1]),
                int(r[2]),
                r[3],
                r[4],
                bool(r[5]),
                r[6],
                tuple(int(m) for m in r[7]),
                int(r[8]),
            )
            for r in rows
        ]
