"""OAuth apps, tokens and authorization codes on SQLite: `AuthStore`."""

from __future__ import annotations

from twitterdesign.reference_app.storage._records import (
    AppRecord,
    AuthCodeRecord,
    TokenRecord,
    row_of,
)
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection

__all__ = ["SQLiteAuth"]

_APP_COLS = "id, name, website, redirect_uri, client_id, client_secret, scopes, created_at"


class SQLiteAuth(SQLiteConnection):
    """`AuthStore` over the shared connection: ``apps``, ``tokens`` and ``auth_codes``."""

    def add_app(self, app: AppRecord) -> None:
        """Register an OAuth application."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO apps(id, name, website, redirect_uri, client_id, client_secret, "
                "scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row_of(app),
            )

    def app_by_client_id(self, client_id: str) -> AppRecord | None:
        """Return the application with this client id."""
        rows = self._q(f"SELECT {_APP_COLS} FROM apps WHERE client_id = ?", (client_id,))
        return AppRecord(*rows[0]) if rows else None

    def get_app(self, app_id: int) -> AppRecord | None:
        """Return the application with this id."""
        rows = self._q(f"SELECT {_APP_COLS} FROM apps WHERE id = ?", (app_id,))
        return AppRecord(*rows[0]) if rows else None

    def add_token(self, token: TokenRecord) -> None:
        """Store an access token hash."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO tokens(token_hash, app_id, account_id, scopes, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                row_of(token),
            )

    def get_token(self, token_hash: str) -> TokenRecord | None:
        """Return a live token by hash."""
        rows = self._q(
            "SELECT token_hash, app_id, account_id, scopes, created_at FROM tokens "
            "WHERE token_hash = ? AND revoked = 0",
            (token_hash,),
        )
        return TokenRecord(*rows[0]) if rows else None

    def revoke_token(self, token_hash: str) -> bool:
        """Revoke a token; return False if it was unknown."""
        with self._tx() as conn:
            cur = conn.execute("UPDATE tokens SET revoked = 1 WHERE token_hash = ?", (token_hash,))
            return cur.rowcount > 0

    def add_auth_code(self, code: AuthCodeRecord) -> None:
        """Store an authorization code hash."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO auth_codes(code_hash, app_id, account_id, redirect_uri, scopes, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                row_of(code),
            )

    def take_auth_code(self, code_hash: str, *, app_id: int) -> AuthCodeRecord | None:
        """Return and delete an authorization code issued to ``app_id``."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT code_hash, app_id, account_id, redirect_uri, scopes, expires_at "
                "FROM auth_codes WHERE code_hash = ? AND app_id = ?",
                (code_hash, app_id),
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM auth_codes WHERE code_hash = ?", (code_hash,))
            return AuthCodeRecord(*row)
