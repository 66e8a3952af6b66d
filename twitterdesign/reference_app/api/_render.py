"""Render records as Mastodon client-API JSON entities (Account, Status, Notification…)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import mmh3

from twitterdesign import __version__
from twitterdesign.reference_app.api._render_cache import RenderCache
from twitterdesign.reference_app.services import Relationship, Services, TagInfo
from twitterdesign.reference_app.services.curation import HISTORY_DAYS
from twitterdesign.reference_app.services.filters import FilterMatcher
from twitterdesign.reference_app.services.media import EXTENSIONS
from twitterdesign.reference_app.storage import (
    AccountRecord,
    AppRecord,
    CounterDeltas,
    FilterKeywordRecord,
    FilterRecord,
    ListRecord,
    MarkerRecord,
    MediaRecord,
    StatusEditRecord,
    StatusRecord,
)

__all__ = ["MASTODON_VERSION", "Renderer", "iso_ms"]

MASTODON_VERSION = f"4.3.0 (compatible; twitterdesign {__version__})"
"""The version we report: the Mastodon API level we follow, then our own version."""

_TAG_IN_HTML = re.compile(r"(^|[^\w&/;])#(\w{1,100})", re.UNICODE)
_MENTION_IN_HTML = re.compile(r"(^|[^\w/;])@([A-Za-z0-9_]{1,30})")
_BOOL = {True: "true", False: "false"}


def _dumps(value: Any) -> str:
    """Serialize as Starlette's JSONResponse does (compact, UTF-8, no NaN)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class _Related:
    """What rendering a batch of statuses needs besides the statuses themselves."""

    originals: dict[int, StatusRecord]
    accounts: dict[int, AccountRecord]
    faved: set[int]
    reblogged: set[int]
    unflushed: dict[int, CounterDeltas]
    bookmarked: frozenset[int] | set[int] = frozenset()

    def counts(self, s: StatusRecord) -> tuple[int, int, int, int]:
        """Return (reblogs, favourites, replies, views) as displayed: stored + unflushed.

        Never below 0: an unfavourite may reach Redis before its favourite when two
        workers apply neighbouring batches; the sum is exact once both are applied.
        """
        d = self.unflushed.get(s.id)
        if d is None:
            return s.reblogs_count, s.favourites_count, s.replies_count, s.views_count
        return (
            max(0, s.reblogs_count + d.reblogs),
            max(0, s.favourites_count + d.favourites),
            max(0, s.replies_count + d.replies),
            max(0, s.views_count + d.views),
        )


def tag_id(name: str) -> str:
    """A Tag's ``id``: stable for a (normalized) name, as Mastodon's tag row id is.

    Tags have no table of their own here, so the id is the name's 63-bit MurmurHash3:
    the same on every instance and across restarts.

    Examples:
        >>> tag_id("python") == tag_id("python") != tag_id("rust")
        True
    """
    return str(mmh3.hash64(name.lower(), signed=False)[0] >> 1)


def iso_ms(ms: int) -> str:
    """Format Unix milliseconds as Mastodon does: ``2024-01-02T03:04:05.678Z``.

    Examples:
        >>> iso_ms(0)
        '1970-01-01T00:00:00.000Z'
    """
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class Renderer:
    """Turns records into JSON-ready dicts for one request (one viewer, one base URL).

    Args:
        services: Where related records (authors, flags, unflushed counts) come from.
        base_url: Scheme and host for links, without a trailing slash.
        viewer: The authenticated account, if any (for ``favourited``/``reblogged``).
        cache: Memo of rendered fragments shared across requests (see
            `statuses_json`); None renders everything anew.
    """

    def __init__(
        self,
        services: Services,
        base_url: str,
        viewer: int | None,
        *,
        cache: RenderCache | None = None,
    ) -> None:
        self._s = services
        self.base = base_url.rstrip("/")
        self.viewer = viewer
        self._cache = cache
        self._matcher: FilterMatcher | None = None

    # --- accounts --------------------------------------------------------------------
    def account(self, a: AccountRecord, *, credentials: bool = False) -> dict[str, Any]:
        """Render an Account (with ``source`` when it is the caller's own)."""
        url = f"{self.base}/@{a.username}"
        avatar = f"{self.base}/avatars/missing.png"
        out: dict[str, Any] = {
            "id": str(a.id),
            "username": a.username,
            "acct": a.username,
            "display_name": a.display_name,
            "locked": False,
            "bot": a.bot,
            "discoverable": a.discoverable,
            "indexable": True,
            "group": False,
            "created_at": iso_ms(a.created_at_ms),
            "note": html.escape(a.note),
            "url": url,
            "uri": f"{self.base}/users/{a.username}",
            "avatar": avatar,
            "avatar_static": avatar,
            "header": avatar,
            "header_static": avatar,
            "followers_count": a.followers_count,
            "following_count": a.following_count,
            "statuses_count": a.statuses_count,
            "last_status_at": (
                iso_ms(a.last_status_at_ms)[:10] if a.last_status_at_ms is not None else None
            ),
            "emojis": [],
            "fields": [
                {"name": html.escape(n), "value": html.escape(v), "verified_at": None}
                for n, v in a.fields
            ],
            "roles": [],  # no role is shown on profiles here (no moderators, no admins)
        }
        if credentials:
            out["source"] = {
                "privacy": a.privacy,
                "sensitive": a.sensitive,
                "language": a.language,
                "note": a.note,
                "fields": [{"name": n, "value": v, "verified_at": None} for n, v in a.fields],
                "follow_requests_count": 0,
                "indexable": True,
                "hide_collections": False,
                "discoverable": a.discoverable,
                "attribution_domains": [],
            }
            # Every account has Mastodon's base role (id -99, no permissions): there are
            # no moderators or admins here.
            out["role"] = {
                "id": "-99",
                "name": "",
                "permissions": "0",
                "color": "",
                "highlighted": False,
            }
        return out

    def accounts_by_id(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Render accounts in the order of ``ids`` (missing ones skipped)."""
        found = self._s.accounts.get_many(ids)
        return [self.account(found[i]) for i in ids if i in found]

    def relationship(self, rel: Relationship) -> dict[str, Any]:
        """Render a Relationship between the viewer and ``rel.id``."""
        return {
            "id": str(rel.id),
            "following": rel.following,
            "showing_reblogs": rel.following,
            "notifying": False,
            "languages": None,
            "followed_by": rel.followed_by,
            "blocking": rel.blocking,
            "blocked_by": rel.blocked_by,
            "muting": rel.muting,
            "muting_notifications": rel.muting_notifications,
            "requested": False,
            "requested_by": False,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }

    # --- media -----------------------------------------------------------------------
    def media(self, m: MediaRecord) -> dict[str, Any]:
        """Render a MediaAttachment."""
        url = f"{self.base}/media/{m.sha256}.{EXTENSIONS.get(m.content_type, 'bin')}"
        meta: dict[str, Any] = {}
        if m.width and m.height:
            meta["original"] = {
                "width": m.width,
                "height": m.height,
                "size": f"{m.width}x{m.height}",
                "aspect": m.width / m.height,
            }
        return {
            "id": str(m.id),
            "type": "image",
            "url": url,
            "preview_url": url,
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": meta,
            "description": m.description,
            "blurhash": None,
        }

    # --- statuses --------------------------------------------------------------------
    def content_html(self, text: str) -> str:
        """Render status text as Mastodon-style HTML with hashtag and mention links."""
        escaped = html.escape(text, quote=True)

        def tag(m: re.Match[str]) -> str:
            name = m.group(2)
            return (
                f'{m.group(1)}<a href="{self.base}/tags/{name.lower()}" '
                f'class="mention hashtag" rel="tag">#<span>{name}</span></a>'
            )

        def mention(m: re.Match[str]) -> str:
            name = m.group(2)
            return (
                f'{m.group(1)}<span class="h-card"><a href="{self.base}/@{name}" '
                f'class="u-url mention">@<span>{name}</span></a></span>'
            )

        body = _MENTION_IN_HTML.sub(mention, _TAG_IN_HTML.sub(tag, escaped))
        paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n")]
        return "".join(f"<p>{p}</p>" for p in paragraphs)

    def _related(self, items: Sequence[StatusRecord]) -> _Related:
        """Read what rendering ``items`` needs, fresh, and record one view of each."""
        originals = self._s.statuses.get_many(
            s.reblog_of_id for s in items if s.reblog_of_id is not None
        )
        every = [*items, *originals.values()]
        account_ids = {s.account_id for s in every} | {m for s in every for m in s.mention_ids}
        accounts = self._s.accounts.get_many(account_ids)
        ids = [s.id for s in every]
        faved: set[int] = set()
        reblogged: set[int] = set()
        bookmarked: set[int] = set()
        if self.viewer is not None:
            # One read for the viewer's three flags (the store's round trips are the cost).
            faved, reblogged, bookmarked = self._s.curation.viewer_flags(self.viewer, ids)
        self._s.trends.record_views(items)
        # Pending views, and in the deferred mode the Redis shards: one round trip a page.
        unflushed = self._s.counts.unflushed_many(ids)
        return _Related(originals, accounts, faved, reblogged, unflushed, bookmarked)

    def _status_static(
        self, s: StatusRecord, accounts: dict[int, AccountRecord], *, is_reblog: bool
    ) -> dict[str, Any]:
        """The fields of a Status that depend on neither counts, author counts nor viewer."""
        author = accounts[s.account_id]
        return {
            "id": str(s.id),
            "uri": f"{self.base}/users/{author.username}/statuses/{s.id}",
            "url": f"{self.base}/@{author.username}/{s.id}",
            "created_at": iso_ms(s.created_at_ms),
            "edited_at": iso_ms(s.edited_at_ms) if s.edited_at_ms is not None else None,
            "content": "" if is_reblog else self.content_html(s.text),
            "visibility": s.visibility,
            "sensitive": s.sensitive,
            "spoiler_text": s.spoiler_text,
            "media_attachments": [self.media(m) for m in s.media],
            "application": None,
            "mentions": [
                {
                    "id": str(m),
                    "username": accounts[m].username,
                    "acct": accounts[m].username,
                    "url": f"{self.base}/@{accounts[m].username}",
                }
                for m in s.mention_ids
                if m in accounts
            ],
            "tags": [{"name": t, "url": f"{self.base}/tags/{t}"} for t in s.tags],
            "emojis": [],
            "in_reply_to_id": str(s.in_reply_to_id) if s.in_reply_to_id else None,
            "in_reply_to_account_id": (
                str(s.in_reply_to_account_id) if s.in_reply_to_account_id else None
            ),
            "poll": None,
            "card": None,
            "language": s.language,
            "text": None,
        }

    def statuses(self, items: Sequence[StatusRecord]) -> list[dict[str, Any]]:
        """Render statuses (already visibility-checked) and record one view for each."""
        if not items:
            return []
        rel = self._related(items)
        rendered_accounts: dict[int, dict[str, Any]] = {}

        def author_json(account_id: int) -> dict[str, Any]:
            found = rendered_accounts.get(account_id)
            if found is None:
                found = rendered_accounts[account_id] = self.account(rel.accounts[account_id])
            return found

        def one(s: StatusRecord) -> dict[str, Any]:
            inner = rel.originals.get(s.reblog_of_id) if s.reblog_of_id is not None else None
            out = self._status_static(s, rel.accounts, is_reblog=inner is not None)
            out["account"] = author_json(s.account_id)
            reblogs, favourites, replies, views = rel.counts(s)
            out["reblogs_count"] = reblogs
            out["favourites_count"] = favourites
            out["replies_count"] = replies
            out["views_count"] = views
            out["reblog"] = one(inner) if inner is not None else None
            out["filtered"] = self._filtered(s)
            if self.viewer is not None:
                out["favourited"] = s.id in rel.faved
                out["reblogged"] = s.id in rel.reblogged
                out["muted"] = False
                out["bookmarked"] = s.id in rel.bookmarked
                out["pinned"] = False
            return out

        return [one(s) for s in items if s.account_id in rel.accounts]

    def statuses_json(self, items: Sequence[StatusRecord]) -> str:
        """Render statuses as a JSON array: the document ``statuses(items)`` describes.

        The fast path for pages of statuses. The parts of each status that only change
        when the status or its author does come from the `RenderCache` (checked
        against the records just read, so a change is never served stale); counts,
        views and the viewer's ``favourited``/``reblogged`` are spliced in fresh.
        Without a cache every fragment is rendered anew.
        """
        if not items:
            return "[]"
        rel = self._related(items)
        parts = [self._status_json(s, rel) for s in items if s.account_id in rel.accounts]
        return "[" + ",".join(parts) + "]"

    def _status_json(self, s: StatusRecord, rel: _Related) -> str:
        inner = rel.originals.get(s.reblog_of_id) if s.reblog_of_id is not None else None
        author = rel.accounts[s.account_id]
        is_reblog = inner is not None

        def build_static() -> str:
            # The object without its closing brace: the dynamic fields follow.
            return _dumps(self._status_static(s, rel.accounts, is_reblog=is_reblog))[:-1]

        def build_account() -> str:
            return _dumps(self.account(author))

        if self._cache is None:
            static, account = build_static(), build_account()
        else:
            mentions = tuple(
                (m, rel.accounts[m].username) for m in s.mention_ids if m in rel.accounts
            )
            signature = (
                author.username,
                s.text,
                s.visibility,
                s.in_reply_to_id,
                s.in_reply_to_account_id,
                s.reblog_of_id,
                s.created_at_ms,
                s.tags,
                s.media,
                mentions,
                is_reblog,
                # An edit changes these (and the text): the fragment is rebuilt at once.
                s.spoiler_text,
                s.sensitive,
                s.language,
                s.edited_at_ms,
            )
            static = self._cache.get(("status", self.base, s.id), signature, build_static)
            account = self._cache.get(("account", self.base, author.id), author, build_account)
        reblogs, favourites, replies, views = rel.counts(s)
        reblog = self._status_json(inner, rel) if inner is not None else "null"
        filtered = self._filtered(s)
        viewer = f',"filtered":{_dumps(filtered)}' if filtered else ',"filtered":[]'

        if self.viewer is not None:
            viewer += (
                f',"favourited":{_BOOL[s.id in rel.faved]},'
                f'"reblogged":{_BOOL[s.id in rel.reblogged]},'
                f'"muted":false,"bookmarked":{_BOOL[s.id in rel.bookmarked]},"pinned":false'
            )
        return (
            f'{static},"account":{account},"reblogs_count":{reblogs},'
            f'"favourites_count":{favourites},"replies_count":{replies},'
            f'"views_count":{views},"reblog":{reblog}{viewer}}}'
        )

    def status(self, s: StatusRecord) -> dict[str, Any]:
        """Render one status."""
        return self.statuses([s])[0]

    def _filtered(self, s: StatusRecord) -> list[dict[str, Any]]:
        """The viewer's FilterResults for ``s`` (per viewer: never in a cached fragment)."""
        if self.viewer is None:
            return []
        if self._matcher is None:
            self._matcher = self._s.filters.matcher(self.viewer)
        if not self._matcher:
            return []
        return [
            {
                "filter": self.filter(m.filter),
                "keyword_matches": list(m.keyword_matches),
                "status_matches": None,
            }
            for m in self._matcher.matches(s)
        ]

    def filter(self, f: FilterRecord) -> dict[str, Any]:
        """Render a v2 Filter with its keywords."""
        return {
            "id": str(f.id),
            "title": f.title,
            "context": list(f.context),
            "expires_at": iso_ms(f.expires_at_ms) if f.expires_at_ms is not None else None,
            "filter_action": f.action,
            "keywords": [self.filter_keyword(k) for k in f.keywords],
            "statuses": [],
        }

    @staticmethod
    def filter_keyword(k: FilterKeywordRecord) -> dict[str, Any]:
        """Render a FilterKeyword."""
        return {"id": str(k.id), "keyword": k.keyword, "whole_word": k.whole_word}

    @staticmethod
    def filter_v1(f: FilterRecord, k: FilterKeywordRecord) -> dict[str, Any]:
        """Render one keyword of a v2 filter as a v1 Filter (Mastodon's mapping)."""
        return {
            "id": str(k.id),
            "phrase": k.keyword,
            "context": list(f.context),
            "whole_word": k.whole_word,
            "expires_at": iso_ms(f.expires_at_ms) if f.expires_at_ms is not None else None,
            "irreversible": f.action == "hide",
        }

    def status_edits(self, edits: Sequence[StatusEditRecord]) -> list[dict[str, Any]]:
        """Render a status's versions as StatusEdit entities (oldest first, as given)."""
        accounts = self._s.accounts.get_many({e.account_id for e in edits})
        media = self._s.edits.media_of(edits)
        rendered: dict[int, dict[str, Any]] = {}
        out: list[dict[str, Any]] = []
        for e in edits:
            author = accounts.get(e.account_id)
            if author is None:
                continue
            if author.id not in rendered:
                rendered[author.id] = self.account(author)
            out.append(
                {
                    "content": self.content_html(e.text),
                    "spoiler_text": e.spoiler_text,
                    "sensitive": e.sensitive,
                    "created_at": iso_ms(e.created_at_ms),
                    "account": rendered[author.id],
                    "media_attachments": [self.media(media[m]) for m in e.media_ids if m in media],
                    "emojis": [],
                }
            )
        return out

    # --- others ----------------------------------------------------------------------
    def app(self, a: AppRecord, *, with_secret: bool) -> dict[str, Any]:
        """Render an Application (with client credentials right after creation)."""
        out: dict[str, Any] = {
            "id": str(a.id),
            "name": a.name,
            "website": a.website,
            "scopes": a.scopes.split(),
            "redirect_uri": a.redirect_uri,
            "redirect_uris": a.redirect_uri.split(),
            "vapid_key": "",
        }
        if with_secret:
            out["client_id"] = a.client_id
            out["client_secret"] = a.client_secret
            out["client_secret_expires_at"] = 0
        return out

    def tag(self, name: str) -> dict[str, Any]:
        """Render a Tag with its last 7 days of history, today first.

        Each day has the public statuses that used the tag and the distinct accounts that
        posted them (an HLL estimate, see `TagHistory`), over every instance.
        """
        history = [
            {"day": str(d.day_s), "uses": str(d.uses), "accounts": str(d.accounts)}
            for d in self._s.trends.tag_history(name)
        ]
        return {
            "id": tag_id(name),
            "name": name,
            "url": f"{self.base}/tags/{name}",
            "history": history,
            "following": False,
        }

    def tag_info(self, info: TagInfo) -> dict[str, Any]:
        """Render a Tag with a week of history (newest day first) and ``following``.

        ``following`` is present only for an authenticated viewer, as in Mastodon.
        """
        by_day = {d.day_start_ms: d for d in info.days}
        history = []
        for back in range(HISTORY_DAYS):
            start = info.today_start_ms - back * 86_400_000
            day = by_day.get(start)
            history.append(
                {
                    "day": str(start // 1000),
                    "uses": str(day.uses if day else 0),
                    "accounts": str(day.accounts if day else 0),
                }
            )
        out: dict[str, Any] = {
            "id": tag_id(info.name),
            "name": info.name,
            "url": f"{self.base}/tags/{info.name}",
            "history": history,
        }
        if info.following is not None:
            out["following"] = info.following
        return out

    def list_entity(self, record: ListRecord) -> dict[str, Any]:
        """Render a List."""
        return {
            "id": str(record.id),
            "title": record.title,
            "replies_policy": record.replies_policy,
            "exclusive": record.exclusive,
        }

    def marker(self, record: MarkerRecord) -> dict[str, Any]:
        """Render a Marker."""
        return {
            "last_read_id": str(record.last_read_id),
            "version": record.version,
            "updated_at": iso_ms(record.updated_at_ms),
        }
