"""What an account keeps for itself: bookmarks, read markers, lists and followed hashtags.

Mastodon's clients call these every day (the bookmarks and favourites pages, "where did I
stop reading", curated lists of followed accounts with a timeline each, followed tags).
They are small protocols of their own, next to the ones in ``_protocols``; `CurationStore`
is all of them together, and both engines implement it. Paged lists follow `Page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from twitterdesign.reference_app.storage._records import Page

__all__ = [
    "MARKER_TIMELINES",
    "REPLIES_POLICIES",
    "BookmarkStore",
    "CurationStore",
    "FavouriteListStore",
    "ListRecord",
    "ListStore",
    "MarkerRecord",
    "MarkerStore",
    "TagDay",
    "TagFollowStore",
]

MARKER_TIMELINES: tuple[str, ...] = ("home", "notifications")
"""The timelines a read marker can be saved for, as in Mastodon."""

REPLIES_POLICIES: tuple[str, ...] = ("followed", "list", "none")
"""Which replies a list timeline shows: to any followed account, to list members, none."""


@dataclass(frozen=True, slots=True)
class ListRecord:
    """A list of accounts its owner follows (Mastodon's List entity)."""

    id: int
    account_id: int
    title: str
    replies_policy: str
    exclusive: bool
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class MarkerRecord:
    """Where an account stopped reading a timeline."""

    account_id: int
    timeline: str
    last_read_id: int
    version: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class TagDay:
    """One day of a hashtag's use in public statuses: how often, by how many accounts."""

    day_start_ms: int
    uses: int
    accounts: int


class BookmarkStore(Protocol):
    """Bookmarks: statuses an account saved privately, paged by bookmark id.

    Units of work: ``bookmark`` / ``unbookmark`` one row each; a no-op changes nothing
    and returns False. Bookmarks of a deleted status go with it (``delete_status``), and a
    bookmark racing with the deletion is either deleted with it or never stored.
    """

    def bookmark(self, account_id: int, status_id: int, bookmark_id: int, now_ms: int) -> bool:
        """Add a bookmark; return False if the account had it already or the status is gone."""

    def unbookmark(self, account_id: int, status_id: int) -> bool:
        """Remove a bookmark; return False if there was none."""

    def bookmarked_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has bookmarked."""

    def bookmarks_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (bookmark_id, status_id) pairs, newest bookmark first."""

    def viewer_flags(
        self, account_id: int, status_ids: Iterable[int]
    ) -> tuple[set[int], set[int], set[int]]:
        """Return (favourited, reblogged, bookmarked): which of ``status_ids`` the account
        has each — what rendering a page of statuses for a viewer needs, in one read."""


class FavouriteListStore(Protocol):
    """An account's own favourites, paged by favourite id (the "liked" page)."""

    def favourites_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (favourite_id, status_id) pairs, newest favourite first."""


class MarkerStore(Protocol):
    """Read markers: per account and timeline, the last id read, versioned.

    Units of work: ``save_marker`` reads and writes one row together, so two concurrent
    saves both count (the version goes up by one for each that changed the id).
    """

    def save_marker(
        self, account_id: int, timeline: str, last_read_id: int, now_ms: int
    ) -> MarkerRecord:
        """Set a marker and return it.

        A new marker starts at version 1; each save that changes ``last_read_id`` adds 1
        to the version and sets ``updated_at_ms``; a save of the same id changes nothing
        (Mastodon's optimistic-lock column behaves so).
        """

    def markers(self, account_id: int, timelines: Sequence[str]) -> dict[str, MarkerRecord]:
        """Return the account's markers among ``timelines`` (missing ones are absent)."""

    def count_notifications_after(
        self,
        account_id: int,
        after_id: int | None,
        limit: int,
        *,
        types: Sequence[str] | None = None,
        exclude_types: Sequence[str] = (),
    ) -> int:
        """Count the account's notifications with an id above ``after_id``, at most ``limit``."""


class ListStore(Protocol):
    """Lists: an owner's named sets of accounts it follows, each with a timeline.

    Units of work: ``delete_list`` removes the list and its memberships together;
    ``add_list_accounts`` adds every account or none (an account the owner does not
    follow, other than the owner, refuses the whole call); ``unfollow`` (see
    `GraphStore`) takes the unfollowed account out of the follower's lists in its own
    transaction, so a list only ever holds followed accounts.
    """

    def create_list(self, record: ListRecord) -> None:
        """Store a new list."""

    def get_list(self, list_id: int) -> ListRecord | None:
        """Return a list by id."""

    def lists_of(self, owner_id: int) -> list[ListRecord]:
        """Return every list of an owner, oldest first."""

    def update_list(
        self, list_id: int, *, title: str, replies_policy: str, exclusive: bool
    ) -> ListRecord | None:
        """Change a list; return it as stored, or None if it does not exist."""

    def delete_list(self, list_id: int) -> bool:
        """Delete a list and its memberships; return False if there was none."""

    def add_list_accounts(self, list_id: int, members: Mapping[int, int], now_ms: int) -> set[int]:
        """Add ``{account id: membership id}`` to a list, all or none.

        Returns the accounts that refused the call (the owner does not follow them);
        empty when every account was added. Accounts already in the list stay as they were.
        """

    def remove_list_accounts(self, list_id: int, account_ids: Iterable[int]) -> int:
        """Take accounts out of a list; return how many were in it."""

    def list_accounts_page(self, list_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (membership_id, account_id) pairs, newest membership first."""

    def lists_with_account(self, owner_id: int, account_id: int) -> list[ListRecord]:
        """Return the owner's lists that hold ``account_id``, oldest first."""

    def lists_holding(self, list_ids: Iterable[int], account_id: int) -> set[int]:
        """Return which of ``list_ids`` hold ``account_id``."""

    def list_status_ids(self, list_id: int, page: Page) -> list[int]:
        """Return ids of statuses by the list's members that its owner may see.

        Visible means public or unlisted, or followers-only by an account the owner
        follows. A reply to someone else is kept per the list's ``replies_policy``: a
        reply to the owner always, to an account the owner follows under ``followed``,
        to a member of the list under ``list``; a reply in one's own thread always.
        """


class TagFollowStore(Protocol):
    """Followed hashtags per account, paged by follow id, and a hashtag's daily use.

    Units of work: ``follow_tag`` / ``unfollow_tag`` one row; a no-op returns False.
    """

    def follow_tag(self, account_id: int, tag: str, follow_id: int, now_ms: int) -> bool:
        """Follow a (lower-case) hashtag; return False if already followed."""

    def unfollow_tag(self, account_id: int, tag: str) -> bool:
        """Stop following a hashtag; return False if it was not followed."""

    def followed_tag_set(self, account_id: int, tags: Iterable[str]) -> set[str]:
        """Return which of ``tags`` the account follows."""

    def followed_tags_page(self, account_id: int, page: Page) -> list[tuple[int, str]]:
        """Return (follow_id, tag) pairs, newest follow first."""

    def tag_days(self, tag: str, since_ms: int) -> list[TagDay]:
        """Return the days since ``since_ms`` (UTC) on which public statuses used ``tag``.

        ``accounts`` is exact: the distinct authors of that day's statuses with the tag.
        Newest day first; days without a use are absent.
        """


class CurationStore(
    BookmarkStore, FavouriteListStore, MarkerStore, ListStore, TagFollowStore, Protocol
):
    """Every curation protocol together: what `SQLiteStore` and `PostgresStore` add."""
