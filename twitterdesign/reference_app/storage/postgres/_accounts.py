"""Accounts and their logins: case-insensitive usernames and emails, prefix search."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage._records import (
    ACCOUNT_COLUMNS,
    AccountRecord,
    account_of_row,
)
from twitterdesign.reference_app.storage._sql import like_prefix
from twitterdesign.reference_app.storage.postgres._connection import Connected, has_nul

__all__ = ["ACCOUNT_COLS", "AccountsMixin", "like_prefix"]

ACCOUNT_COLS = ACCOUNT_COLUMNS


def _account(row: tuple[Any, ...]) -> AccountRecord:
    return account_of_row(row)


class AccountsMixin(Connected):
    """Accounts, logins and counts."""

    def create_user(
        self, account_id: int, username: str, email: str, password_hash: str, now_ms: int
    ) -> AccountRecord:
        """Create an account and its login; raise ConflictError if username/email taken.

        Raises:
            ConflictError: The username or the email (compared case-insensitively) is taken.
            InvalidParameterError: A value holds a NUL character.
        """
        for name, value in (("username", username), ("email", email)):
            if has_nul(value):
                raise InvalidParameterError(name, value, "text without NUL characters")
        try:
            with self._tx() as conn:
                conn.execute(
                    "INSERT INTO accounts(id, username, created_at) VALUES (%s, %s, %s)",
                    (account_id, username, now_ms),
                )
                conn.execute(
                    "INSERT INTO users(account_id, email, password_hash) VALUES (%s, %s, %s)",
                    (account_id, email, password_hash),
                )
        except psycopg.errors.UniqueViolation as exc:
            constraint = exc.diag.constraint_name or ""
            what = "email" if "email" in constraint else "username"
            if constraint in {"accounts_pkey", "users_pkey"}:
                what = "account id"
            raise ConflictError(f"{what} is already taken") from exc
        return self.get_accounts([account_id])[account_id]

    def get_accounts(self, ids: Iterable[int]) -> dict[int, AccountRecord]:
        """Return the accounts that exist among ``ids``."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            return {}
        rows = self._q(
            f"SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ANY(%s::bigint[])", (wanted,)
        )
        return {int(r[0]): _account(r) for r in rows}

    def account_by_username(self, username: str) -> AccountRecord | None:
        """Return the account with this username (case-insensitive)."""
        if has_nul(username):
            return None
        rows = self._q(
            f"SELECT {ACCOUNT_COLS} FROM accounts WHERE lower(username) = lower(%s)", (username,)
        )
        return _account(rows[0]) if rows else None

    def login_of(self, email_or_username: str) -> tuple[int, str] | None:
        """Return (account_id, password_hash) for an email or a username (case-insensitive)."""
        if has_nul(email_or_username):
            return None
        rows = self._q(
            "(SELECT account_id, password_hash FROM users WHERE lower(email) = lower(%s)) "
            "UNION ALL (SELECT u.account_id, u.password_hash FROM accounts a "
            "JOIN users u ON u.account_id = a.id WHERE lower(a.username) = lower(%s)) LIMIT 1",
            (email_or_username, email_or_username),
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def search_accounts(self, prefix: str, limit: int) -> list[AccountRecord]:
        """Return accounts whose username or display name starts with ``prefix``.

        Case-insensitive; the most followed first, then the oldest id.
        """
        if has_nul(prefix):
            return []
        like = like_prefix(prefix.lower())
        rows = self._q(
            f"SELECT {ACCOUNT_COLS} FROM accounts WHERE lower(username) LIKE %s "
            "OR lower(display_name) LIKE %s ORDER BY followers_count DESC, id LIMIT %s",
            (like, like, limit),
        )
        return [_account(r) for r in rows]

    def update_profile(
        self,
        account_id: int,
        *,
        display_name: str,
        note: str,
        bot: bool,
        discoverable: bool,
        fields: Sequence[tuple[str, str]],
        privacy: str,
        sensitive: bool,
        language: str | None,
    ) -> AccountRecord | None:
        """Replace the editable profile of an account (one row).

        Raises:
            InvalidParameterError: A text holds a NUL character (PostgreSQL cannot store it).
        """
        encoded = json.dumps([list(f) for f in fields])
        for name, value in (
            ("display_name", display_name),
            ("note", note),
            ("language", language),
        ):
            if has_nul(value):
                raise InvalidParameterError(name, value, "text without NUL characters")
        with self._tx() as conn:
            row = conn.execute(
                "UPDATE accounts SET display_name = %s, note = %s, bot = %s, "
                "discoverable = %s, fields = %s, privacy = %s, sensitive = %s, language = %s "
                f"WHERE id = %s RETURNING {ACCOUNT_COLS}",
                (
                    display_name,
                    note,
                    bot,
                    discoverable,
                    encoded,
                    privacy,
                    sensitive,
                    language,
                    account_id,
                ),
            ).fetchone()
        return None if row is None else _account(row)

    def count_accounts(self) -> int:
        """Return how many accounts exist."""
        return int(self._q("SELECT COUNT(*) FROM accounts")[0][0])

    def count_statuses(self) -> int:
        """Return how many statuses exist."""
        return int(self._q("SELECT COUNT(*) FROM statuses")[0][0])
