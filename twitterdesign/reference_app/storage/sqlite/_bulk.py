"""Bulk loading into SQLite: ``executemany`` per table, all in one transaction."""

from __future__ import annotations

import time

from twitterdesign.reference_app.storage.bulk import (
    BULK_TABLES,
    NO_PASSWORD_HASH,
    BulkHistory,
    BulkLoadReport,
    check_bulk_args,
    history_rows,
    not_empty_error,
)
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection

__all__ = ["SQLiteBulk"]


class SQLiteBulk(SQLiteConnection):
    """``bulk_load``: see `twitterdesign.reference_app.storage.bulk`."""

    def bulk_load(
        self, history: BulkHistory, *, password_hash: str = NO_PASSWORD_HASH
    ) -> BulkLoadReport:
        """Write ``history`` into this empty database in one ``BEGIN IMMEDIATE`` transaction.

        The FTS5 rows come from the insert trigger, as for every status; nothing is
        written to the fan-out log.

        Raises:
            InvalidParameterError: Bad arguments, or the database already holds accounts,
                follows or statuses.
        """
        history = check_bulk_args(history, password_hash)
        start = time.perf_counter()
        rows = history_rows(history, password_hash)
        with self._tx() as conn:
            for table in ("accounts", "follows", "statuses"):
                if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
                    raise not_empty_error(table)
            for table, columns in BULK_TABLES:
                marks = ", ".join("?" * len(columns))
                conn.executemany(
                    f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks})", rows[table]
                )
        return BulkLoadReport(
            accounts=history.n_accounts,
            follows=history.graph.n_edges,
            statuses=history.n_statuses,
            status_tags=sum(len(t) for t in history.status_tags),
            seconds=time.perf_counter() - start,
        )
