"""Engagement: favourites and reblogs (retweets) of statuses.

Every action first checks that the actor may see the status (`StatusService.get_visible`);
acting on a reblog acts on the status it reblogs. Each new favourite or reblog notifies
the author and is reported to ``on_interaction`` (trends).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import Forbidden
from twitterdesign.reference_app.services.notifications import NotificationService
from twitterdesign.reference_app.services.timelines import TimelineService
from twitterdesign.reference_app.storage import (
    VISIBILITIES,
    Page,
    StatusRecord,
    Store,
    counter_key_prefixes,
)

if TYPE_CHECKING:
    from twitterdesign.reference_app.services.counters import StatusCounts
    from twitterdesign.reference_app.services.statuses import StatusService

__all__ = ["EngagementService"]


class EngagementService:
    """Favourite, unfavourite, reblog and unreblog, and who did so.

    Args:
        store: Persistence.
        ids: Snowflake id generator.
        clock_ms: Current Unix time in milliseconds.
        statuses: Checks visibility.
        timelines: Receives each reblog for fan-out.
        notifications: Tells authors about favourites and reblogs.
        on_interaction: Called with ``(kind, status)`` for new favourites and reblogs.
        counts: Applies the deferred counter events of each action at once (so the
            returned status counts it); None: counters are inline.
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        clock_ms: Callable[[], int],
        *,
        statuses: StatusService,
        timelines: TimelineService,
        notifications: NotificationService,
        on_interaction: Callable[[str, StatusRecord], None] | None = None,
        counts: StatusCounts | None = None,
    ) -> None:
        self._store = store
        self._counts = counts
        self._ids = ids
        self._now = clock_ms
        self._statuses = statuses
        self._timelines = timelines
        self._notifications = notifications
        self._on_interaction = on_interaction

    def favourite(self, actor: int, status_id: int) -> StatusRecord:
        """Favourite a visible status (idempotent) and notify its author."""
        status = self._unwrap(self._statuses.get_visible(actor, status_id), actor)
        if self._store.favourite(actor, status.id, self._ids.next_id(), self._now()):
            self._notifications.add(status.account_id, "favourite", actor, status.id)
            if self._on_interaction is not None:
                self._on_interaction("favourite", status)
        self._apply_own(counter_key_prefixes(favourite=(actor, status.id)))
        return self._store.get_statuses([status.id])[status.id]

    def unfavourite(self, actor: int, status_id: int) -> StatusRecord:
        """Remove a favourite (idempotent)."""
        status = self._unwrap(self._statuses.get_visible(actor, status_id), actor)
        self._store.unfavourite(actor, status.id)
        self._apply_own(counter_key_prefixes(favourite=(actor, status.id)))
        return self._store.get_statuses([status.id])[status.id]

    def reblog(self, actor: int, status_id: int, *, visibility: str = "public") -> StatusRecord:
        """Reblog (retweet) a visible status; returns the reblog wrapper status.

        Raises:
            Forbidden: The status is followers-only or direct (neither can be reblogged).
        """
        original = self._unwrap(self._statuses.get_visible(actor, status_id), actor)
        if original.visibility in ("private", "direct"):
            raise Forbidden("Private statuses cannot be reblogged")
        existing = self._store.reblog_of(actor, original.id)
        if existing is not None:
            self._apply_own(counter_key_prefixes(status_ids=[existing]))
            return self._store.get_statuses([existing])[existing]
        if visibility not in VISIBILITIES or visibility in ("private", "direct"):
            visibility = "public"
        if original.visibility == "unlisted":
            visibility = "unlisted"
        record = StatusRecord(
            id=self._ids.next_id(),
            account_id=actor,
            text="",
            visibility=visibility,
            in_reply_to_id=None,
            in_reply_to_account_id=None,
            reblog_of_id=original.id,
            created_at_ms=self._now(),
            replies_count=0,
            reblogs_count=0,
            favourites_count=0,
            views_count=0,
        )
        stored, _ = self._store.create_status(record)
        self._apply_own(counter_key_prefixes(status_ids=[stored.id]))
        self._timelines.on_new_status(stored)
        self._notifications.add(original.account_id, "reblog", actor, original.id)
        if self._on_interaction is not None:
            self._on_interaction("reblog", original)
        return stored

    def unreblog(self, actor: int, status_id: int) -> StatusRecord:
        """Undo a reblog; returns the original status."""
        original = self._unwrap(self._statuses.get_visible(actor, status_id), actor)
        existing = self._store.reblog_of(actor, original.id)
        if existing is not None:
            wrapper = self._store.get_statuses([existing]).get(existing)
            self._store.delete_status(existing)
            self._apply_own(counter_key_prefixes(status_ids=[existing]))
            if wrapper is not None and self._statuses.on_deleted is not None:
                self._statuses.on_deleted(wrapper)
        return self._store.get_statuses([original.id])[original.id]

    def _apply_own(self, prefixes: list[str]) -> None:
        if self._counts is not None:
            self._counts.apply_own(prefixes)

    def _unwrap(self, status: StatusRecord, viewer: int) -> StatusRecord:
        if status.reblog_of_id is None:
            return status
        return self._statuses.get_visible(viewer, status.reblog_of_id)

    def favourited_by(
        self, viewer: int | None, status_id: int, page: Page
    ) -> list[tuple[int, int]]:
        """Return (favourite id, account id) pairs for a status the viewer may see."""
        self._statuses.get_visible(viewer, status_id)
        return self._store.favourited_by(status_id, page)

    def reblogged_by(self, viewer: int | None, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (reblog id, account id) pairs for a status the viewer may see."""
        self._statuses.get_visible(viewer, status_id)
        return self._store.reblogged_by(status_id, page)

    def interactions(self, viewer: int, status_ids: Sequence[int]) -> tuple[set[int], set[int]]:
        """Return (favourited, reblogged): which of ``status_ids`` ``viewer`` has each."""
        return self._store.interactions(viewer, status_ids)
