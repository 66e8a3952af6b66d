"""The follow graph: follow, unfollow, relationships and follower lists.

Follower and following lists are public, as in Mastodon for unlocked accounts; a
relationship is always between the caller and another account, never between two others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import Unprocessable
from twitterdesign.reference_app.services.accounts import AccountService
from twitterdesign.reference_app.services.notifications import NotificationService
from twitterdesign.reference_app.services.timelines import TimelineService
from twitterdesign.reference_app.storage import Page, Store

__all__ = ["GraphService", "Relationship"]


@dataclass(frozen=True, slots=True)
class Relationship:
    """How the caller and account ``id`` are connected."""

    id: int
    following: bool
    """The caller follows ``id``."""
    followed_by: bool
    """``id`` follows the caller."""


class GraphService:
    """Who follows whom.

    Args:
        store: Persistence.
        ids: Snowflake id generator (follow edges get ids, for pagination).
        clock_ms: Current Unix time in milliseconds.
        accounts: Checks that the other account exists.
        timelines: Told to rebuild a follower's home timeline after a change.
        notifications: Tells an account about a new follower.
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        clock_ms: Callable[[], int],
        *,
        accounts: AccountService,
        timelines: TimelineService,
        notifications: NotificationService,
    ) -> None:
        self._store = store
        self._ids = ids
        self._now = clock_ms
        self._accounts = accounts
        self._timelines = timelines
        self._notifications = notifications

    def follow(self, follower: int, followee: int) -> None:
        """Follow an account and refresh the follower's home timeline cache.

        Raises:
            Unprocessable: ``follower`` is ``followee``.
            NotFound: ``followee`` does not exist.
        """
        if follower == followee:
            raise Unprocessable("You cannot follow yourself")
        self._accounts.get(followee)
        if self._store.follow(follower, followee, self._ids.next_id(), self._now()):
            self._timelines.invalidate(follower)
            self._notifications.add(followee, "follow", follower, None)

    def unfollow(self, follower: int, followee: int) -> None:
        """Unfollow an account and refresh the follower's home timeline cache.

        Raises:
            NotFound: ``followee`` does not exist.
        """
        self._accounts.get(followee)
        if self._store.unfollow(follower, followee):
            self._timelines.invalidate(follower)

    def relationships(self, viewer: int, others: Sequence[int]) -> list[Relationship]:
        """Return the viewer's relationship with each of ``others``, in their order."""
        following = self._store.following_set(viewer, others)
        followed_by = self._store.followed_by_set(viewer, others)
        return [Relationship(i, i in following, i in followed_by) for i in others]

    def followers(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (follow edge id, follower id) pairs, newest follow first.

        Raises:
            NotFound: The account does not exist.
        """
        self._accounts.get(account_id)
        return self._store.followers_page(account_id, page)

    def following(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (follow edge id, followee id) pairs, newest follow first.

        Raises:
            NotFound: The account does not exist.
        """
        self._accounts.get(account_id)
        return self._store.following_page(account_id, page)
