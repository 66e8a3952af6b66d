"""The follow graph: follow, unfollow, block, mute, relationships and follower lists.

Follower and following lists are public, as in Mastodon for unlocked accounts; a
relationship is always between the caller and another account, never between two others.

Blocks and mutes as Mastodon has them: a block removes the follows both ways and forbids
following either way while it lasts; a mute (for ever, or ``duration_s`` seconds; with or
without the account's notifications) only hides. What they hide is decided when content
is read (`StatusService` and `NotificationService`), so statuses already pushed into a
home timeline before the block disappear too. The lists of one's blocks and mutes are
private to their owner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import Forbidden, Unprocessable
from twitterdesign.reference_app.services.accounts import AccountService
from twitterdesign.reference_app.services.notifications import NotificationService
from twitterdesign.reference_app.services.timelines import TimelineService
from twitterdesign.reference_app.storage import Page, Store

__all__ = ["MAX_MUTE_DURATION_S", "GraphService", "Relationship"]


@dataclass(frozen=True, slots=True)
class Relationship:
    """How the caller and account ``id`` are connected."""

    id: int
    following: bool
    """The caller follows ``id``."""
    followed_by: bool
    """``id`` follows the caller."""
    blocking: bool = False
    """The caller blocks ``id``."""
    blocked_by: bool = False
    """``id`` blocks the caller."""
    muting: bool = False
    """The caller mutes ``id`` (a live mute)."""
    muting_notifications: bool = False
    """The caller's mute of ``id`` hides its notifications too."""


MAX_MUTE_DURATION_S = 100 * 365 * 86_400
"""Longest timed mute accepted, in seconds (0 means for ever)."""


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
            Forbidden: Either account blocks the other.
        """
        if follower == followee:
            raise Unprocessable("You cannot follow yourself")
        self._accounts.get(followee)
        rel = self._store.relations_of(follower, now_ms=self._now())
        if followee in rel.blocking or followee in rel.blocked_by:
            raise Forbidden("This action is not allowed: a block stands between the accounts")
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
        rel = self._store.relations_of(viewer, now_ms=self._now())
        return [
            Relationship(
                i,
                i in following,
                i in followed_by,
                blocking=i in rel.blocking,
                blocked_by=i in rel.blocked_by,
                muting=i in rel.muting,
                muting_notifications=i in rel.muting_notifications,
            )
            for i in others
        ]

    # --- blocks and mutes ------------------------------------------------------------
    def block(self, actor: int, target: int) -> None:
        """Block an account: follows both ways end, and neither may follow the other.

        Raises:
            Unprocessable: ``actor`` is ``target``.
            NotFound: ``target`` does not exist.
        """
        if actor == target:
            raise Unprocessable("You cannot block yourself")
        self._accounts.get(target)
        if self._store.block(actor, target, self._ids.next_id(), self._now()):
            self._timelines.invalidate(actor)
            self._timelines.invalidate(target)

    def unblock(self, actor: int, target: int) -> None:
        """Remove a block (a no-op if there was none).

        Raises:
            NotFound: ``target`` does not exist.
        """
        self._accounts.get(target)
        self._store.unblock(actor, target)

    def mute(
        self, actor: int, target: int, *, notifications: bool = True, duration_s: int = 0
    ) -> None:
        """Mute an account, for ever (``duration_s`` 0) or for ``duration_s`` seconds.

        Muting again replaces the flag and the duration.

        Raises:
            Unprocessable: ``actor`` is ``target``, or a duration out of range.
            NotFound: ``target`` does not exist.
        """
        if actor == target:
            raise Unprocessable("You cannot mute yourself")
        if not 0 <= duration_s <= MAX_MUTE_DURATION_S:
            raise Unprocessable(
                f"duration must be 0 (for ever) to {MAX_MUTE_DURATION_S} seconds, not {duration_s}"
            )
        self._accounts.get(target)
        now = self._now()
        self._store.mute(
            actor,
            target,
            self._ids.next_id(),
            notifications=notifications,
            expires_at_ms=now + duration_s * 1000 if duration_s else None,
            now_ms=now,
        )

    def unmute(self, actor: int, target: int) -> None:
        """Remove a mute (a no-op if there was none).

        Raises:
            NotFound: ``target`` does not exist.
        """
        self._accounts.get(target)
        self._store.unmute(actor, target)

    def blocks(self, actor: int, page: Page) -> list[tuple[int, int]]:
        """Return (block id, blocked account id) pairs of ``actor``, newest first."""
        return self._store.blocks_page(actor, page)

    def mutes(self, actor: int, page: Page) -> list[tuple[int, int, int | None]]:
        """Return (mute id, muted account id, expires at ms) of ``actor``'s live mutes."""
        return self._store.mutes_page(actor, page, now_ms=self._now())

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
