"""The storage seams: one small protocol per area, and ``Store``, all of them together.

A second engine (PostgreSQL) plugs in by implementing these; the services only ever see
the protocols. Each protocol's docstring names its **units of work**: the writes a method
commits together, in one transaction, or not at all. A method not listed there changes
one row (or nothing) and is trivially atomic. Reads see committed data only. Paged lists
follow the contract of `Page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from twitterdesign.reference_app.storage._curation import CurationStore
from twitterdesign.reference_app.storage._records import (
    AccountRecord,
    AccountRelations,
    AppRecord,
    AuthCodeRecord,
    FilterRecord,
    MediaRecord,
    NotificationRecord,
    Page,
    StatusEditRecord,
    StatusRecord,
    TokenRecord,
)

__all__ = [
    "AccountStore",
    "AuthStore",
    "BlockMuteStore",
    "FilterStore",
    "GraphStore",
    "IdempotencyStore",
    "MediaStore",
    "NotificationStore",
    "OutboxStore",
    "ProfileStore",
    "SearchStore",
    "SketchStore",
    "StatusEditStore",
    "StatusStore",
    "Store",
]


class AccountStore(Protocol):
    """Accounts and their logins.

    Units of work:
        ``create_user``: the account row and its login (email, password hash) together;
        a taken username or email (both compared case-insensitively) stores neither and
        raises `ConflictError`. Of two concurrent registrations of one name exactly one
        wins.
    """

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


class ProfileStore(Protocol):
    """The profile an account edits (Mastodon's update_credentials).

    Units of work: ``update_profile`` writes one row.
    """

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
        """Replace the editable profile of an account; return it (None if unknown)."""


class AuthStore(Protocol):
    """OAuth applications, access tokens (hashed) and authorization codes (hashed).

    Units of work:
        ``take_auth_code``: reads and deletes the code atomically, so a code is redeemed
        at most once even by concurrent requests.
        ``revoke_token``: one row; a revoked token is never returned again.
    """

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


class GraphStore(Protocol):
    """The follow graph: directed edges, each with its own id (for paging).

    Units of work:
        ``follow`` / ``unfollow``: the edge, the follower's ``following_count``, the
        followee's ``followers_count`` and an outbox invalidation event for the follower
        (see `OutboxStore`), together. A no-op (edge already there / already gone)
        changes nothing and returns False, so counters stay exact under concurrency.
    """

    def follow(self, follower_id: int, followee_id: int, edge_id: int, now_ms: int) -> bool:
        """Add an edge; return False if it already existed or either account blocks the other.

        The block check is in the transaction of the edge, so a follow racing with a
        block never survives it (see `BlockMuteStore.block`).
        """

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


class BlockMuteStore(Protocol):
    """Blocks and mutes between accounts: edges with their own id (for paging).

    Units of work:
        ``block``: the block edge and the removal of the follow edges both ways, each
        with its counters and outbox invalidation event (see `GraphStore`), together; an
        existing block changes nothing and returns False. Blocks and follows between
        two accounts are serialized, so a concurrent follow either ends before (and is
        removed) or finds the block (and is refused).
        ``mute``: one row, added or replaced (a new notifications flag and expiry).
    """

    def block(self, account_id: int, target_id: int, block_id: int, now_ms: int) -> bool:
        """Block ``target_id``, removing follows both ways; False if already blocked."""

    def unblock(self, account_id: int, target_id: int) -> bool:
        """Remove a block; return False if there was none."""

    def mute(
        self,
        account_id: int,
        target_id: int,
        mute_id: int,
        *,
        notifications: bool,
        expires_at_ms: int | None,
        now_ms: int,
    ) -> None:
        """Mute ``target_id`` (or change an existing mute's flag and expiry)."""

    def unmute(self, account_id: int, target_id: int) -> bool:
        """Remove a mute; return False if there was none (or it had expired)."""

    def blocks_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (block_id, target_id) pairs, newest block first."""

    def mutes_page(
        self, account_id: int, page: Page, *, now_ms: int
    ) -> list[tuple[int, int, int | None]]:
        """Return (mute_id, target_id, expires_at_ms) of live mutes, newest first."""

    def relations_of(self, account_id: int, *, now_ms: int) -> AccountRelations:
        """Return whom ``account_id`` blocks and mutes (live at ``now_ms``), who blocks it."""


class FilterStore(Protocol):
    """Content filters (Mastodon's v2 filters) and their keywords, per account.

    Units of work:
        ``save_filter``: the filter row and its whole keyword list (keywords not in the
        record are deleted, the others inserted or updated) together.
        ``delete_filter``: the filter and its keywords together.
    """

    def save_filter(self, record: FilterRecord) -> None:
        """Insert or replace a filter with exactly the keywords of ``record``."""

    def filters_of(self, account_id: int) -> list[FilterRecord]:
        """Return every filter of an account (expired ones too), oldest first."""

    def delete_filter(self, account_id: int, filter_id: int) -> bool:
        """Delete one of the account's filters; False if it has none with that id."""


class StatusStore(Protocol):
    """Statuses (tweets, replies, reblogs), favourites, and the id lists timelines read.

    Units of work:
        ``create_status``: the status row, its tags, mentions and media links, the
        author's ``statuses_count`` and ``last_status_at``, the parent's
        ``replies_count`` (not for followers-only replies), the original's
        ``reblogs_count``, the outbox event and the idempotency key — all in ONE
        transaction. If any part fails nothing is stored. Unknown media ids, or media
        already attached to a status, are skipped (the service validates them first).
        ``delete_status``: the status and every reblog of it, with their tags, mentions,
        favourites and notifications, media links cleared, and every counter they
        touched decremented, together.
        ``favourite`` / ``unfavourite``: the favourite row and ``favourites_count``,
        together; a no-op changes nothing and returns False.
        ``add_views``: every count in the mapping, together.
    """

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
        ``request_fingerprint`` (see `IdempotencyStore.idempotent_request`).
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

    def count_statuses(self) -> int:
        """Return how many statuses exist."""

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

    def recent_public_status_ids(self, since_ms: int) -> list[int]:
        """Return ids of public, non-reblog statuses created since ``since_ms``."""


class StatusEditStore(Protocol):
    """Edits of statuses and their history (Mastodon's ``status_edits``).

    Units of work:
        ``edit_status``: on the first edit, a snapshot of the status as posted (dated
        when it was posted); then the new text, spoiler text, sensitivity, language and
        ``edited_at`` on the status row, its hashtags and mentions replaced, media no
        longer listed unlinked and new ones linked, the full-text index updated, and the
        new version appended to the history — all in ONE transaction. The history is
        append-only: an edit never changes an earlier version. ``delete_status`` takes
        the history with the status.
    """

    def edit_status(
        self,
        edit: StatusEditRecord,
        *,
        tags: Sequence[str],
        mention_ids: Sequence[int],
        original_edit_id: int,
    ) -> StatusRecord | None:
        """Apply ``edit`` (its ``created_at_ms`` is the new ``edited_at``) atomically.

        ``original_edit_id`` is the id of the snapshot of the status as posted, used
        only when the status has no history yet. Media in ``edit.media_ids`` that are
        attached to another status are skipped (the service validates them first).
        Returns the edited status, or None when it does not exist.
        """

    def status_edits(self, status_id: int) -> list[StatusEditRecord]:
        """Return every stored version of a status, oldest first (empty if never edited)."""


class IdempotencyStore(Protocol):
    """What an ``Idempotency-Key`` created; the keys are written by ``create_status``.

    Units of work: none of its own — a key is stored in the transaction of the status
    it created (see `StatusStore`), so a key never points at a status that was not
    stored, and a retried request never stores a second status.
    """

    def idempotent_request(self, account_id: int, key: str) -> tuple[StatusRecord, str] | None:
        """Return the status an account's ``Idempotency-Key`` created, and its fingerprint.

        None if the key was never used, or the status it created has been deleted.
        """


class MediaStore(Protocol):
    """Media metadata; the bytes live in the blob store under their sha256.

    Units of work: each method writes one row. Media are attached to a status by
    ``create_status`` (see `StatusStore`).
    """

    def add_media(self, media: MediaRecord) -> None:
        """Store media metadata (the bytes are in the blob store)."""

    def get_media(self, media_id: int) -> MediaRecord | None:
        """Return one media record."""

    def media_by_hash(self, sha256: str) -> MediaRecord | None:
        """Return any media record with these bytes (to serve its content type)."""

    def update_media_description(self, media_id: int, description: str | None) -> None:
        """Change a media description."""


class SearchStore(Protocol):
    """Full-text search over statuses and hashtag counts; read only.

    Units of work: none (the index follows ``create_status`` and ``delete_status`` in
    their own transactions, so a search never finds a deleted status).
    """

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

        Every word of ``query`` must match; reblogs are never returned. ``order`` is
        ``"recency"`` (newest first) or ``"relevancy"`` (best match first).
        """

    def search_tags(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) for hashtags starting with ``prefix``."""

    def tag_uses_since(self, since_ms: int, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) in public statuses since ``since_ms``, most used first."""


class NotificationStore(Protocol):
    """Notifications per account.

    Units of work: ``add_notification`` one row; ``clear_notifications`` every row of
    the account together; ``dismiss_notifications`` the given rows together.
    Notifications about a deleted status go with it (see `StatusStore`).
    """

    def add_notification(self, note: NotificationRecord) -> None:
        """Store a notification."""

    def notifications(
        self, account_id: int, page: Page, *, types: Sequence[str] | None = None
    ) -> list[NotificationRecord]:
        """Return an account's notifications, newest first."""

    def clear_notifications(self, account_id: int) -> None:
        """Delete every notification of an account."""

    def dismiss_notifications(self, account_id: int, ids: Sequence[int]) -> None:
        """Delete the account's notifications with these ids (others' ids are ignored)."""


class OutboxStore(Protocol):
    """The transactional outbox: the fan-out events every server process tails.

    Events are never written through this protocol: ``create_status`` logs
    ``(status id, author)`` and ``follow`` / ``unfollow`` log ``(None, follower)`` in
    their own transactions, so an event exists if and only if its change was committed.
    Sequence numbers increase in commit order, so a reader resuming after ``seq`` never
    misses an event (an engine whose sequences can commit out of order must serialize the
    event writers to keep this).

    Units of work: ``trim_events`` deletes its rows together.
    """

    def events_since(self, seq: int, limit: int) -> list[tuple[int, int | None, int]]:
        """Return (seq, status_id or None, account_id) entries after ``seq``, oldest first.

        A status id means "fan this status out from account_id"; None means "the follow
        graph of account_id changed: drop its cached home timeline".
        """

    def event_head(self) -> int:
        """Return the newest fan-out log sequence number (0 when empty)."""

    def trim_events(self, before_ms: int) -> int:
        """Delete log entries older than ``before_ms``; return how many."""


class SketchStore(Protocol):
    """Serialized top-k sketches, one per worker and kind, merged by every reader.

    The trend sketches' ``to_bytes()``, not media (media bytes are in the blob store).

    Units of work: ``save_sketch`` replaces one sketch whole; a reader sees the old
    bytes or the new, never a mix.
    """

    def save_sketch(self, name: str, data: bytes, now_ms: int) -> None:
        """Persist (or replace) a named serialized sketch."""

    def load_sketch(self, name: str) -> bytes | None:
        """Return a named sketch saved before, if any."""

    def sketch_names(self, prefix: str) -> list[str]:
        """Return the names of saved sketches that start with ``prefix``, sorted."""


class Store(
    AccountStore,
    ProfileStore,
    AuthStore,
    GraphStore,
    BlockMuteStore,
    FilterStore,
    StatusStore,
    StatusEditStore,
    IdempotencyStore,
    MediaStore,
    SearchStore,
    NotificationStore,
    OutboxStore,
    SketchStore,
    CurationStore,
    Protocol,
):
    """Everything the services persist: every area's protocol, plus the lifecycle.

    SQLite implements it (`SQLiteStore`); another engine implements the same protocols
    and passes the same contract suite (``tests/reference_app/storage``).
    """

    def close(self) -> None:
        """Release connections."""

    def integrity_ok(self) -> bool:
        """Return True if the database passes its own consistency check."""

    def max_id(self) -> int | None:
        """Return the largest Snowflake id stored in any table (to seed the generator)."""
