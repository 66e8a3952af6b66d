"""The records the stores hand back: frozen rows, engine-neutral, plus ``Page``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACCOUNT_COLUMNS",
    "VISIBILITIES",
    "AccountRecord",
    "AccountRelations",
    "AppRecord",
    "AuthCodeRecord",
    "FilterKeywordRecord",
    "FilterRecord",
    "MediaRecord",
    "NotificationRecord",
    "Page",
    "StatusEditRecord",
    "StatusRecord",
    "TokenRecord",
    "account_of_row",
    "row_of",
]

VISIBILITIES: tuple[str, ...] = ("public", "unlisted", "private", "direct")
"""Status visibilities: ``private`` means followers-only and ``direct`` the author and the
mentioned accounts only, as in Mastodon."""

COUNTED_REPLY_VISIBILITIES: tuple[str, ...] = ("public", "unlisted")
"""Replies counted in their parent's ``replies_count`` (Mastodon's "distributable" ones):
a count must not leak a followers-only or direct reply."""


@dataclass(frozen=True, slots=True)
class Page:
    """Mastodon-style cursor pagination over id-ordered rows; the one contract of every list.

    Every paged listing of every store orders its rows by one unique id (a status id, a
    follow edge id, a favourite id, a notification id) and obeys the same rules:

    - The filters combine: ``max_id`` keeps ids strictly below it, ``since_id`` and
      ``min_id`` keep ids strictly above them. A row equal to a cursor is never returned.
    - Without ``min_id`` the page holds the ``limit`` *largest* ids that pass; with
      ``min_id`` it holds the ``limit`` *smallest* ids above it (the page right after the
      cursor). Either way the page comes back newest (largest id) first.
    - A page has at most ``limit`` rows; fewer than ``limit`` means nothing more passes the
      filters (at the time of the read).
    - So ``Page(max_id=page[-1])`` reads the next older page and ``Page(min_id=page[0])``
      the next newer one, with no row skipped or repeated while nothing is written.

    Attributes:
        max_id: Only rows with an id strictly below this.
        since_id: Only rows with an id strictly above this (newest page first).
        min_id: Only rows with an id strictly above this, the page right after it.
        limit: At most this many rows.

    Examples:
        >>> Page(max_id=100, limit=2)
        Page(max_id=100, since_id=None, min_id=None, limit=2)
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
    bot: bool = False
    discoverable: bool = True
    fields: tuple[tuple[str, str], ...] = ()
    privacy: str = "public"
    sensitive: bool = False
    language: str | None = None


@dataclass(frozen=True, slots=True)
class AccountRelations:
    """Whom an account blocks and mutes, and who blocks it (live mutes only).

    Attributes:
        blocking: Accounts it blocks.
        blocked_by: Accounts that block it.
        muting: Accounts it mutes (unexpired).
        muting_notifications: Those of ``muting`` whose notifications are muted too.
    """

    blocking: frozenset[int] = frozenset()
    blocked_by: frozenset[int] = frozenset()
    muting: frozenset[int] = frozenset()
    muting_notifications: frozenset[int] = frozenset()

    def hidden_in_timelines(self) -> frozenset[int]:
        """Authors whose statuses (and reblogs of them) the account never sees in lists.

        Examples:
            >>> sorted(AccountRelations(frozenset({1}), frozenset({2}), frozenset({3}))
            ...        .hidden_in_timelines())
            [1, 2, 3]
        """
        return self.blocking | self.blocked_by | self.muting

    def hidden_in_notifications(self) -> frozenset[int]:
        """Accounts whose notifications (and statuses in them) the account never sees.

        Examples:
            >>> AccountRelations(muting=frozenset({3})).hidden_in_notifications()
            frozenset()
        """
        return self.blocking | self.blocked_by | self.muting_notifications


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
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    edited_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class StatusEditRecord:
    """One version of a status, as it read from ``created_at_ms`` until the next edit.

    A status's history starts with its original text (stored at its first edit, dated
    when the status was posted) and gains one record per edit; the last one is what the
    status says now.
    """

    id: int
    status_id: int
    account_id: int
    text: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    media_ids: tuple[int, ...]
    created_at_ms: int


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
class FilterKeywordRecord:
    """One keyword of a filter; ``whole_word`` matches it only between word boundaries."""

    id: int
    keyword: str
    whole_word: bool


@dataclass(frozen=True, slots=True)
class FilterRecord:
    """A content filter of an account (Mastodon's v2 Filter) with its keywords.

    ``context`` names where it applies (``home``, ``notifications``, ``public``,
    ``thread``, ``account``); ``action`` is ``warn`` or ``hide``; it stops applying at
    ``expires_at_ms`` (None: never).
    """

    id: int
    account_id: int
    title: str
    context: tuple[str, ...]
    action: str
    expires_at_ms: int | None
    created_at_ms: int
    keywords: tuple[FilterKeywordRecord, ...] = ()


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


ACCOUNT_COLUMNS = (
    "id, username, display_name, note, created_at, followers_count, following_count, "
    "statuses_count, last_status_at, bot, discoverable, fields, privacy, sensitive, language"
)
"""The ``accounts`` columns `account_of_row` reads, in its order (both engines)."""


def account_of_row(row: Sequence[Any]) -> AccountRecord:
    """Build an `AccountRecord` from a row of `ACCOUNT_COLUMNS` (``fields`` is JSON text).

    Examples:
        >>> account_of_row((1, "ada", "", "", 0, 0, 0, 0, None, 0, 1, '[["web", "x"]]',
        ...                 "public", 0, None)).fields
        (('web', 'x'),)
    """
    fields = tuple((str(n), str(v)) for n, v in json.loads(row[11] or "[]"))
    return AccountRecord(
        id=row[0],
        username=row[1],
        display_name=row[2],
        note=row[3],
        created_at_ms=row[4],
        followers_count=row[5],
        following_count=row[6],
        statuses_count=row[7],
        last_status_at_ms=row[8],
        bot=bool(row[9]),
        discoverable=bool(row[10]),
        fields=fields,
        privacy=str(row[12]),
        sensitive=bool(row[13]),
        language=row[14],
    )


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def row_of(record: object) -> tuple[object, ...]:
    """Return a flat record's fields in declaration order: the columns of its table row.

    Examples:
        >>> row_of(TokenRecord("h", 1, 2, "read", 0))
        ('h', 1, 2, 'read', 0)
    """
    cls = type(record)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return tuple(getattr(record, name) for name in names)
