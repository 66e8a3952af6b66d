"""Reading statuses back: hydration with tags, mentions and media, and reblog lookups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twitterdesign.reference_app.storage._records import MediaRecord, Page, StatusRecord
from twitterdesign.reference_app.storage.postgres._connection import Connected, page_sql
from twitterdesign.reference_app.storage.postgres._media import MEDIA_COLS

__all__ = ["STATUS_COLS", "StatusReadsMixin", "unique_ids"]

STATUS_COLS = (
    "id, account_id, text, visibility, in_reply_to_id, in_reply_to_account_id, reblog_of_id, "
    "created_at, replies_count, reblogs_count, favourites_count, views_count, "
    "spoiler_text, sensitive, language, edited_at"
)


def unique_ids(values: Iterable[int]) -> list[int]:
    """Return the distinct ids in first-seen order, as Python ints."""
    return list(dict.fromkeys(int(v) for v in values))


class StatusReadsMixin(Connected):
    """``get_statuses`` and the reads about reblogs and replies."""

    def _hydrate(self, conn: Any, ids: list[int]) -> dict[int, StatusRecord]:
        """Read statuses with their tags, mentions and media on ``conn``.

        One statement (so one snapshot, and no transaction of its own: a home page's
        statuses cost one round trip, not four); media come as a JSON array per status.
        """
        rows = conn.execute(
            f"SELECT {STATUS_COLS}, "
            "ARRAY(SELECT t.tag FROM status_tags t WHERE t.status_id = s.id ORDER BY t.tag), "
            "ARRAY(SELECT m.account_id FROM mentions m WHERE m.status_id = s.id "
            "ORDER BY m.account_id), "
            f"(SELECT json_agg(json_build_array({MEDIA_COLS}) ORDER BY d.id) "
            "FROM media d WHERE d.status_id = s.id) "
            "FROM statuses s WHERE s.id = ANY(%s::bigint[])",
            (ids,),
        ).fetchall()
        media = {int(r[0]): [MediaRecord(*m) for m in r[18]] for r in rows if r[18] is not None}
        out: dict[int, StatusRecord] = {}
        for r in rows:
            out[int(r[0])] = StatusRecord(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                tags=tuple(sorted(r[16])),
                mention_ids=tuple(sorted(int(m) for m in r[17])),
                media=tuple(media.get(int(r[0]), ())),
                spoiler_text=r[12],
                sensitive=bool(r[13]),
                language=r[14],
                edited_at_ms=None if r[15] is None else int(r[15]),
            )
        return out

    def get_statuses(self, ids: Iterable[int]) -> dict[int, StatusRecord]:
        """Return the statuses that exist among ``ids``, with tags, mentions and media.

        Tags and mentions come sorted (Python order, as the SQLite store returns them);
        media in upload (id) order.
        """
        wanted = unique_ids(ids)
        if not wanted:
            return {}
        with self._pool.connection() as conn:  # one statement: its own snapshot
            return self._hydrate(conn, wanted)

    def reblog_of(self, account_id: int, status_id: int) -> int | None:
        """Return the id of ``account_id``'s reblog of ``status_id``, if any."""
        rows = self._q(
            "SELECT id FROM statuses WHERE account_id = %s AND reblog_of_id = %s",
            (account_id, status_id),
        )
        return int(rows[0][0]) if rows else None

    def reblogged_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has reblogged."""
        wanted = unique_ids(status_ids)
        if not wanted:
            return set()
        rows = self._q(
            "SELECT reblog_of_id FROM statuses WHERE account_id = %s "
            "AND reblog_of_id = ANY(%s::bigint[])",
            (account_id, wanted),
        )
        return {int(r[0]) for r in rows}

    def reblogged_by(self, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (reblog_status_id, account_id) pairs, newest first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, account_id FROM statuses WHERE reblog_of_id = %s" + tail,
            [status_id, *params],
        )
        out = [(int(r[0]), int(r[1])) for r in rows]
        return out[::-1] if asc else out

    def replies_to(self, status_ids: Iterable[int]) -> list[int]:
        """Return ids of direct replies to any of ``status_ids``, oldest first."""
        wanted = unique_ids(status_ids)
        if not wanted:
            return []
        rows = self._q(
            "SELECT id FROM statuses WHERE in_reply_to_id = ANY(%s::bigint[]) ORDER BY id",
            (wanted,),
        )
        return [int(r[0]) for r in rows]
