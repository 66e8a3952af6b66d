"""Status edits and their history on SQLite: `StatusEditStore`."""

from __future__ import annotations

from collections.abc import Sequence

from twitterdesign.reference_app.storage._records import StatusEditRecord, StatusRecord
from twitterdesign.reference_app.storage.sqlite._connection import qmarks
from twitterdesign.reference_app.storage.sqlite._statuses import SQLiteStatuses

__all__ = ["SQLiteStatusEdits"]

_EDIT_COLS = (
    "id, status_id, account_id, text, spoiler_text, sensitive, language, media_ids, created_at"
)


def _ids_text(ids: Sequence[int]) -> str:
    return " ".join(str(i) for i in ids)


class SQLiteStatusEdits(SQLiteStatuses):
    """``edit_status`` and ``status_edits`` over the shared connection."""

    def edit_status(
        self,
        edit: StatusEditRecord,
        *,
        tags: Sequence[str],
        mention_ids: Sequence[int],
        original_edit_id: int,
    ) -> StatusRecord | None:
        """Snapshot the original (first edit only), apply the edit, append it; one transaction."""
        sid = edit.status_id
        with self._tx() as conn:
            row = conn.execute(
                "SELECT account_id, text, spoiler_text, sensitive, language, created_at "
                "FROM statuses WHERE id = ?",
                (sid,),
            ).fetchone()
            if row is None:
                return None
            current_media = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM media WHERE status_id = ? ORDER BY id", (sid,)
                ).fetchall()
            ]
            if (
                conn.execute("SELECT 1 FROM status_edits WHERE status_id = ?", (sid,)).fetchone()
                is None
            ):
                conn.execute(
                    f"INSERT INTO status_edits({_EDIT_COLS}) VALUES ({qmarks(9)})",
                    (
                        original_edit_id,
                        sid,
                        row[0],
                        row[1],
                        row[2],
                        row[3],
                        row[4],
                        _ids_text(current_media),
                        row[5],
                    ),
                )
            conn.execute(
                "UPDATE statuses SET text = ?, spoiler_text = ?, sensitive = ?, language = ?, "
                "edited_at = ? WHERE id = ?",
                (
                    edit.text,
                    edit.spoiler_text,
                    int(edit.sensitive),
                    edit.language,
                    edit.created_at_ms,
                    sid,
                ),
            )
            conn.execute("DELETE FROM status_tags WHERE status_id = ?", (sid,))
            conn.executemany(
                "INSERT OR IGNORE INTO status_tags(status_id, tag) VALUES (?, ?)",
                [(sid, t) for t in tags],
            )
            conn.execute("DELETE FROM mentions WHERE status_id = ?", (sid,))
            conn.executemany(
                "INSERT OR IGNORE INTO mentions(status_id, account_id) VALUES (?, ?)",
                [(sid, a) for a in mention_ids],
            )
            kept = set(edit.media_ids)
            for media_id in current_media:
                if media_id not in kept:
                    conn.execute("UPDATE media SET status_id = NULL WHERE id = ?", (media_id,))
            for media_id in edit.media_ids:
                conn.execute(
                    "UPDATE media SET status_id = ? WHERE id = ? AND status_id IS NULL",
                    (sid, media_id),
                )
            attached = {
                r[0]
                for r in conn.execute("SELECT id FROM media WHERE status_id = ?", (sid,)).fetchall()
            }
            conn.execute(
                f"INSERT INTO status_edits({_EDIT_COLS}) VALUES ({qmarks(9)})",
                (
                    edit.id,
                    sid,
                    row[0],
                    edit.text,
                    edit.spoiler_text,
                    int(edit.sensitive),
                    edit.language,
                    _ids_text([m for m in edit.media_ids if m in attached]),
                    edit.created_at_ms,
                ),
            )
        return self.get_statuses([sid]).get(sid)

    def status_edits(self, status_id: int) -> list[StatusEditRecord]:
        """Return every stored version of a status, oldest first."""
        rows = self._q(
            f"SELECT {_EDIT_COLS} FROM status_edits WHERE status_id = ? ORDER BY id", (status_id,)
        )
        return [
            StatusEditRecord(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                bool(r[5]),
                r[6],
                tuple(int(m) for m in r[7].split()) if r[7] else (),
                r[8],
            )
            for r in rows
        ]
