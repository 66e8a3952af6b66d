"""Status edits: change what a status says, keep every earlier version, tell who cares.

As Mastodon (``UpdateStatusService``): only the author edits, with the rules of posting
(`StatusService.check_content`); a parameter left out keeps its current value. The first
edit stores a snapshot of the status as posted, each edit appends the new version, so a
status's history (`history`) is append-only and its last entry is what the status says
now; a status never edited shows one version, itself. The hashtags, mentions and
full-text index follow the new text (the store's ``edit_status`` does it in the
transaction of the edit). After an edit, every account that reblogged the status gets an
``update`` notification, newly mentioned accounts a ``mention``, and `on_edited` hears of
it (the streaming API's ``status.update`` event).

References:
    Mastodon, "Edit a status", https://docs.joinmastodon.org/methods/statuses/#edit
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import NotFound, Unprocessable
from twitterdesign.reference_app.services._text import extract_hashtags, extract_mentions
from twitterdesign.reference_app.services.notifications import NotificationService
from twitterdesign.reference_app.services.statuses import StatusService
from twitterdesign.reference_app.storage import (
    MediaRecord,
    Page,
    StatusEditRecord,
    StatusRecord,
    Store,
)

__all__ = ["StatusEditService", "StatusSource"]


@dataclass(frozen=True, slots=True)
class StatusSource:
    """What a status says as typed, for a client's edit form (Mastodon's StatusSource)."""

    id: int
    text: str
    spoiler_text: str


class StatusEditService:
    """Edit statuses and read their history.

    Args:
        store: Persistence.
        ids: Snowflake id generator (history entries get ids in edit order).
        clock_ms: Current Unix time in milliseconds.
        statuses: Visibility checks and the content rules of posting.
        notifications: Where ``update`` and new ``mention`` notifications go.
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        clock_ms: Callable[[], int],
        *,
        statuses: StatusService,
        notifications: NotificationService,
    ) -> None:
        self._store = store
        self._ids = ids
        self._now = clock_ms
        self._statuses = statuses
        self._notifications = notifications
        self.on_edited: Callable[[StatusRecord], None] | None = None
        """Called with each edited status (the streaming API's ``status.update``)."""

    def edit(
        self,
        actor: int,
        status_id: int,
        *,
        text: str | None = None,
        spoiler_text: str | None = None,
        sensitive: bool | None = None,
        language: str | None = None,
        media_ids: Sequence[int] | None = None,
    ) -> StatusRecord:
        """Edit one's own status; a parameter left as None keeps its current value.

        Returns:
            The edited status (``edited_at_ms`` set).

        Raises:
            NotFound: The status does not exist, is not visible to ``actor``, or is not
                theirs (Mastodon answers 404 then too).
            Unprocessable: A reblog, or content breaking a rule of posting.
        """
        status = self._statuses.get_visible(actor, status_id)
        if status.account_id != actor:
            raise NotFound("Record not found")
        if status.reblog_of_id is not None:
            raise Unprocessable("a reblog cannot be edited; edit the status it reblogs")
        new_text = status.text if text is None else text
        new_spoiler = status.spoiler_text if spoiler_text is None else spoiler_text
        new_sensitive = status.sensitive
        if sensitive is not None or spoiler_text is not None:
            new_sensitive = bool(sensitive) or bool(new_spoiler)
        media = (
            [m.id for m in status.media] if media_ids is None else list(dict.fromkeys(media_ids))
        )
        checked_language = self._statuses.check_content(
            actor,
            new_text,
            spoiler_text=new_spoiler,
            language=language,
            media_ids=media,
            status_id=status.id,
        )
        mentioned = [
            a.id
            for name in extract_mentions(new_text)
            if (a := self._store.account_by_username(name)) is not None
        ]
        original_id = self._ids.next_id()  # before the edit's id: history sorts by id
        edit = StatusEditRecord(
            id=self._ids.next_id(),
            status_id=status.id,
            account_id=actor,
            text=new_text,
            spoiler_text=new_spoiler,
            sensitive=new_sensitive,
            language=status.language if language is None else checked_language,
            media_ids=tuple(media),
            created_at_ms=max(self._now(), status.created_at_ms),
        )
        edited = self._store.edit_status(
            edit,
            tags=extract_hashtags(new_text),
            mention_ids=mentioned,
            original_edit_id=original_id,
        )
        if edited is None:  # deleted meanwhile
            raise NotFound("Record not found")
        self._notify(status, edited)
        if self.on_edited is not None:
            self.on_edited(edited)
        return edited

    def _notify(self, before: StatusRecord, edited: StatusRecord) -> None:
        """``update`` for those who reblogged it, ``mention`` for the newly mentioned."""
        cursor: int | None = None
        while True:
            pairs = self._store.reblogged_by(edited.id, Page(max_id=cursor, limit=200))
            for _, account_id in pairs:
                if self._statuses.visible(account_id, [edited]):
                    self._notifications.add(account_id, "update", edited.account_id, edited.id)
            if len(pairs) < 200:
                break
            cursor = pairs[-1][0]
        for account_id in set(edited.mention_ids) - set(before.mention_ids):
            if account_id != edited.account_id and self._statuses.visible(account_id, [edited]):
                self._notifications.add(account_id, "mention", edited.account_id, edited.id)

    def history(self, viewer: int | None, status_id: int) -> list[StatusEditRecord]:
        """Return every version of a status ``viewer`` may see, oldest first.

        A status never edited has one version: itself, dated when it was posted.

        Raises:
            NotFound: The status does not exist or is not visible to ``viewer``.
        """
        status = self._statuses.get_visible(viewer, status_id)
        edits = self._store.status_edits(status.id)
        if edits:
            return edits
        return [
            StatusEditRecord(
                id=status.id,
                status_id=status.id,
                account_id=status.account_id,
                text=status.text,
                spoiler_text=status.spoiler_text,
                sensitive=status.sensitive,
                language=status.language,
                media_ids=tuple(m.id for m in status.media),
                created_at_ms=status.edited_at_ms or status.created_at_ms,
            )
        ]

    def media_of(self, edits: Sequence[StatusEditRecord]) -> dict[int, MediaRecord]:
        """Return the media the versions ``edits`` list, by id (for rendering them)."""
        out: dict[int, MediaRecord] = {}
        for media_id in {m for e in edits for m in e.media_ids}:
            found = self._store.get_media(media_id)
            if found is not None:
                out[media_id] = found
        return out

    def source(self, viewer: int | None, status_id: int) -> StatusSource:
        """Return a visible status's text and spoiler text as typed (for an edit form).

        Raises:
            NotFound: The status does not exist or is not visible to ``viewer``.
        """
        status = self._statuses.get_visible(viewer, status_id)
        return StatusSource(status.id, status.text, status.spoiler_text)
