"""OAuth applications, access tokens (hashed) and single-use authorization codes."""

from __future__ import annotations

from twitterdesign.reference_app.storage._records import (
    AppRecord,
    AuthCodeRecord,
    TokenRecord,
    row_of,
)
from twitterdesign.reference_app.storage.postgres._connection import Connected, has_nul

__all__ = ["AuthMixin"]

_APP_COLS = "id, name, website, redirect_uri, client_id, client_secret, scopes, created_at"
_CODE_COLS = "code_hash, app_id, account_id, redirect_uri, scopes, expires_at"


class AuthMixin(Connected):
    """Apps, tokens and authorization codes."""

    def add_app(self, app: AppRecord) -> None:
        """Register an OAuth application."""
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO apps({_APP_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                row_of(app),
            )

    def app_by_client_id(self, client_id: str) -> AppRecord | None:
        """Return the application with this client id."""
        if has_nul(client_id):
            return None
        rows = self._q(f"SELECT {_APP_COLS} FROM apps WHERE client_id = %s", (client_id,))
        return AppRecord(*rows[0]) if rows else None

    def get_app(self, app_id: int) -> AppRecord | None:
        """Return the application with this id."""
        rows = self._q(f"SELECT {_APP_COLS} FROM apps WHERE id = %s", (app_id,))
        return AppRecord(*rows[0]) if rows else None

    def add_token(self, token: TokenRecord) -> None:
        """Store an access token hash."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO tokens(token_hash, app_id, account_id, scopes, created_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                row_of(token),
            )

    def get_token(self, token_hash: str) -> TokenRecord | None:
        """Return a live (not revoked) token by hash."""
        if has_nul(token_hash):
            return None
        rows = self._q(
            "SELECT token_hash, app_id, account_id, scopes, created_at FROM tokens "
            "WHERE token_hash = %s AND NOT revoked",
            (token_hash,),
        )
        return TokenRecord(*rows[0]) if rows else None

    def revoke_token(self, token_hash: str) -> bool:
        """Revoke a token; return False if it was unknown."""
        if has_nul(token_hash):
            return False
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE tokens SET revoked = TRUE WHERE token_hash = %s", (token_hash,)
            )
            return cur.rowcount > 0

    def add_auth_code(self, code: AuthCodeRecord) -> None:
        """Store an authorization code hash."""
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO auth_codes({_CODE_COLS}) VALUES (%s, %s, %s, %s, %s, %s)",
                row_of(code),
            )

    def take_auth_code(self, code_hash: str, *, app_id: int) -> AuthCodeRecord | None:
        """Return and delete an authorization code issued to ``app_id`` (single use).

        One ``DELETE ... RETURNING``: of two concurrent exchanges of the same code, exactly
        one gets it. A code issued to another app is neither returned nor deleted.
        """
        if has_nul(code_hash):
            return None
        with self._tx() as conn:
            row = conn.execute(
                "DELETE FROM auth_codes WHERE code_hash = %s AND app_id = %s "
                f"RETURNING {_CODE_COLS}",
                (code_hash, app_id),
            ).fetchone()
        return None if row is None else AuthCodeRecord(*row)
