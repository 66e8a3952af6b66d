"""Records and the ``Store`` protocol: what the services need from a database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "VISIBILITIES",
    "AccountRecord",
    "AppRecord",
    "AuthCodeRecord",
    "MediaRecord",
    "NotificationRecord",
    "Page",
    "StatusRecord",
    "Store",
    "TokenRecord",
]

VISIBILITIES: tuple[str, ...] = ("public", "unlisted", "private")
"""Status visibilities: ``private`` means followers-only, as in Mastodon."""


@dataclass(frozen=True, slots=True)
class Page:
    """Mastodon-style cursor pagination over id-ordered rows (newest first).

    Attributes:
        max_id: Only rows with an id strictly below this.
        since_id: Only rows with an id strictly above this (newest page first).
        min_id: Only rows with an id strictly above this, the page right after it.
        limit: At most this many rows.
    """

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """One account (a Twitter user) with its denormalized counters."""

    id: int
    username: str
    display_name: str
    note: str
    created_at_ms: int
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at_ms: int | None


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """An uploaded image: its bytes live in the blob store under ``sha256``."""

    id: int
    account_id: int
    sha256: str
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
    description: str | None
    status_id: int | None
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """One status (tweet) with its counters, hashtags, mentions and media."""

    id: int
    account_id: int
    text: str
    visibility: str
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    reblog_of_id: int | None
    created_at_ms: int
    replies_count: int
    reblogs_count: int
    favourites_count: int
    views_count: int
    tags: tuple[str, ...] = ()
    mention_ids: tuple[int, ...] = ()
    media: tuple[MediaRecord, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """A notification for ``account_id`` caused by ``from_account_id``."""

    id: int
    account_id: int
    type: str
    from_account_id: int
    status_id: int | None
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class AppRecord:
    """A registered OAuth client application."""

    id: int
    name: str
    website: str | None
    redirect_uri: str
    client_id: str
    client_secret: str
    scopes: str
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An access token (only its hash is stored)."""

    token_hash: str
    app_id: int | None
    account_id: int | None
    scopes: str
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class AuthCodeRecord:
    """A one-time OAuth authorization code (stored hashed)."""

    code_hash: str
    app_id: int
    account_id: int
    redirect_uri: str
    scopes: str
    expires_at_ms: int


class Store(Protocol):
    """Everything the services persist; SQLite implements it, other engines can too.

    Methods that change data are atomic: they either happen completely or not at all.
    Lists come back newest first unless stated otherwise.
    """

    # --- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        """Release connections."""

    def integrity_ok(self) -> bool:
        """Return True if the database passes its own consistency check."""

    def max_id(self) -> int | None:
        """Return the largest Snowflake id stored in any table (to seed the generator)."""

    # --- accounts and credentials ----------------------------------------------------
    def create_user(
        self, account_id: int, username: str, email: str, password_hash: str, now_ms: int
    ) -> AccountRecord:
        """Create an account and its login; raise ``ConflictError`` if taken."""

    def get_accounts(self, ids: Iterable[int]) -> dict[int, AccountRecord]:
        """Return the accounts that exist among ``ids``."""

    def account_by_username(self, username: str) -> AccountRecord | None:
        """Return the account with this username (case-insensitive)."""

    def login_of(self, email_or_username: str) -> tuple[int, str] | None:
        """Return (account_id, password_hash) for an email or username."""

    def search_accounts(self, prefix: str, limit: int) -> list[AccountRecord]:
        """Return accounts whose username or display name starts with ``prefix``."""

    def count_accounts(self) -> int:
        """Return how many accounts exist."""

    def count_statuses(self) -> int:
        """Return how many statuses exist."""

    # --- follow graph ----------------------------------------------------------------
    def follow(self, follower_id: int, followee_id: int, edge_id: int, now_ms: int) -> bool:
        """Add an edge; return False if it already existed."""

    def unfollow(self, follower_id: int, followee_id: int) -> bool:
        """Remove an edge; return False if there was none."""

    def follows(self, follower_id: int, followee_id: int) -> bool:
        """Return True if ``follower_id`` follows ``followee_id``."""

    def following_set(self, follower_id: int, among: Iterable[int]) -> set[int]:
        """Return which of ``among`` the follower follows."""

    def followed_by_set(self, account_id: int, among: Iterable[int]) -> set[int]:
        """Return which of ``among`` follow ``account_id``."""

    def follower_ids(self, account_id: int) -> list[int]:
        """Return every follower of ``account_id``."""

    def followee_ids(self, account_id: int) -> list[int]:
        """Return every account ``account_id`` follows."""

    def followee_follower_counts(self, account_id: int) -> dict[int, int]:
        """Return ``{followee id: its followers_count}`` for every account followed."""

    def followers_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (edge_id, follower_id) pairs, newest edge first."""

    def following_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (edge_id, followee_id) pairs, newest edge first."""

    # --- statuses --------------------------------------------------------------------
    def create_status(
        self,
        status: StatusRecord,
        *,
        media_ids: Sequence[int] = (),
        idempotency_key: str | None = None,
        request_fingerprint: str = "",
    ) -> tuple[StatusRecord, bool]:
        """Insert a status (with tags, mentions, media links and counters) atomically.

        Returns the stored status and True, or — when ``idempotency_key`` was used before
        by the same account — the status created then and False. The key is stored with
        ``request_fingerprint`` (see `idempotent_request`).
        """

    def idempotent_request(self, account_id: int, key: str) -> tuple[StatusRecord, str] | None:
        """Return the status an account's ``Idempotency-Key`` created, and its fingerprint.

        None if the key was never used, or the status it created has been deleted.
        """

    def delete_status(self, status_id: int) -> list[int]:
        """Delete a status, its reblogs and their links; return the deleted ids."""

    def get_statuses(self, ids: Iterable[int]) -> dict[int, StatusRecord]:
        """Return the statuses that exist among ``ids``, fully hydrated."""

    def reblog_of(self, account_id: int, status_id: int) -> int | None:
        """Return the id of ``account_id``'s reblog of ``status_id``, if any."""

    def reblogged_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has reblogged."""

    def favourited_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has favourited."""

    def interactions(self, account_id: int, status_ids: Iterable[int]) -> tuple[set[int], set[int]]:
        """Return (favourited, reblogged): which of ``status_ids`` the account has each."""

    def favourite(self, account_id: int, status_id: int, fav_id: int, now_ms: int) -> bool:
        """Add a favourite; return False if it already existed."""

    def unfavourite(self, account_id: int, status_id: int) -> bool:
        """Remove a favourite; return False if there was none."""

    def favourited_by(self, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (favourite_id, account_id) pairs, newest first."""

    def reblogged_by(self, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (reblog_status_id, account_id) pairs, newest first."""

    def replies_to(self, status_ids: Iterable[int]) -> list[int]:
        """Return ids of direct replies to any of ``status_ids``."""

    def add_views(self, counts: Mapping[int, int]) -> None:
        """Add view counts to statuses (ids that no longer exist are ignored)."""

    # --- timelines and search --------------------------------------------------------
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

    def public_status_ids(self, page: Page, *, tag: str | None = None) -> list[int]:
        """Return ids of public statuses, optionally only those with ``tag``."""

    def status_ids_by_authors(self, author_ids: Sequence[int], page: Page) -> list[int]:
        """Return ids of statuses (any visibility) by any of ``author_ids``."""

    def search_status_ids(
        self,
        query: str,
        viewer_id: int | None,
        limit: int,
        *,
        order: str = "recency",
        offset: int = 0,
    ) -> list[int]:
        """Full-text search over statuses the viewer may see (public, own, followees').

        ``order`` is ``"recency"`` (newest first) or ``"relevancy"`` (best match first).
        """

    def search_tags(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) for hashtags starting with ``prefix``."""

    def tag_uses_since(self, since_ms: int, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) in public statuses since ``since_ms``, most used first."""

    def recent_public_status_ids(self, since_ms: int) -> list[int]:
        """Return ids of public, non-reblog statuses created since ``since_ms``."""

    # --- notifications ---------------------------------------------------------------
    def add_notification(self, note: NotificationRecord) -> None:
        """Store a notification."""

    def notifications(
        self, account_id: int, page: Page, *, types: Sequence[str] | None = None
    ) -> list[NotificationRecord]:
        """Return an account's notifications, newest first."""

    def clear_notifications(self, account_id: int) -> None:
        """Delete every notification of an account."""

    # --- media -----------------------------------------------------------------------
    def add_media(self, media: MediaRecord) -> None:
        """Store media metadata (the bytes are in the blob store)."""

    def get_media(self, media_id: int) -> MediaRecord | None:
        """Return one media record."""

    def media_by_hash(self, sha256: str) -> MediaRecord | None:
        """Return any media record with these bytes (to serve its content type)."""

    def update_media_description(self, media_id: int, description: str | None) -> None:
        """Change a media description."""

    # --- apps, tokens, codes ---------------------------------------------------------
    def add_app(self, app: AppRecord) -> None:
        """Register an OAuth application."""

    def app_by_client_id(self, client_id: str) -> AppRecord | None:
        """Return the application with this client id."""

    def get_app(self, app_id: int) -> AppRecord | None:
        """Return the application with this id."""

    def add_token(self, token: TokenRecord) -> None:
        """Store an access token hash."""

    def get_token(self, token_hash: str) -> TokenRecord | None:
        """Return a live (not revoked) token by hash."""

    def revoke_token(self, token_hash: str) -> bool:
        """Revoke a token; return False if it was unknown."""

    def add_auth_code(self, code: AuthCodeRecord) -> None:
        """Store an authorization code hash."""

    def take_auth_code(self, code_hash: str, *, app_id: int) -> AuthCodeRecord | None:
        """Return and delete an authorization code issued to ``app_id`` (single use).

        A code issued to another app is neither returned nor deleted.
        """

    # --- fan-out log (pub-sub between server processes) ------------------------------
    def events_since(self, seq: int, limit: int) -> list[tuple[int, int | None, int]]:
        """Return (seq, status_id or None, account_id) entries after ``seq``, oldest first.

        Every new status is logged in the transaction that stores it; every follow or
        unfollow logs an entry with no status (the follower's cache must be rebuilt).
        """

    def event_head(self) -> int:
        """Return the newest fan-out log sequence number (0 when empty)."""

    def trim_events(self, before_ms: int) -> int:
        """Delete log entries older than ``before_ms``; return how many."""

    def blob_names(self, prefix: str) -> list[str]:
        """Return the names of saved blobs that start with ``prefix``."""

    # --- sketches --------------------------------------------------------------------
    def save_blob(self, name: str, data: bytes, now_ms: int) -> None:
        """Persist a named blob (e.g. a serialized sketch)."""

    def load_blob(self, name: str) -> bytes | None:
        """Return a named blob saved before, if any."""
