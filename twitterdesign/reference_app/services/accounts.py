"""Accounts, OAuth applications and access tokens (argon2id passwords, hashed tokens)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import (
    BadRequest,
    ConflictError,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
)
from twitterdesign.reference_app.services.token_cache import TokenCache, token_key
from twitterdesign.reference_app.storage import (
    AccountRecord,
    AppRecord,
    AuthCodeRecord,
    Store,
    TokenRecord,
)

__all__ = [
    "KNOWN_SCOPES",
    "AccountService",
    "check_pkce_value",
    "hash_secret",
    "normalize_scopes",
    "pkce_challenge",
    "scope_allows",
]

KNOWN_SCOPES = ("read", "write", "follow", "push", "profile")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE_TTL_MS = 10 * 60 * 1000
# What Mastodon's deprecated ``follow`` scope grants.
_FOLLOW_SCOPE = frozenset(
    f"{access}:{what}" for access in ("read", "write") for what in ("follows", "blocks", "mutes")
)


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest under which a token or code is stored.

    Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.

    Examples:
        >>> len(hash_secret("abc"))
        64
    """
    return hashlib.sha256(secret.encode()).hexdigest()


_PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def check_pkce_value(name: str, value: str) -> str:
    """Return a PKCE verifier or challenge if it is 43-128 unreserved characters.

    Raises:
        Unprocessable: Naming ``name``, for any other value (RFC 7636, section 4.1).

    Examples:
        >>> check_pkce_value("code_verifier", "a" * 43) == "a" * 43
        True
    """
    if not isinstance(value, str) or not _PKCE_VALUE.match(value):
        raise Unprocessable(f"{name} must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    return value


def pkce_challenge(code_verifier: str) -> str:
    """Return the S256 challenge of a verifier: BASE64URL(SHA256(verifier)), unpadded.

    Examples:
        >>> # RFC 7636, appendix B
        >>> pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    """
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _bind_challenge(code: str, code_challenge: str | None) -> str:
    return code if code_challenge is None else f"{code}~{code_challenge}"


def normalize_scopes(scopes: str | None, *, default: str = "read") -> str:
    """Return a space-separated, de-duplicated scope string, or raise on unknown scopes.

    Accepts the top-level scopes (``read write follow push profile``) and granular ones
    such as ``read:statuses``; commas and ``+`` also separate, as some clients send.

    Examples:
        >>> normalize_scopes("read write read:statuses")
        'read write read:statuses'
    """
    text = (scopes or default).replace(",", " ").replace("+", " ")
    out: list[str] = []
    for scope in text.split():
        top = scope.split(":", 1)[0]
        if top not in KNOWN_SCOPES and top != "admin":
            raise Unprocessable(f"unknown scope {scope!r}")
        if scope not in out:
            out.append(scope)
    return " ".join(out) if out else default


def scope_allows(granted: str, required: str) -> bool:
    """Return True if a token with ``granted`` scopes may use an endpoint needing ``required``.

    ``read`` covers ``read:statuses``; ``follow`` covers the follow, block and mute
    endpoints (``read:follows``, ``write:blocks``, ...), as Mastodon does.

    Examples:
        >>> scope_allows("read", "read:statuses"), scope_allows("read", "write:statuses")
        (True, False)
    """
    have = set(granted.split())
    top = required.split(":", 1)[0]
    if required in have or top in have:
        return True
    return required in _FOLLOW_SCOPE and "follow" in have


class AccountService:
    """Registration, password login, apps, tokens and authorization codes.

    Args:
        store: Where accounts and token hashes live.
        ids: The Snowflake generator for new ids.
        clock_ms: Returns the current Unix time in milliseconds.
        time_cost: Argon2id iterations.
        memory_kib: Argon2id memory.
        token_cache: Where resolved tokens are remembered (None: every lookup reads the
            store). Set `on_revoked` too, so other processes forget a revoked token.
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        clock_ms: Callable[[], int],
        *,
        time_cost: int = 3,
        memory_kib: int = 65_536,
        token_cache: TokenCache | None = None,
    ) -> None:
        self._store = store
        self.token_cache = token_cache
        # Called with a revoked token's `token_key` and account, after the store has it.
        self.on_revoked: Callable[[int, int | None], None] | None = None
        self._ids = ids
        self._now = clock_ms
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=max(1, min(4, memory_kib // 8))
        )

    # --- accounts --------------------------------------------------------------------
    def register(self, username: str, email: str, password: str) -> AccountRecord:
        """Create an account; the password is stored only as an argon2id hash.

        Raises:
            Unprocessable: For a malformed username/email, a short password, or a taken
                username or email.
        """
        if not _USERNAME.match(username or ""):
            raise Unprocessable("username must be 1-30 letters, digits or underscores")
        if not _EMAIL.match(email or "") or len(email) > 254:
            raise Unprocessable("email is not a valid address")
        if not isinstance(password, str) or not 8 <= len(password) <= 1024:
            raise Unprocessable("password must be 8 to 1024 characters")
        try:
            return self._store.create_user(
                self._ids.next_id(), username, email, self._hasher.hash(password), self._now()
            )
        except ConflictError as exc:
            raise Unprocessable(str(exc)) from exc

    def authenticate(self, login: str, password: str) -> int:
        """Return the account id for an email-or-username and password.

        Raises:
            Unauthorized: If either is wrong (the message does not say which).
        """
        found = self._store.login_of(login or "")
        if found is None:
            # Spend comparable time so unknown logins are not distinguishable by timing.
            self._hasher.hash(password or "x")
            raise Unauthorized("invalid username or password")
        account_id, stored = found
        try:
            self._hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            raise Unauthorized("invalid username or password") from None
        return account_id

    def get(self, account_id: int) -> AccountRecord:
        """Return an account or raise NotFound."""
        found = self._store.get_accounts([account_id]).get(account_id)
        if found is None:
            raise NotFound("Record not found")
        return found

    def get_many(self, ids: Iterable[int]) -> dict[int, AccountRecord]:
        """Return the accounts that exist among ``ids``, by id (accounts are public)."""
        return self._store.get_accounts(ids)

    def count(self) -> int:
        """Return how many accounts exist."""
        return self._store.count_accounts()

    def lookup(self, acct: str) -> AccountRecord:
        """Return the account for ``name`` or ``name@domain`` (local accounts only)."""
        name = acct.lstrip("@").split("@", 1)[0]
        found = self._store.account_by_username(name) if name else None
        if found is None:
            raise NotFound("Record not found")
        return found

    # --- apps and tokens -------------------------------------------------------------
    def create_app(
        self, name: str, redirect_uris: str, scopes: str | None, website: str | None
    ) -> AppRecord:
        """Register an OAuth client application with a random client id and secret."""
        if not name or len(name) > 200:
            raise Unprocessable("client_name must be 1-200 characters")
        if not redirect_uris or len(redirect_uris) > 2000:
            raise Unprocessable("redirect_uris is required")
        app = AppRecord(
            id=self._ids.next_id(),
            name=name,
            website=website or None,
            redirect_uri=redirect_uris,
            client_id=secrets.token_urlsafe(32),
            client_secret=secrets.token_urlsafe(32),
            scopes=normalize_scopes(scopes),
            created_at_ms=self._now(),
        )
        self._store.add_app(app)
        return app

    def app_by_client_id(self, client_id: str) -> AppRecord:
        """Return the app with this public client id, or raise Unauthorized."""
        app = self._store.app_by_client_id(client_id)
        if app is None:
            raise Unauthorized("Client authentication failed due to unknown client")
        return app

    def get_app(self, app_id: int | None) -> AppRecord:
        """Return the app a token was issued to, or raise Unauthorized if there is none."""
        app = self._store.get_app(app_id) if app_id is not None else None
        if app is None:
            raise Unauthorized("The access token is invalid")
        return app

    def check_client(self, client_id: str | None, client_secret: str | None) -> AppRecord:
        """Return the app for a client id and secret, or raise Unauthorized."""
        app = self._store.app_by_client_id(client_id or "")
        if app is None or not secrets.compare_digest(app.client_secret, client_secret or ""):
            raise Unauthorized("Client authentication failed due to unknown client")
        return app

    def grantable_scopes(self, app: AppRecord, requested: str | None) -> str:
        """Return the normalized scopes ``app`` asks for, if it registered them.

        ``read:statuses`` is grantable to an app registered with ``read``. Every grant
        (token or authorization code) goes through this check, so a client registered
        for ``read`` cannot obtain ``write`` by asking for it at ``/oauth/authorize``.

        Raises:
            Unprocessable: An unknown scope.
            BadRequest: A scope the app did not register (OAuth's invalid_scope).
        """
        scopes = normalize_scopes(requested, default="read")
        allowed = set(app.scopes.split())
        if not all(sc in allowed or sc.split(":", 1)[0] in allowed for sc in scopes.split()):
            raise BadRequest("The requested scope is invalid, unknown, or malformed")
        return scopes

    def issue_token(self, app_id: int | None, account_id: int | None, scopes: str) -> str:
        """Create a random 256-bit access token; only its SHA-256 is stored."""
        token = secrets.token_urlsafe(32)
        self._store.add_token(
            TokenRecord(hash_secret(token), app_id, account_id, scopes, self._now())
        )
        return token

    def resolve_token(self, token: str) -> TokenRecord | None:
        """Return the live token record for a bearer token, if any (cached, if cached)."""
        if not token:
            return None
        token_hash = hash_secret(token)
        cache = self.token_cache
        if cache is not None and (record := cache.get(token_hash)) is not None:
            return record
        record = self._store.get_token(token_hash)
        if cache is not None and record is not None:
            cache.put(token_hash, record)
        return record

    def cached_token(self, token: str) -> TokenRecord | None:
        """Return the token's record if the cache holds it, without touching the store."""
        if not token or self.token_cache is None:
            return None
        return self.token_cache.get(hash_secret(token))

    def revoke_token(self, app: AppRecord, token: str) -> None:
        """Revoke a token on behalf of the client ``app`` that it was issued to.

        Unknown (or already revoked) tokens are ignored, as RFC 7009 §2.2 asks. A live
        token issued to another client is left alone and refused, as Mastodon (Doorkeeper)
        does: any registered client could otherwise log any user out of every other app.

        Raises:
            Forbidden: The token belongs to a different client.
        """
        token_hash = hash_secret(token) if token else ""
        record = self._store.get_token(token_hash) if token else None
        if record is None:
            return
        if record.app_id != app.id:
            raise Forbidden("You are not authorized to revoke this token")
        self._store.revoke_token(token_hash)
        key = token_key(token_hash)
        if self.token_cache is not None:
            self.token_cache.discard_key(key)
        if self.on_revoked is not None:
            self.on_revoked(key, record.account_id)

    def issue_code(
        self,
        app: AppRecord,
        account_id: int,
        redirect_uri: str,
        scopes: str,
        *,
        code_challenge: str | None = None,
    ) -> str:
        """Create a single-use authorization code valid for ten minutes.

        With a PKCE ``code_challenge`` (RFC 7636, method S256) the code is stored under
        the hash of the code *and* its challenge, so only a redemption that presents the
        matching ``code_verifier`` finds it: the challenge needs no column of its own.
        """
        code = secrets.token_urlsafe(32)
        self._store.add_auth_code(
            AuthCodeRecord(
                hash_secret(_bind_challenge(code, code_challenge)),
                app.id,
                account_id,
                redirect_uri,
                scopes,
                self._now() + _CODE_TTL_MS,
            )
        )
        return code

    def redeem_code(
        self,
        app: AppRecord,
        code: str,
        redirect_uri: str | None,
        *,
        code_verifier: str | None = None,
    ) -> AuthCodeRecord:
        """Consume an authorization code issued to ``app``, or raise Unauthorized.

        A code presented by another client is refused *without* being consumed, so a
        client that learns someone else's code cannot burn it before its owner redeems it.
        A code issued with a PKCE challenge is found only with its ``code_verifier``; a
        verifier sent for a code issued without one is ignored (as Mastodon does).

        Raises:
            Unprocessable: ``code_verifier`` is not 43-128 unreserved characters.
            Unauthorized: The code is unknown, expired, for another redirect URI, or
                needs a verifier that was not given or does not match.
        """
        record = None
        if code_verifier is not None:
            challenge = pkce_challenge(check_pkce_value("code_verifier", code_verifier))
            record = self._store.take_auth_code(
                hash_secret(_bind_challenge(code or "", challenge)), app_id=app.id
            )
        if record is None:
            record = self._store.take_auth_code(hash_secret(code or ""), app_id=app.id)
        if (
            record is None
            or record.expires_at_ms < self._now()
            or (redirect_uri and redirect_uri != record.redirect_uri)
        ):
            raise Unauthorized("The provided authorization grant is invalid or expired")
        return record
