"""Statuses: post, read, delete, reply and context; visibility for every path.

Favourites and reblogs live in `engagement`, notifications in `notifications`, text
parsing in `_text`.

Visibility is enforced here, once, for every endpoint: ``public`` and ``unlisted``
statuses are readable by anyone (only ``public`` ones appear in public streams, tags,
search by strangers and trends); ``private`` (followers-only) statuses are readable only by
their author and the author's followers — never via a reblog, a reply's context, a
notification, search, or a count on a status (a followers-only reply does not raise its
parent's ``replies_count``). ``direct`` statuses are readable only by their author and the
accounts they mention (found by ``mention_ids``), on every path alike: not in anyone
else's home, profile, search, context or notifications, never reblogged or counted as a
reply, and streamed only on the ``direct`` streams of those accounts.

The author's own ``statuses_count`` (and ``last_status_at``) do include their
followers-only statuses, as Mastodon's and Twitter's do for protected posts. The number
belongs to the author and says nothing of what the posts say, and one count per account
keeps an account the same for every viewer — cacheable and consistent across clients —
where a per-viewer count would show one profile with different numbers to different people.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import NotFound, Unprocessable
from twitterdesign.reference_app.services._text import (
    extract_hashtags,
    extract_mentions,
    request_fingerprint,
)
from twitterdesign.reference_app.services.counters import StatusCounts
from twitterdesign.reference_app.services.engagement import EngagementService
from twitterdesign.reference_app.services.notifications import NotificationService
from twitterdesign.reference_app.services.timelines import TimelineService
from twitterdesign.reference_app.storage import (
    VISIBILITIES,
    AccountRelations,
    Page,
    StatusRecord,
    Store,
    counter_key_prefixes,
)

__all__ = [
    "HideRule",
    "StatusService",
    "extract_hashtags",
    "extract_mentions",
    "request_fingerprint",
]

_LANGUAGE = re.compile(r"[a-z]{2,3}")

HideRule = Literal["timelines", "notifications"]
"""Which blocks and mutes hide a status: those of timelines, or of notifications."""

_NO_RELATIONS = AccountRelations()


class StatusService:
    """Everything about statuses, with visibility checked on every path.

    Args:
        store: Persistence.
        ids: Snowflake id generator.
        timelines: Receives each new status for fan-out.
        clock_ms: Current Unix time in milliseconds.
        max_chars: Longest text accepted.
        max_media: Most media attachments per status.
        on_created: Called with each stored status (trends, metrics).
        on_interaction: Called with ``(kind, status)`` for favourites and reblogs.
        counts: Applies the deferred counter events of a reply or deletion at once;
            None: counters are inline.
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        timelines: TimelineService,
        clock_ms: Callable[[], int],
        *,
        max_chars: int = 280,
        max_media: int = 4,
        on_created: Callable[[StatusRecord], None] | None = None,
        on_interaction: Callable[[str, StatusRecord], None] | None = None,
        counts: StatusCounts | None = None,
    ) -> None:
        self._store = store
        self._counts = counts
        self._ids = ids
        self._timelines = timelines
        self._now = clock_ms
        self.max_chars = max_chars
        self.max_media = max_media
        self._on_created = on_created
        # Called with each deleted status or reblog (the streaming API's delete events).
        self.on_deleted: Callable[[StatusRecord], None] | None = None
        self.notifications = NotificationService(
            store,
            ids,
            clock_ms,
            hydrate=lambda viewer, ids: self.hydrate(viewer, ids, hide="notifications"),
            hidden_accounts=lambda owner: self.relations(owner).hidden_in_notifications(),
        )
        """Where statuses send their notifications (`Services.notifications`)."""
        self.engagement = EngagementService(
            store,
            ids,
            clock_ms,
            statuses=self,
            timelines=timelines,
            notifications=self.notifications,
            on_interaction=on_interaction,
            counts=counts,
        )
        """Favourites and reblogs of these statuses (`Services.engagement`)."""

    def count(self) -> int:
        """Return how many statuses exist (every visibility: a number, not their content)."""
        return self._store.count_statuses()

    def get_many(self, ids: Iterable[int]) -> dict[int, StatusRecord]:
        """Return statuses by id, *without* a visibility check, for rendering.

        Only for statuses already checked, and the originals of reblogs already checked
        (a reblog is visible only with its original, see `visible`).
        """
        return self._store.get_statuses(ids)

    # --- visibility ------------------------------------------------------------------
    def visible(self, viewer: int | None, statuses: Iterable[StatusRecord]) -> list[StatusRecord]:
        """Return the statuses ``viewer`` may see, in the given order.

        A reblog is visible only if the status it reblogs is visible too.
        """
        items = list(statuses)
        originals = self._store.get_statuses(
            s.reblog_of_id for s in items if s.reblog_of_id is not None
        )
        # Only followers-only statuses by others need the follow graph.
        authors = {
            s.account_id
            for s in (*items, *originals.values())
            if s.visibility == "private" and s.account_id != viewer
        }
        followed = (
            self._store.following_set(viewer, authors) if viewer is not None and authors else set()
        )

        def ok(s: StatusRecord) -> bool:
            if s.visibility == "direct":
                return viewer is not None and (s.account_id == viewer or viewer in s.mention_ids)
            if s.visibility != "private":
                return True
            return viewer is not None and (s.account_id == viewer or s.account_id in followed)

        out: list[StatusRecord] = []
        for s in items:
            if not ok(s):
                continue
            if s.reblog_of_id is not None:
                original = originals.get(s.reblog_of_id)
                if original is None or not ok(original):
                    continue
            out.append(s)
        return out

    def get_visible(self, viewer: int | None, status_id: int) -> StatusRecord:
        """Return one status if it exists and ``viewer`` may see it, else raise NotFound."""
        found = self._store.get_statuses([status_id]).get(status_id)
        if found is None or not self.visible(viewer, [found]):
            raise NotFound("Record not found")
        return found

    def hydrate(
        self, viewer: int | None, ids: Sequence[int], *, hide: HideRule | None = "timelines"
    ) -> list[StatusRecord]:
        """Load statuses by id (keeping order) and drop the ones ``viewer`` may not see.

        With ``hide`` (the default for every list of statuses) the statuses of accounts
        the viewer blocks, mutes or is blocked by are dropped too (`hide_relations`);
        None keeps them (a profile page or an explicit fetch by id).
        """
        found = self._store.get_statuses(ids)
        shown = self.visible(viewer, [found[i] for i in ids if i in found])
        if hide is None or viewer is None:
            return shown
        return self.hide_relations(viewer, shown, hide=hide)

    # --- blocks and mutes ------------------------------------------------------------
    def relations(self, viewer: int | None) -> AccountRelations:
        """Return whom ``viewer`` blocks and mutes and who blocks them (none if anonymous)."""
        if viewer is None:
            return _NO_RELATIONS
        return self._store.relations_of(viewer, now_ms=self._now())

    def hide_relations(
        self,
        viewer: int,
        statuses: Sequence[StatusRecord],
        *,
        hide: HideRule = "timelines",
        relations: AccountRelations | None = None,
    ) -> list[StatusRecord]:
        """Drop statuses (and reblogs of statuses) by accounts ``viewer`` must not see here.

        ``hide="timelines"``: accounts the viewer blocks, mutes, or is blocked by;
        ``hide="notifications"``: blocks either way and mutes that cover notifications.
        Decided when read, so a status pushed into a timeline before the block is hidden.
        """
        rel = relations if relations is not None else self.relations(viewer)
        hidden = rel.hidden_in_timelines() if hide == "timelines" else rel.hidden_in_notifications()
        if not hidden:
            return list(statuses)
        kept = [s for s in statuses if s.account_id not in hidden]
        originals = self._store.get_statuses(
            s.reblog_of_id for s in kept if s.reblog_of_id is not None
        )
        return [
            s
            for s in kept
            if s.reblog_of_id is None
            or (
                (original := originals.get(s.reblog_of_id)) is not None
                and original.account_id not in hidden
            )
        ]

    # --- writes ----------------------------------------------------------------------
    def create(
        self,
        author: int,
        text: str,
        *,
        visibility: str = "public",
        in_reply_to_id: int | None = None,
        media_ids: Sequence[int] = (),
        idempotency_key: str | None = None,
        spoiler_text: str = "",
        sensitive: bool = False,
        language: str | None = None,
    ) -> StatusRecord:
        """Store a new status and queue it for fan-out; return it at once.

        With an ``idempotency_key`` the author used before for the same request (see
        `request_fingerprint`), the status created then is returned before any other
        check, so a retry succeeds even though, say, its media are attached by now.

        Raises:
            Unprocessable: Empty or over-long text, unknown visibility, too many or
                foreign media, or an ``idempotency_key`` used before for another request.
            NotFound: ``in_reply_to_id`` does not exist or is not visible to the author.
        """
        text = text if isinstance(text, str) else ""
        earlier = self.replay(
            author,
            idempotency_key,
            text=text,
            visibility=visibility,
            in_reply_to_id=in_reply_to_id,
            media_ids=media_ids,
        )
        if earlier is not None:
            return earlier
        if visibility not in VISIBILITIES:
            raise Unprocessable(f"visibility must be one of {', '.join(VISIBILITIES)}")
        language = self.check_content(
            author, text, spoiler_text=spoiler_text, language=language, media_ids=media_ids
        )
        reply_to_account = None
        requested_parent = in_reply_to_id
        if in_reply_to_id is not None:
            parent = self.get_visible(author, in_reply_to_id)
            if parent.reblog_of_id is not None:
                parent = self.get_visible(author, parent.reblog_of_id)
            in_reply_to_id, reply_to_account = parent.id, parent.account_id
        mentioned = [
            a.id
            for name in extract_mentions(text)
            if (a := self._store.account_by_username(name)) is not None
        ]
        record = StatusRecord(
            id=self._ids.next_id(),
            account_id=author,
            text=text,
            visibility=visibility,
            in_reply_to_id=in_reply_to_id,
            in_reply_to_account_id=reply_to_account,
            reblog_of_id=None,
            created_at_ms=self._now(),
            replies_count=0,
            reblogs_count=0,
            favourites_count=0,
            views_count=0,
            tags=extract_hashtags(text),
            mention_ids=tuple(mentioned),
            spoiler_text=spoiler_text,
            sensitive=sensitive or bool(spoiler_text),
            language=language,
        )
        fingerprint = request_fingerprint(
            text, visibility=visibility, in_reply_to_id=requested_parent, media_ids=media_ids
        )
        stored, created = self._store.create_status(
            record,
            media_ids=list(media_ids),
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        if created:
            moves_a_count = stored.in_reply_to_id is not None or stored.reblog_of_id is not None
            if self._counts is not None and moves_a_count:  # the parent's count shows it now
                self._counts.apply_own(counter_key_prefixes(status_ids=[stored.id]))
            self._after_create(stored)
            return stored
        # A concurrent request with the same key won the race: answer as a retry would.
        earlier = self.replay(
            author,
            idempotency_key,
            text=text,
            visibility=visibility,
            in_reply_to_id=requested_parent,
            media_ids=media_ids,
        )
        return earlier if earlier is not None else stored

    def check_content(
        self,
        author: int,
        text: str,
        *,
        spoiler_text: str = "",
        language: str | None = None,
        media_ids: Sequence[int] = (),
        status_id: int | None = None,
    ) -> str | None:
        """Check what a new or edited status says; return its normalized language.

        The rules of posting, for an edit too: text and spoiler text together within
        ``max_chars`` (Mastodon counts both), not blank without media, at most
        ``max_media`` of the author's own media, none attached to another status than
        ``status_id``, and a language given as an ISO 639 code (two or three letters).

        Raises:
            Unprocessable: Any rule broken; the message names it.
        """
        if len(text) + len(spoiler_text) > self.max_chars:
            raise Unprocessable(f"Text character limit of {self.max_chars} exceeded")
        if not text.strip() and not media_ids:
            raise Unprocessable("Text can't be blank")
        if len(media_ids) > self.max_media:
            raise Unprocessable(f"at most {self.max_media} media attachments are allowed")
        for media_id in media_ids:
            media = self._store.get_media(media_id)
            if media is None or media.account_id != author:
                raise Unprocessable(f"media {media_id} not found")
            if media.status_id is not None and media.status_id != status_id:
                raise Unprocessable(f"media {media_id} is already attached to a status")
        if language is None or language == "":
            return None
        code = language.strip().lower()
        if not _LANGUAGE.fullmatch(code):
            raise Unprocessable(
                f"language must be an ISO 639 code of two or three letters, not {language!r}"
            )
        return code

    def replay(
        self,
        author: int,
        idempotency_key: str | None,
        *,
        text: str,
        visibility: str = "public",
        in_reply_to_id: int | None = None,
        media_ids: Sequence[int] = (),
    ) -> StatusRecord | None:
        """Return the status an earlier request with this ``Idempotency-Key`` created.

        Call it before any check that depends on stored state (a route's own checks
        included), so that a retried request gets the first answer. None when there is no
        key, the key is new, or the status it created has been deleted.

        Raises:
            Unprocessable: The key is not 1-200 characters, or the author used it before
                for a different request (`request_fingerprint`), as payment APIs answer.
        """
        if idempotency_key is None:
            return None
        if not 1 <= len(idempotency_key) <= 200:
            raise Unprocessable("Idempotency-Key must be 1-200 characters")
        found = self._store.idempotent_request(author, idempotency_key)
        if found is None:
            return None
        status, stored_fingerprint = found
        fingerprint = request_fingerprint(
            text, visibility=visibility, in_reply_to_id=in_reply_to_id, media_ids=media_ids
        )
        # '' is a key stored before fingerprints existed: replay it as before.
        if stored_fingerprint and stored_fingerprint != fingerprint:
            raise Unprocessable(
                "Idempotency-Key was already used for a different request; "
                "use a new key for a new status"
            )
        return status

    def _after_create(self, status: StatusRecord) -> None:
        self._timelines.on_new_status(status)
        notify = set(status.mention_ids)
        if status.in_reply_to_account_id is not None:
            notify.add(status.in_reply_to_account_id)
        notify.discard(status.account_id)
        for account_id in notify:
            if self.visible(account_id, [status]):
                self.notifications.add(account_id, "mention", status.account_id, status.id)
        if self._on_created is not None:
            self._on_created(status)

    def delete(self, actor: int, status_id: int) -> StatusRecord:
        """Delete a status; only its author may.

        Raises:
            NotFound: The status does not exist, is not visible to ``actor``, or
                ``actor`` is not its author (Mastodon answers 404 then too).
        """
        status = self.get_visible(actor, status_id)
        if status.account_id != actor:
            # As Mastodon: someone else's status is "not found" for deletion.
            raise NotFound("Record not found")
        deleted = self._store.delete_status(status_id)
        if self._counts is not None:
            self._counts.apply_own(counter_key_prefixes(status_ids=deleted))
        if self.on_deleted is not None:
            self.on_deleted(status)
        return status

    # --- reads -----------------------------------------------------------------------
    def context(
        self, viewer: int | None, status_id: int
    ) -> tuple[list[StatusRecord], list[StatusRecord]]:
        """Return (ancestors oldest first, descendants in thread order) visible to viewer."""
        status = self.get_visible(viewer, status_id)
        ancestors: list[StatusRecord] = []
        parent_id = status.in_reply_to_id
        seen = {status.id}
        while parent_id is not None and parent_id not in seen and len(ancestors) < 200:
            seen.add(parent_id)
            parent = self._store.get_statuses([parent_id]).get(parent_id)
            if parent is None:
                break
            ancestors.append(parent)
            parent_id = parent.in_reply_to_id
        rel = self.relations(viewer)
        ancestors = self.visible(viewer, ancestors[::-1])
        if viewer is not None:
            ancestors = self.hide_relations(viewer, ancestors, relations=rel)
        hidden = rel.hidden_in_timelines()
        descendants: list[int] = []
        frontier = [status.id]
        while frontier and len(descendants) < 1000:
            children = [c for c in self._store.replies_to(frontier) if c not in seen]
            seen.update(children)
            descendants.extend(children)
            frontier = children
        found = self._store.get_statuses(descendants)
        # A descendant is shown only if it and every status above it are visible.
        shown: set[int] = {status.id}
        out: list[StatusRecord] = []
        for sid in sorted(descendants):
            s = found.get(sid)
            if s is None or s.in_reply_to_id not in shown or not self.visible(viewer, [s]):
                continue
            if s.account_id in hidden:  # and so its replies, as a hidden branch
                continue
            shown.add(sid)
            out.append(s)
        return ancestors, out

    def account_statuses(
        self,
        viewer: int | None,
        account_id: int,
        page: Page,
        *,
        exclude_replies: bool = False,
        exclude_reblogs: bool = False,
        only_media: bool = False,
    ) -> list[StatusRecord]:
        """Return an account's statuses the viewer may see, newest first.

        None if the account blocks the viewer (as Mastodon's profile of a blocker);
        the viewer's own blocks and mutes do not hide a profile they chose to open.
        """
        if viewer is not None and account_id in self.relations(viewer).blocked_by:
            return []
        allowed = ["public", "unlisted"]
        if viewer is not None and (viewer == account_id or self._store.follows(viewer, account_id)):
            allowed.append("private")
        if viewer == account_id:
            allowed.append("direct")
        ids = self._store.account_status_ids(
            account_id,
            page,
            visibilities=allowed,
            exclude_replies=exclude_replies,
            exclude_reblogs=exclude_reblogs,
            only_media=only_media,
        )
        return self.hydrate(viewer, ids, hide=None)

    def public(
        self, viewer: int | None, page: Page, *, tag: str | None = None
    ) -> list[StatusRecord]:
        """Return the public (or one hashtag's) timeline, newest first."""
        return self.hydrate(viewer, self._store.public_status_ids(page, tag=tag))
