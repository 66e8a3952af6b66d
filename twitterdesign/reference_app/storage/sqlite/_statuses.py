"""Statuses and the id lists timelines read, on SQLite: most of `StatusStore`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from twitterdesign.reference_app.storage._records import (
    COUNTED_REPLY_VISIBILITIES,
    MediaRecord,
    Page,
    StatusRecord,
)
from twitterdesign.reference_app.storage._sql import account_status_filters
from twitterdesign.reference_app.storage.sqlite._connection import (
    SQLiteConnection,
    chunks,
    page_sql,
    qmarks,
)
from twitterdesign.reference_app.storage.sqlite._media import MEDIA_COLS

__all__ = ["SQLiteStatuses"]

_STATUS_COLS = (
    "id, account_id, text, visibility, in_reply_to_id, in_reply_to_account_id, reblog_of_id, "
    "created_at, replies_count, reblogs_count, favourites_count, views_count, "
    "spoiler_text, sensitive, language, edited_at"
)


class SQLiteStatuses(SQLiteConnection):
    """Status rows, their links and counters; ``idempotent_request`` reads the keys it writes."""

    def create_status(
        self,
        status: StatusRecord,
        *,
        media_ids: Sequence[int] = (),
        idempotency_key: str | None = None,
        request_fingerprint: str = "",
    ) -> tuple[StatusRecord, bool]:
        """Insert a status with its links and counters in one transaction."""
        with self._tx() as conn:
            if idempotency_key is not None:
                row = conn.execute(
                    "SELECT status_id FROM idempotency WHERE account_id = ? AND key = ?",
                    (status.account_id, idempotency_key),
                ).fetchone()
                if row is not None:
                    existing = self.get_statuses([row[0]]).get(row[0])
                    if existing is not None:
                        return existing, False
            conn.execute(
                f"INSERT INTO statuses({_STATUS_COLS}) VALUES ({qmarks(16)})",
                (
                    status.id,
                    status.account_id,
                    status.text,
                    status.visibility,
                    status.in_reply_to_id,
                    status.in_reply_to_account_id,
                    status.reblog_of_id,
                    status.created_at_ms,
                    0,
                    0,
                    0,
                    0,
                    status.spoiler_text,
                    int(status.sensitive),
                    status.language,
                    None,
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO status_tags(status_id, tag) VALUES (?, ?)",
                [(status.id, t) for t in status.tags],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO mentions(status_id, account_id) VALUES (?, ?)",
                [(status.id, a) for a in status.mention_ids],
            )
            for media_id in media_ids:
                conn.execute(
                    "UPDATE media SET status_id = ? WHERE id = ? AND status_id IS NULL",
                    (status.id, media_id),
                )
            conn.execute(
                "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ? "
                "WHERE id = ?",
                (status.created_at_ms, status.account_id),
            )
            if (
                status.in_reply_to_id is not None
                and status.visibility in COUNTED_REPLY_VISIBILITIES
            ):
                # Followers-only and direct replies are not counted: a count must not
                # leak them.
                conn.execute(
                    "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?",
                    (status.in_reply_to_id,),
                )
            if status.reblog_of_id is not None:
                conn.execute(
                    "UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?",
                    (status.reblog_of_id,),
                )
            conn.execute(
                "INSERT INTO fanout_log(status_id, account_id, created_at) VALUES (?, ?, ?)",
                (status.id, status.account_id, status.created_at_ms),
            )
            if idempotency_key is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO idempotency"
                    "(account_id, key, status_id, created_at, fingerprint) VALUES (?, ?, ?, ?, ?)",
                    (
                        status.account_id,
                        idempotency_key,
                        status.id,
                        status.created_at_ms,
                        request_fingerprint,
                    ),
                )
            stored = self.get_statuses([status.id])[status.id]
        return stored, True

    def idempotent_request(self, account_id: int, key: str) -> tuple[StatusRecord, str] | None:
        """Return the live status an Idempotency-Key created, with the request fingerprint."""
        rows = self._q(
            "SELECT status_id, fingerprint FROM idempotency WHERE account_id = ? AND key = ?",
            (account_id, key),
        )
        if not rows:
            return None
        status = self.get_statuses([rows[0][0]]).get(rows[0][0])
        return None if status is None else (status, str(rows[0][1]))

    def delete_status(self, status_id: int) -> list[int]:
        """Delete a status and its reblogs, fixing every counter; return deleted ids."""
        with self._tx() as conn:
            reblogs = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM statuses WHERE reblog_of_id = ?", (status_id,)
                ).fetchall()
            ]
            deleted: list[int] = []
            for sid in [*reblogs, status_id]:
                row = conn.execute(
                    "SELECT account_id, in_reply_to_id, reblog_of_id, visibility FROM statuses "
                    "WHERE id = ?",
                    (sid,),
                ).fetchone()
                if row is None:
                    continue
                account_id, reply_to, reblog_of, visibility = row
                conn.execute("DELETE FROM status_tags WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM mentions WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM favourites WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM bookmarks WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM notifications WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM status_edits WHERE status_id = ?", (sid,))
                conn.execute("UPDATE media SET status_id = NULL WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM statuses WHERE id = ?", (sid,))
                conn.execute(
                    "UPDATE accounts SET statuses_count = MAX(statuses_count - 1, 0) WHERE id = ?",
                    (account_id,),
                )
                if reply_to is not None and visibility in COUNTED_REPLY_VISIBILITIES:
                    conn.execute(
                        "UPDATE statuses SET replies_count = MAX(replies_count - 1, 0) "
                        "WHERE id = ?",
                        (reply_to,),
                    )
                if reblog_of is not None:
                    conn.execute(
                        "UPDATE statuses SET reblogs_count = MAX(reblogs_count - 1, 0) "
                        "WHERE id = ?",
                        (reblog_of,),
                    )
                deleted.append(sid)
            return deleted

    def get_statuses(self, ids: Iterable[int]) -> dict[int, StatusRecord]:
        """Return the statuses that exist among ``ids``, with tags, mentions and media.

        One query per chunk of ids brings the statuses with their tags and mentions
        (correlated subqueries); media rows are read only for statuses that have some.
        """
        out: dict[int, StatusRecord] = {}
        for chunk in chunks(ids):
            rows = self._q(
                f"SELECT {_STATUS_COLS}, "
                "(SELECT group_concat(t.tag, ' ') FROM status_tags t WHERE t.status_id = s.id), "
                "(SELECT group_concat(m.account_id, ' ') FROM mentions m "
                "WHERE m.status_id = s.id), "
                "EXISTS (SELECT 1 FROM media d WHERE d.status_id = s.id) "
                f"FROM statuses s WHERE s.id IN ({qmarks(len(chunk))})",
                chunk,
            )
            with_media = [r[0] for r in rows if r[18]]
            media: dict[int, list[MediaRecord]] = {}
            if with_media:
                for mrow in self._q(
                    f"SELECT {MEDIA_COLS} FROM media WHERE status_id IN "
                    f"({qmarks(len(with_media))}) ORDER BY id",
                    with_media,
                ):
                    media.setdefault(mrow[8], []).append(MediaRecord(*mrow))
            for r in rows:
                out[r[0]] = StatusRecord(
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
                    tags=tuple(sorted(r[16].split(" "))) if r[16] else (),
                    mention_ids=tuple(sorted(int(m) for m in r[17].split(" "))) if r[17] else (),
                    media=tuple(media.get(r[0], ())),
                    spoiler_text=r[12],
                    sensitive=bool(r[13]),
                    language=r[14],
                    edited_at_ms=r[15],
                )
        return out

    def reblog_of(self, account_id: int, status_id: int) -> int | None:
        """Return the id of ``account_id``'s reblog of ``status_id``, if any."""
        rows = self._q(
            "SELECT id FROM statuses WHERE account_id = ? AND reblog_of_id = ?",
            (account_id, status_id),
        )
        return int(rows[0][0]) if rows else None

    def replies_to(self, status_ids: Iterable[int]) -> list[int]:
        """Return ids of direct replies to any of ``status_ids``."""
        out: list[int] = []
        for chunk in chunks(status_ids):
            out.extend(
                r[0]
                for r in self._q(
                    f"SELECT id FROM statuses WHERE in_reply_to_id IN ({qmarks(len(chunk))}) "
                    "ORDER BY id",
                    chunk,
                )
            )
        return out

    def add_views(self, counts: Mapping[int, int]) -> None:
        """Add view counts to statuses in one transaction."""
        if not counts:
            return
        with self._tx() as conn:
            conn.executemany(
                "UPDATE statuses SET views_count = views_count + ? WHERE id = ?",
                [(int(n), int(sid)) for sid, n in counts.items()],
            )

    def count_statuses(self) -> int:
        """Return how many statuses exist."""
        return int(self._q("SELECT COUNT(*) FROM statuses")[0][0])

    def account_status_ids(
        self,
        account_id: int,
        page: Page,
        *,
        visibilities: Sequence[str],
        exclude_replies: bool = False,
        exclude_reblogs: bool = False,
        only_media: bool = False,
    ) -> list[int]:
        """Return ids of an account's statuses with one of ``visibilities``."""
        if not visibilities:
            return []
        extra = account_status_filters(
            exclude_replies=exclude_replies,
            exclude_reblogs=exclude_reblogs,
            only_media=only_media,
        )
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            f"SELECT id FROM statuses WHERE account_id = ? AND visibility IN "
            f"({qmarks(len(visibilities))}){extra}" + tail,
            [account_id, *visibilities, *params],
        )
        out = [r[0] for r in rows]
        return out[::-1] if asc else out

    def public_status_ids(self, page: Page, *, tag: str | None = None) -> list[int]:
        """Return ids of public statuses, optionally only those with ``tag``."""
        tail, params, asc = page_sql(page, "s.id")
        if tag is None:
            rows = self._q(
                "SELECT s.id FROM statuses s WHERE s.visibility = 'public'" + tail, params
            )
        else:
            rows = self._q(
                "SELECT s.id FROM status_tags t JOIN statuses s ON s.id = t.status_id "
                "WHERE t.tag = ? AND s.visibility = 'public'" + tail,
                [tag.lower(), *params],
            )
        out = [r[0] for r in rows]
        return out[::-1] if asc else out

    def status_ids_by_authors(self, author_ids: Sequence[int], page: Page) -> list[int]:
        """Return ids of statuses (any visibility) by any of ``author_ids``."""
        out: list[int] = []
        for chunk in chunks(author_ids):
            tail, params, _ = page_sql(page, "id")
            out.extend(
                r[0]
                for r in self._q(
                    f"SELECT id FROM statuses WHERE account_id IN ({qmarks(len(chunk))})" + tail,
                    [*chunk, *params],
                )
            )
        ascending = page.min_id is not None
        out.sort(reverse=not ascending)
        out = out[: page.limit]
        return out[::-1] if ascending else out

    def recent_public_status_ids(self, since_ms: int) -> list[int]:
        """Return ids of public, non-reblog statuses created since ``since_ms``."""
        rows = self._q(
            "SELECT id FROM statuses WHERE created_at >= ? AND visibility = 'public' "
            "AND reblog_of_id IS NULL",
            (since_ms,),
        )
        return [r[0] for r in rows]
