"""Bulk loading into PostgreSQL: ``COPY ... FROM STDIN`` per table, in one transaction."""

from __future__ import annotations

import time

from psycopg import sql

from twitterdesign.reference_app.storage.bulk import (
    BULK_TABLES,
    NO_PASSWORD_HASH,
    BulkHistory,
    BulkLoadReport,
    check_bulk_args,
    history_rows,
    not_empty_error,
)
from twitterdesign.reference_app.storage.postgres._connection import Connected

__all__ = ["PostgresBulk"]

_LOADED = ("accounts", "users", "follows", "statuses", "status_tags")


class PostgresBulk(Connected):
    """``bulk_load``: see `twitterdesign.reference_app.storage.bulk`."""

    def bulk_load(
        self, history: BulkHistory, *, password_hash: str = NO_PASSWORD_HASH
    ) -> BulkLoadReport:
        """Write ``history`` into this empty schema with ``COPY``, in one transaction.

        The tables are locked against concurrent writers first (``SHARE ROW EXCLUSIVE``:
        reads go on), so the emptiness check holds until the commit. The search vector is
        the generated column, computed by PostgreSQL as each row arrives; nothing is
        written to the fan-out log. After the commit ``VACUUM (ANALYZE)`` gives the planner
        statistics and the visibility map its index-only scans need — what a database that
        grew slowly would have had from autovacuum.

        Raises:
            InvalidParameterError: Bad arguments, or the schema already holds accounts,
                follows or statuses.
        """
        history = check_bulk_args(history, password_hash)
        start = time.perf_counter()
        rows = history_rows(history, password_hash)
        with self._tx() as conn:
            conn.execute(
                "LOCK TABLE accounts, users, follows, statuses, status_tags "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
            for table in ("accounts", "follows", "statuses"):
                query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))
                row = conn.execute(query).fetchone()
                if row is not None and row[0]:
                    raise not_empty_error(table)
            with conn.cursor() as cur:
                for table, columns in BULK_TABLES:
                    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
                        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
                    )
                    with cur.copy(copy) as out:
                        for row_values in rows[table]:
                            out.write_row(row_values)
        with self._pool.connection() as conn:  # autocommit: VACUUM cannot run in a transaction
            conn.execute(
                sql.SQL("VACUUM (ANALYZE) {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, _LOADED))
                )
            )
        return BulkLoadReport(
            accounts=history.n_accounts,
            follows=history.graph.n_edges,
            statuses=history.n_statuses,
            status_tags=sum(len(t) for t in history.status_tags),
            seconds=time.perf_counter() - start,
        )
