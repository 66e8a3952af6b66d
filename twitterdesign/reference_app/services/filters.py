"""Content filters (Mastodon's v2 filters, and v1 as Mastodon maps it onto v2).

A filter belongs to one account: a title, the contexts it applies in (``home`` — the home
timeline and its stream; ``notifications``; ``public`` — public and hashtag timelines and
streams; ``thread`` — a status's context; ``account`` — profiles), an action, an optional
expiry and keywords. A keyword matches a status when it appears in its spoiler text, text
or media descriptions, ignoring case; a ``whole_word`` keyword only between word
boundaries (at the ends that are word characters, as Mastodon's ``CustomFilterKeyword``).

Applied by the server for the filter's owner while it has not expired:

- ``hide``: matching statuses (and reblogs of them, and notifications about them) are
  left out of lists in the filter's contexts (`drop_hidden`);
- ``warn`` (and ``hide`` outside its contexts): the Status entity carries a ``filtered``
  list of FilterResult (the filter and the keywords that matched) for the client to warn.

v1 (``/api/v1/filters``): each keyword of a v2 filter is one v1 filter (its id the
keyword's id; ``irreversible`` means ``hide``); creating one creates a v2 filter titled
after the phrase with that one keyword.

References:
    Mastodon, "filters API methods", https://docs.joinmastodon.org/methods/filters/
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import NotFound, Unprocessable
from twitterdesign.reference_app.services._request_scope import memoized
from twitterdesign.reference_app.storage import (
    FilterKeywordRecord,
    FilterRecord,
    StatusRecord,
    Store,
)

__all__ = [
    "FILTER_ACTIONS",
    "FILTER_CONTEXTS",
    "FilterMatch",
    "FilterMatcher",
    "FilterService",
    "KeywordChange",
    "keyword_pattern",
]

FILTER_CONTEXTS = ("home", "notifications", "public", "thread", "account")
"""Where a filter may apply (Mastodon's contexts)."""
FILTER_ACTIONS = ("warn", "hide")
"""What a filter does to a match."""
MAX_TITLE_CHARS = 256
MAX_KEYWORD_CHARS = 512
MAX_KEYWORDS = 100
MAX_FILTERS = 100
MAX_EXPIRES_IN_S = 100 * 365 * 86_400

_WORD_START = re.compile(r"\A\w")
_WORD_END = re.compile(r"\w\Z")


def keyword_pattern(keyword: str, *, whole_word: bool) -> re.Pattern[str]:
    """Return the case-insensitive pattern a filter keyword matches, as Mastodon builds it.

    Examples:
        >>> bool(keyword_pattern("cat", whole_word=True).search("Concatenate"))
        False
        >>> bool(keyword_pattern("cat", whole_word=False).search("Concatenate"))
        True
        >>> bool(keyword_pattern("#cats!", whole_word=True).search("I love #CATS!"))
        True
    """
    if not whole_word:
        return re.compile(re.escape(keyword), re.IGNORECASE)
    start = r"\b" if _WORD_START.search(keyword) else ""
    end = r"\b" if _WORD_END.search(keyword) else ""
    return re.compile(f"{start}{re.escape(keyword)}{end}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FilterMatch:
    """One filter matching a status: Mastodon's FilterResult (keyword matches only)."""

    filter: FilterRecord
    keyword_matches: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeywordChange:
    """One entry of ``keywords_attributes``: add (no id), change, or ``destroy`` a keyword."""

    id: int | None = None
    keyword: str | None = None
    whole_word: bool | None = None
    destroy: bool = False


class FilterMatcher:
    """One viewer's live filters, compiled; matches the text of statuses.

    Args:
        filters: The viewer's unexpired filters.
        originals: Loads the originals of reblogs (a reblog is filtered by what it reblogs).
    """

    def __init__(
        self,
        filters: Sequence[FilterRecord],
        originals: Callable[[Iterable[int]], dict[int, StatusRecord]],
    ) -> None:
        self._filters = [
            (
                f,
                [
                    (k.keyword, keyword_pattern(k.keyword, whole_word=k.whole_word))
                    for k in f.keywords
                ],
            )
            for f in filters
            if f.keywords
        ]
        self._originals = originals

    def __bool__(self) -> bool:
        return bool(self._filters)

    def matches(self, status: StatusRecord) -> list[FilterMatch]:
        """Return the filters whose keywords appear in ``status`` (its own text only)."""
        if not self._filters:
            return []
        text = "\n\n".join(
            [status.spoiler_text, status.text, *(m.description or "" for m in status.media)]
        )
        out: list[FilterMatch] = []
        for f, patterns in self._filters:
            found = tuple(keyword for keyword, pattern in patterns if pattern.search(text))
            if found:
                out.append(FilterMatch(f, found))
        return out

    def drop_hidden(self, statuses: Sequence[StatusRecord], context: str) -> list[StatusRecord]:
        """Leave out statuses (or reblogs of statuses) a ``hide`` filter of ``context`` matches."""
        if not any(f.action == "hide" and context in f.context for f, _ in self._filters):
            return list(statuses)
        originals = self._originals(s.reblog_of_id for s in statuses if s.reblog_of_id is not None)

        def hidden(s: StatusRecord) -> bool:
            proper = originals.get(s.reblog_of_id, s) if s.reblog_of_id is not None else s
            return any(
                m.filter.action == "hide" and context in m.filter.context
                for m in self.matches(proper)
            )

        return [s for s in statuses if not hidden(s)]


class FilterService:
    """Create, change and apply an account's filters.

    Args:
        store: Persistence.
        ids: Snowflake id generator (filters and keywords get ids).
        clock_ms: Current Unix time in milliseconds (expiry).
    """

    def __init__(self, store: Store, ids: Snowflake, clock_ms: Callable[[], int]) -> None:
        self._store = store
        self._ids = ids
        self._now = clock_ms

    # --- reading and applying ------------------------------------------------------
    def filters_of(self, owner: int) -> list[FilterRecord]:
        """Return every filter of ``owner`` (expired ones too), oldest first."""
        return self._store.filters_of(owner)

    def get(self, owner: int, filter_id: int) -> FilterRecord:
        """Return one of ``owner``'s filters, or raise NotFound."""
        for f in self._store.filters_of(owner):
            if f.id == filter_id:
                return f
        raise NotFound("Record not found")

    def matcher(self, viewer: int | None) -> FilterMatcher:
        """Return ``viewer``'s live filters, compiled (none for an anonymous viewer)."""
        if viewer is None:
            return FilterMatcher([], self._store.get_statuses)
        now = self._now()
        # Read once per request: hiding and then rendering the warnings both need them.
        stored = memoized(("filters_of", viewer), lambda: self._store.filters_of(viewer))
        live = [f for f in stored if f.expires_at_ms is None or f.expires_at_ms > now]
        return FilterMatcher(live, self._store.get_statuses)

    def drop_hidden(
        self, viewer: int | None, statuses: Sequence[StatusRecord], context: str
    ) -> list[StatusRecord]:
        """Leave out what ``viewer``'s ``hide`` filters of ``context`` match."""
        if viewer is None or not statuses:
            return list(statuses)
        return self.matcher(viewer).drop_hidden(statuses, context)

    # --- v2 writes -----------------------------------------------------------------
    def create(
        self,
        owner: int,
        *,
        title: str,
        context: Sequence[str],
        action: str = "warn",
        expires_in_s: int | None = None,
        keywords: Sequence[tuple[str, bool]] = (),
    ) -> FilterRecord:
        """Create a filter with its keywords.

        Raises:
            Unprocessable: A blank or long title, no or unknown contexts, an unknown
                action, a bad expiry, a blank or long keyword, or too many of anything.
        """
        if len(self._store.filters_of(owner)) >= MAX_FILTERS:
            raise Unprocessable(f"at most {MAX_FILTERS} filters per account")
        now = self._now()
        record = FilterRecord(
            id=self._ids.next_id(),
            account_id=owner,
            title=_check_title(title),
            context=_check_context(context),
            action=_check_action(action),
            expires_at_ms=_expiry(expires_in_s, now),
            created_at_ms=now,
            keywords=tuple(
                FilterKeywordRecord(self._ids.next_id(), _check_keyword(k), bool(w))
                for k, w in keywords
            ),
        )
        _check_count(record.keywords)
        self._store.save_filter(record)
        return record

    def update(
        self,
        owner: int,
        filter_id: int,
        *,
        title: str | None = None,
        context: Sequence[str] | None = None,
        action: str | None = None,
        expires_in_s: int | None = None,
        clear_expiry: bool = False,
        keyword_changes: Sequence[KeywordChange] = (),
    ) -> FilterRecord:
        """Change a filter; None keeps a part. ``clear_expiry`` makes it never expire.

        Raises:
            NotFound: No such filter of ``owner``, or a keyword id not of this filter.
            Unprocessable: As `create`.
        """
        current = self.get(owner, filter_id)
        keywords = {k.id: k for k in current.keywords}
        for change in keyword_changes:
            if change.id is not None and change.id not in keywords:
                raise NotFound("Record not found")
            if change.destroy:
                if change.id is not None:
                    del keywords[change.id]
                continue
            if change.id is None:
                kid = self._ids.next_id()
                keywords[kid] = FilterKeywordRecord(
                    kid, _check_keyword(change.keyword or ""), bool(change.whole_word)
                )
            else:
                old = keywords[change.id]
                keywords[change.id] = FilterKeywordRecord(
                    old.id,
                    old.keyword if change.keyword is None else _check_keyword(change.keyword),
                    old.whole_word if change.whole_word is None else change.whole_word,
                )
        expires = current.expires_at_ms
        if clear_expiry:
            expires = None
        elif expires_in_s is not None:
            expires = _expiry(expires_in_s, self._now())
        record = dataclasses.replace(
            current,
            title=current.title if title is None else _check_title(title),
            context=current.context if context is None else _check_context(context),
            action=current.action if action is None else _check_action(action),
            expires_at_ms=expires,
            keywords=tuple(sorted(keywords.values(), key=lambda k: k.id)),
        )
        _check_count(record.keywords)
        self._store.save_filter(record)
        return record

    def delete(self, owner: int, filter_id: int) -> None:
        """Delete a filter with its keywords.

        Raises:
            NotFound: No such filter of ``owner``.
        """
        if not self._store.delete_filter(owner, filter_id):
            raise NotFound("Record not found")

    # --- keywords (v2 sub-resource, and v1 filters) --------------------------------
    def keyword(self, owner: int, keyword_id: int) -> tuple[FilterRecord, FilterKeywordRecord]:
        """Return (its filter, the keyword) for one of ``owner``'s keyword ids."""
        for f in self._store.filters_of(owner):
            for k in f.keywords:
                if k.id == keyword_id:
                    return f, k
        raise NotFound("Record not found")

    def delete_keyword(self, owner: int, keyword_id: int, *, drop_empty: bool = False) -> None:
        """Delete a keyword; with ``drop_empty`` a filter left without keywords goes too."""
        f, _ = self.keyword(owner, keyword_id)
        if drop_empty and len(f.keywords) == 1:
            self.delete(owner, f.id)
            return
        self.update(owner, f.id, keyword_changes=[KeywordChange(id=keyword_id, destroy=True)])


def _check_title(title: str) -> str:
    if not title.strip():
        raise Unprocessable("title can't be blank")
    if len(title) > MAX_TITLE_CHARS:
        raise Unprocessable(f"title is too long (at most {MAX_TITLE_CHARS} characters)")
    return title


def _check_context(context: Sequence[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(context))
    if not unique:
        raise Unprocessable(f"context can't be empty; use some of {', '.join(FILTER_CONTEXTS)}")
    unknown = [c for c in unique if c not in FILTER_CONTEXTS]
    if unknown:
        raise Unprocessable(f"context {unknown[0]!r} is not one of {', '.join(FILTER_CONTEXTS)}")
    return unique


def _check_action(action: str) -> str:
    if action not in FILTER_ACTIONS:
        raise Unprocessable(
            f"filter_action must be one of {', '.join(FILTER_ACTIONS)}, not {action!r}"
        )
    return action


def _check_keyword(keyword: str) -> str:
    if not keyword.strip():
        raise Unprocessable("keyword can't be blank")
    if len(keyword) > MAX_KEYWORD_CHARS:
        raise Unprocessable(f"keyword is too long (at most {MAX_KEYWORD_CHARS} characters)")
    return keyword


def _check_count(keywords: Sequence[FilterKeywordRecord]) -> None:
    if len(keywords) > MAX_KEYWORDS:
        raise Unprocessable(f"at most {MAX_KEYWORDS} keywords per filter")


def _expiry(expires_in_s: int | None, now_ms: int) -> int | None:
    if expires_in_s is None:
        return None
    if not 1 <= expires_in_s <= MAX_EXPIRES_IN_S:
        raise Unprocessable(
            f"expires_in must be 1 to {MAX_EXPIRES_IN_S} seconds (or empty: never), "
            f"not {expires_in_s}"
        )
    return now_ms + expires_in_s * 1000
