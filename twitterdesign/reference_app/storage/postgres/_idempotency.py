"""Idempotency keys: one status per (account, ``Idempotency-Key``), even under races."""

from __future__ import annotations

from typing import Any

from twitterdesign.reference_app.storage._records import StatusRecord
from twitterdesign.reference_app.storage.postgres._connection import has_nul
from twitterdesign.reference_app.storage.postgres._status_reads import StatusReadsMixin

__all__ = ["IdempotencyMixin"]


class IdempotencyMixin(StatusReadsMixin):
    """``idempotent_request`` and the claim ``create_status`` makes first."""

    def _claim_key(
        self,
        conn: Any,
        status: StatusRecord,
        key: str,
        fingerprint: str,
    ) -> StatusRecord | None:
        """Claim ``key`` for ``status`` inside the caller's transaction.

        Returns None when the caller now owns the key (and must create the status), or the
        live status an earlier request created with it.

        Why this is race-free under READ COMMITTED: the claim is an INSERT into the primary
        key ``(account_id, key)`` with ``ON CONFLICT DO NOTHING``. A second transaction
        inserting the same key while the first is open *waits* on the unique index; when
        the first commits, the INSERT does nothing, and the next statement (a new
        snapshot) reads the committed row and the status committed with it. If the first
        rolls back, the second's INSERT goes through. When the key's status has been
        deleted, the row is re-pointed under ``FOR UPDATE``: a concurrent re-claimer waits
        on the row lock, then re-reads the new version (READ COMMITTED follows the update
        chain) and finds the status the winner created.
        """
        while True:
            claimed = conn.execute(
                "INSERT INTO idempotency(account_id, key, status_id, created_at, fingerprint) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (account_id, key) DO NOTHING "
                "RETURNING status_id",
                (status.account_id, key, status.id, status.created_at_ms, fingerprint),
            ).fetchone()
            if claimed is not None:
                return None
            row = conn.execute(
                "SELECT status_id FROM idempotency WHERE account_id = %s AND key = %s FOR UPDATE",
                (status.account_id, key),
            ).fetchone()
            if row is None:  # pragma: no cover - keys are never deleted today
                continue
            existing = self._hydrate(conn, [int(row[0])]).get(int(row[0]))
            if existing is not None:
                return existing
            conn.execute(
                "UPDATE idempotency SET status_id = %s, created_at = %s, fingerprint = %s "
                "WHERE account_id = %s AND key = %s",
                (status.id, status.created_at_ms, fingerprint, status.account_id, key),
            )
            return None

    def idempotent_request(self, account_id: int, key: str) -> tuple[StatusRecord, str] | None:
        """Return the live status an ``Idempotency-Key`` created, and the request fingerprint.

        None if the key was never used, or the status it created has been deleted.
        """
        if has_nul(key):
            return None
        # Two single statements, no transaction: a first use (the usual case) costs one
        # round trip. A status deleted between them reads as deleted, as documented.
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT status_id, fingerprint FROM idempotency WHERE account_id = %s AND key = %s",
                (account_id, key),
            ).fetchone()
            if row is None:
                return None
            status = self._hydrate(conn, [int(row[0])]).get(int(row[0]))
        return None if status is None else (status, str(row[1]))
