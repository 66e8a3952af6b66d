"""Posting and deleting statuses: each one unit of work with every counter it moves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage._records import COUNTED_REPLY_VISIBILITIES, StatusRecord
from twitterdesign.reference_app.storage.postgres._connection import has_nul
from twitterdesign.reference_app.storage.postgres._counters import CountersMixin
from twitterdesign.reference_app.storage.postgres._idempotency import IdempotencyMixin
from twitterdesign.reference_app.storage.postgres._outbox import OutboxMixin
from twitterdesign.reference_app.storage.postgres._status_reads import STATUS_COLS, unique_ids

__all__ = ["StatusesMixin"]


def _lock_in_id_order(conn: Any, table: str, ids: Sequence[int]) -> None:
    """Row-lock ``ids`` of ``table`` in ascending id order (a fixed order cannot deadlock).

    An UPDATE joined to a list locks rows in whatever order its plan meets them, which
    need not be the same in two concurrent transactions; ``ORDER BY ... FOR UPDATE`` is.
    """
    conn.execute(
        f"SELECT id FROM {table} WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
        (sorted(ids),),
    )


def _subtract_counts(conn: Any, table: str, column: str, deltas: Mapping[int, int]) -> None:
    """Subtract ``deltas[id]`` from ``column`` (never below 0), rows locked in id order."""
    if not deltas:
        return
    ids = sorted(deltas)
    _lock_in_id_order(conn, table, ids)
    conn.execute(
        f"UPDATE {table} t SET {column} = GREATEST(t.{column} - d.n, 0) "
        "FROM unnest(%s::bigint[], %s::int[]) AS d(id, n) WHERE t.id = d.id",
        (ids, [deltas[i] for i in ids]),
    )


@dataclass(frozen=True, slots=True)
class _Deleted:
    """What a deleted status's counter changes depend on."""

    id: int
    in_reply_to_id: int | None
    reblog_of_id: int | None
    visibility: str


def _opt(value: Any) -> int | None:
    return None if value is None else int(value)


def _counter_changes(status: StatusRecord | _Deleted, sign: str) -> list[tuple[str, int, str, int]]:
    """The (key, status id, field, delta) events of posting (``+``) or deleting (``-``) it.

    A reply moves its parent's ``replies`` (unless followers-only: a count must not leak
    it), a reblog its original's ``reblogs``; the key names the reply or reblog itself,
    so each change is applied once however often it is delivered.
    """
    delta = 1 if sign == "+" else -1
    changes: list[tuple[str, int, str, int]] = []
    if status.in_reply_to_id is not None and status.visibility in COUNTED_REPLY_VISIBILITIES:
        changes.append((f"reply:{status.id}:{sign}", status.in_reply_to_id, "replies", delta))
    if status.reblog_of_id is not None:
        changes.append((f"reblog:{status.id}:{sign}", status.reblog_of_id, "reblogs", delta))
    return changes


class StatusesMixin(IdempotencyMixin, OutboxMixin, CountersMixin):
    """``create_status``, ``delete_status``, ``add_views``."""

    def create_status(
        self,
        status: StatusRecord,
        *,
        media_ids: Sequence[int] = (),
        idempotency_key: str | None = None,
        request_fingerprint: str = "",
    ) -> tuple[StatusRecord, bool]:
        """Insert a status with its links, counters and fan-out event in one transaction.

        In order: claim the idempotency key (see `IdempotencyMixin._claim_key`), bump the
        parent's ``replies_count`` and the original's ``reblogs_count`` (locking them before
        the new row, the order ``delete_status`` uses too), insert the status, its tags,
        mentions and media links, bump the author's counters, and log the fan-out event.

        Returns:
            The stored status and True; or the status an earlier request with the same
            ``idempotency_key`` created, and False.

        Raises:
            ConflictError: The id is taken, or the account already reblogged the status.
            InvalidParameterError: The text, a tag or the key holds a NUL character.
        """
        for name, value in (
            ("text", status.text),
            ("spoiler_text", status.spoiler_text),
            ("language", status.language),
            ("idempotency_key", idempotency_key),
        ):
            if has_nul(value):
                raise InvalidParameterError(name, value, "text without NUL characters")
        if any(has_nul(t) for t in status.tags):
            raise InvalidParameterError("tags", status.tags, "tags without NUL characters")
        try:
            return self._retry(
                lambda: self._create_status_once(
                    status, list(media_ids), idempotency_key, request_fingerprint
                )
            )
        except psycopg.errors.UniqueViolation as exc:
            if exc.diag.constraint_name == "statuses_one_reblog":
                raise ConflictError("status is already reblogged by this account") from exc
            raise ConflictError("status id is already taken") from exc

    def _create_status_once(
        self,
        status: StatusRecord,
        media_ids: list[int],
        key: str | None,
        fingerprint: str,
    ) -> tuple[StatusRecord, bool]:
        with self._tx() as conn:
            if key is not None:
                existing = self._claim_key(conn, status, key, fingerprint)
                if existing is not None:
                    return existing, False
            if self.deferred_counters:
                self._log_counter_events(conn, _counter_changes(status, "+"))
            elif (
                status.in_reply_to_id is not None
                and status.visibility in COUNTED_REPLY_VISIBILITIES
            ):
                # Followers-only and direct replies are not counted: a count must not
                # leak them.
                conn.execute(
                    "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = %s",
                    (status.in_reply_to_id,),
                )
            if status.reblog_of_id is not None and not self.deferred_counters:
                conn.execute(
                    "UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = %s",
                    (status.reblog_of_id,),
                )
            conn.execute(
                f"INSERT INTO statuses({STATUS_COLS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, 0, 0, 0, %s, %s, %s, NULL)",
                (
                    status.id,
                    status.account_id,
                    status.text,
                    status.visibility,
                    status.in_reply_to_id,
                    status.in_reply_to_account_id,
                    status.reblog_of_id,
                    status.created_at_ms,
                    status.spoiler_text,
                    status.sensitive,
                    status.language,
                ),
            )
            if status.tags:
                conn.execute(
                    "INSERT INTO status_tags(status_id, tag) "
                    "SELECT %s, unnest(%s::text[]) ON CONFLICT DO NOTHING",
                    (status.id, list(dict.fromkeys(status.tags))),
                )
            if status.mention_ids:
                conn.execute(
                    "INSERT INTO mentions(status_id, account_id) "
                    "SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
                    (status.id, unique_ids(status.mention_ids)),
                )
            if media_ids:
                conn.execute(
                    "UPDATE media SET status_id = %s "
                    "WHERE id = ANY(%s::bigint[]) AND status_id IS NULL",
                    (status.id, unique_ids(media_ids)),
                )
            conn.execute(
                "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = %s "
                "WHERE id = %s",
                (status.created_at_ms, status.account_id),
            )
            self._log_event(conn, status.id, status.account_id, status.created_at_ms)
            return self._hydrate(conn, [status.id])[status.id], True

    def delete_status(self, status_id: int) -> list[int]:
        """Delete a status and its reblogs, fixing every counter; return the deleted ids.

        Like the SQLite store: the reblogs go first, then the status; each deleted status
        loses its tags, mentions, favourites and notifications, its media are unlinked (the
        bytes stay for other posts), its author's ``statuses_count``, its parent's
        ``replies_count`` (unless followers-only) and its original's ``reblogs_count`` go
        down. Replies to it stay (they show as replies to a deleted status). The status row
        is locked first, so a reblog racing with the deletion either commits before (and is
        deleted with it) or finds no original to count.
        """
        return self._retry(lambda: self._delete_status_once(status_id))

    def _delete_status_once(self, status_id: int) -> list[int]:
        with self._tx() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM statuses WHERE id = %s FOR UPDATE", (status_id,)
                ).fetchone()
                is None
            ):
                return []
            reblogs = [
                int(r[0])
                for r in conn.execute(
                    "SELECT id FROM statuses WHERE reblog_of_id = %s ORDER BY id", (status_id,)
                ).fetchall()
            ]
            rows = conn.execute(
                "DELETE FROM statuses WHERE id = ANY(%s::bigint[]) "
                "RETURNING id, account_id, in_reply_to_id, reblog_of_id, visibility",
                ([*reblogs, status_id],),
            ).fetchall()
            gone = {int(r[0]) for r in rows}
            ids = sorted(gone)
            for table in (
                "status_tags",
                "mentions",
                "favourites",
                "bookmarks",
                "notifications",
                "status_edits",
            ):
                conn.execute(f"DELETE FROM {table} WHERE status_id = ANY(%s::bigint[])", (ids,))
            conn.execute(
                "UPDATE media SET status_id = NULL WHERE status_id = ANY(%s::bigint[])", (ids,)
            )
            authors = Counter(int(r[1]) for r in rows)
            _subtract_counts(conn, "accounts", "statuses_count", authors)
            if self.deferred_counters:
                changes = [
                    c
                    for r in rows
                    for c in _counter_changes(
                        _Deleted(int(r[0]), _opt(r[2]), _opt(r[3]), str(r[4])), "-"
                    )
                ]
                self._log_counter_events(conn, changes)
                return [sid for sid in [*reblogs, status_id] if sid in gone]
            parents = Counter(int(r[2]) for r in rows if r[2] is not None and r[4] != "private")
            originals = Counter(int(r[3]) for r in rows if r[3] is not None)
            _subtract_counts(conn, "statuses", "replies_count", parents)
            _subtract_counts(conn, "statuses", "reblogs_count", originals)
            return [sid for sid in [*reblogs, status_id] if sid in gone]

    def add_views(self, counts: Mapping[int, int]) -> None:
        """Add view counts to statuses in one statement (ids that are gone are ignored)."""
        if not counts:
            return
        items = sorted((int(sid), int(n)) for sid, n in counts.items())
        ids = [i for i, _ in items]

        def unit() -> None:
            with self._tx() as conn:
                _lock_in_id_order(conn, "statuses", ids)
                conn.execute(
                    "UPDATE statuses s SET views_count = s.views_count + d.n "
                    "FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, n) WHERE s.id = d.id",
                    (ids, [n for _, n in items]),
                )

        self._retry(unit)
