"""Accounts and logins on SQLite: `AccountStore`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage._records import (
    ACCOUNT_COLUMNS,
    AccountRecord,
    account_of_row,
)
from twitterdesign.reference_app.storage.sqlite._connection import (
    SQLiteConnection,
    chunks,
    like_prefix,
    qmarks,
)

__all__ = ["ACCOUNT_COLS", "SQLiteAccounts"]

ACCOUNT_COLS = ACCOUNT_COLUMNS


class SQLiteAccounts(SQLiteConnection):
    """`AccountStore` over the shared connection: ``accounts`` and ``users`` tables."""

    @staticmethod
    def _account(row: Sequence[Any]) -> AccountRecord:
        return account_of_row(row)

    def create_user(
        self, account_id: int, username: str, email: str, password_hash: str, now_ms: int
    ) -> AccountRecord:
        """Create an account and its login; raise ConflictError if username/email taken."""
        try:
            with self._tx() as conn:
                conn.execute(
                    "INSERT INTO accounts(id, username, created_at) VALUES (?, ?, ?)",
                    (account_id, username, now_ms),
                )
                conn.execute(
                    "INSERT INTO users(account_id, email, password_hash) VALUES (?, ?, ?)",
                    (account_id, email, password_hash),
                )
        except sqlite3.IntegrityError as exc:
            what = "email" if "email" in str(exc) else "username"
            raise ConflictError(f"{what} is already taken") from exc
        return self.get_accounts([account_id])[account_id]

    def get_accounts(self, ids: Iterable[int]) -> dict[int, AccountRecord]:
        """Return the accounts that exist among ``ids``."""
        out: dict[int, AccountRecord] = {}
        for chunk in chunks(ids):
            for row in self._q(
                f"SELECT {ACCOUNT_COLS} FROM accounts WHERE id IN ({qmarks(len(chunk))})", chunk
            ):
                out[row[0]] = self._account(row)
        return out

    def account_by_username(self, username: str) -> AccountRecord | None:
        """Return the account with this username (case-insensitive)."""
        rows = self._q(f"SELECT {ACCOUNT_COLS} FROM accounts WHERE username = ?", (username,))
        return self._account(rows[0]) if rows else None

    def login_of(self, email_or_username: str) -> tuple[int, str] | None:
        """Return (account_id, password_hash) for an email or a username."""
        rows = self._q(
            "SELECT u.account_id, u.password_hash FROM users u JOIN accounts a "
            "ON a.id = u.account_id WHERE u.email = ? OR a.username = ? LIMIT 1",
            (email_or_username, email_or_username),
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def search_accounts(self, prefix: str, limit: int) -> list[AccountRecord]:
        """Return accounts whose username or display name starts with ``prefix``."""
        like = like_prefix(prefix)
        rows = self._q(
            f"SELECT {ACCOUNT_COLS} FROM accounts WHERE username LIKE ? ESCAPE '\\' "
            "OR display_name LIKE ? ESCAPE '\\' ORDER BY followers_count DESC, id LIMIT ?",
            (like, like, limit),
        )
        return [self._account(r) for r in rows]

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
        """Replace the editable profile of an account (one row)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE accounts SET display_name = ?, note = ?, bot = ?, discoverable = ?, "
                "fields = ?, privacy = ?, sensitive = ?, language = ? WHERE id = ?",
                (
                    display_name,
                    note,
                    int(bot),
                    int(discoverable),
                    json.dumps([list(f) for f in fields]),
                    privacy,
                    int(sensitive),
                    language,
                    account_id,
                ),
            )
        return self.get_accounts([account_id]).get(account_id)

    def count_accounts(self) -> int:
        """Return how many accounts exist."""
        return int(self._q("SELECT COUNT(*) FROM accounts")[0][0])
