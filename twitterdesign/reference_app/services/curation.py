"""What an account keeps for itself: bookmarks, its favourites page, read markers, tags.

Bookmarks are private (only their owner sees them, no notification, no counter). Acting
on a reblog acts on the status it reblogs, as for favourites; a status the actor may not
see is "not found". Markers remember where an account stopped reading its home timeline
and its notifications, so another client (or device) resumes there; the unread count of
notifications is counted from the notifications marker. Hashtags can be followed; a
hashtag's page shows a week of its use in public statuses.

References:
    Mastodon, "bookmarks", "favourites", "markers", "tags" API methods,
    https://docs.joinmastodon.org/methods/
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import NotFound, Unprocessable
from twitterdesign.reference_app.storage import (
    MARKER_TIMELINES,
    MarkerRecord,
    Page,
    StatusRecord,
    Store,
    TagDay,
)

__all__ = ["HISTORY_DAYS", "CurationService", "SavedPage", "TagInfo", "normalize_tag"]

HISTORY_DAYS = 7
"""Days of use a Tag's ``history`` reports, newest first (Mastodon's week)."""

_DAY_MS = 86_400_000
_TAG_NAME = re.compile(r"\w{1,100}", re.UNICODE)


def normalize_tag(name: str) -> str:
    """Return a hashtag's stored form (lower case, no ``#``), or raise NotFound.

    A name is what a status's ``#tag`` can be: 1 to 100 letters, digits or ``_``.

    Raises:
        NotFound: Anything else (Mastodon answers 404 for a name that cannot be a tag).

    Examples:
        >>> normalize_tag("#Python")
        'python'
    """
    bare = name[1:] if name.startswith("#") else name
    if not _TAG_NAME.fullmatch(bare):
        raise NotFound("Record not found")
    return bare.lower()


@dataclass(frozen=True, slots=True)
class SavedPage:
    """A page of saved statuses: those still visible, and the page's cursor ids.

    ``cursor_ids`` are the bookmark (or favourite) ids of every row read, visible or not,
    so the next page starts after this one even when a status was hidden since.
    """

    statuses: list[StatusRecord]
    cursor_ids: list[int]


@dataclass(frozen=True, slots=True)
class TagInfo:
    """A hashtag as the Tag entity shows it: its days of use and whether one follows it."""

    name: str
    days: list[TagDay]
    following: bool | None
    today_start_ms: int


class CurationService:
    """Bookmarks, the favourites page, read markers and followed hashtags.

    Args:
        store: Persistence.
        ids: Snowflake id generator.
        clock_ms: Current Unix time in milliseconds.
        get_visible: Returns a status the viewer may see, or raises NotFound.
        hydrate: Loads statuses by id (in order) and drops those the viewer may not see.

    Examples:
        >>> import tempfile
        >>> from twitterdesign.reference_app.services import Services
        >>> from twitterdesign.reference_app.settings import Settings
        >>> s = Services(Settings(data_dir=tempfile.mkdtemp(), argon2_memory_kib=8,
        ...                       argon2_time_cost=1))
        >>> ada = s.accounts.register("ada", "ada@example.org", "correct horse")
        >>> post = s.statuses.create(ada.id, "worth keeping #python")
        >>> s.curation.bookmark(ada.id, post.id).id == post.id
        True
        >>> [x.id for x in s.curation.bookmarks(ada.id, Page()).statuses] == [post.id]
        True
        >>> s.curation.save_markers(ada.id, {"home": post.id})["home"].version
        1
        >>> s.curation.follow_tag(ada.id, "#Python").following
        True
        >>> s.close()
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        clock_ms: Callable[[], int],
        *,
        get_visible: Callable[[int | None, int], StatusRecord],
        hydrate: Callable[[int | None, Sequence[int]], list[StatusRecord]],
    ) -> None:
        self._store = store
        self._ids = ids
        self._now = clock_ms
        self._get_visible = get_visible
        self._hydrate = hydrate

    def _target(self, actor: int, status_id: int) -> StatusRecord:
        status = self._get_visible(actor, status_id)
        if status.reblog_of_id is None:
            return status
        return self._get_visible(actor, status.reblog_of_id)

    # --- bookmarks and favourites --------------------------------------------------------
    def bookmark(self, actor: int, status_id: int) -> StatusRecord:
        """Bookmark a visible status (idempotent); return it.

        Raises:
            NotFound: The status does not exist or ``actor`` may not see it.
        """
        status = self._target(actor, status_id)
        self._store.bookmark(actor, status.id, self._ids.next_id(), self._now())
        return status

    def unbookmark(self, actor: int, status_id: int) -> StatusRecord:
        """Remove a bookmark (idempotent); return the status.

        Raises:
            NotFound: The status does not exist or ``actor`` may not see it.
        """
        status = self._target(actor, status_id)
        self._store.unbookmark(actor, status.id)
        return status

    def bookmarked(self, viewer: int, status_ids: Sequence[int]) -> set[int]:
        """Return which of ``status_ids`` ``viewer`` has bookmarked."""
        return self._store.bookmarked_set(viewer, status_ids)

    def viewer_flags(
        self, viewer: int, status_ids: Sequence[int]
    ) -> tuple[set[int], set[int], set[int]]:
        """Return (favourited, reblogged, bookmarked) among ``status_ids``, in one read."""
        return self._store.viewer_flags(viewer, status_ids)

    def bookmarks(self, owner: int, page: Page) -> SavedPage:
        """Return ``owner``'s bookmarked statuses, newest bookmark first."""
        return self._saved(owner, self._store.bookmarks_page(owner, page))

    def favourites(self, owner: int, page: Page) -> SavedPage:
        """Return the statuses ``owner`` favourited, newest favourite first."""
        return self._saved(owner, self._store.favourites_page(owner, page))

    def _saved(self, owner: int, pairs: list[tuple[int, int]]) -> SavedPage:
        visible = {s.id: s for s in self._hydrate(owner, [sid for _, sid in pairs])}
        return SavedPage(
            [visible[sid] for _, sid in pairs if sid in visible], [i for i, _ in pairs]
        )

    # --- markers ---------------------------------------------------------------------------
    def markers(self, owner: int, timelines: Sequence[str]) -> dict[str, MarkerRecord]:
        """Return ``owner``'s markers of the known ``timelines`` (unknown names are ignored)."""
        wanted = [t for t in timelines if t in MARKER_TIMELINES]
        return self._store.markers(owner, wanted)

    def save_markers(self, owner: int, positions: Mapping[str, int]) -> dict[str, MarkerRecord]:
        """Save ``{timeline: last read id}`` for ``owner``; return the markers saved.

        Raises:
            Unprocessable: No known timeline was given.
        """
        known = {t: i for t, i in positions.items() if t in MARKER_TIMELINES}
        if not known:
            raise Unprocessable(
                "give home[last_read_id] or notifications[last_read_id] to save a marker"
            )
        now = self._now()
        return {t: self._store.save_marker(owner, t, i, now) for t, i in known.items()}

    def unread_notifications(
        self,
        owner: int,
        *,
        limit: int,
        types: Sequence[str] | None = None,
        exclude_types: Sequence[str] = (),
    ) -> int:
        """Count ``owner``'s notifications newer than its notifications marker, up to ``limit``."""
        marker = self._store.markers(owner, ["notifications"]).get("notifications")
        after = None if marker is None else marker.last_read_id
        return self._store.count_notifications_after(
            owner, after, limit, types=types, exclude_types=exclude_types
        )

    # --- hashtags --------------------------------------------------------------------------
    def tag(self, viewer: int | None, name: str) -> TagInfo:
        """Return a hashtag's week of use and whether ``viewer`` follows it.

        Any valid name has a page, used or not (as in Mastodon).

        Raises:
            NotFound: ``name`` cannot be a hashtag.
        """
        tag = normalize_tag(name)
        following = None if viewer is None else bool(self._store.followed_tag_set(viewer, [tag]))
        return self._info(tag, following)

    def _info(self, tag: str, following: bool | None) -> TagInfo:
        today = self._now() // _DAY_MS * _DAY_MS
        days = self._store.tag_days(tag, today - (HISTORY_DAYS - 1) * _DAY_MS)
        return TagInfo(tag, days, following, today)

    def follow_tag(self, actor: int, name: str) -> TagInfo:
        """Follow a hashtag (idempotent).

        Raises:
            NotFound: ``name`` cannot be a hashtag.
        """
        tag = normalize_tag(name)
        self._store.follow_tag(actor, tag, self._ids.next_id(), self._now())
        return self.tag(actor, tag)

    def unfollow_tag(self, actor: int, name: str) -> TagInfo:
        """Stop following a hashtag (idempotent).

        Raises:
            NotFound: ``name`` cannot be a hashtag.
        """
        tag = normalize_tag(name)
        self._store.unfollow_tag(actor, tag)
        return self.tag(actor, tag)

    def followed_tags(self, owner: int, page: Page) -> tuple[list[TagInfo], list[int]]:
        """Return the hashtags ``owner`` follows, newest follow first, and their follow ids."""
        pairs = self._store.followed_tags_page(owner, page)
        return [self._info(t, True) for _, t in pairs], [i for i, _ in pairs]
