"""Search over accounts, hashtags and statuses (SQLite FTS5 for status text)."""

from __future__ import annotations

from dataclasses import dataclass

from twitterdesign.reference_app.services.statuses import StatusService
from twitterdesign.reference_app.storage import AccountRecord, StatusRecord, Store

__all__ = ["SearchResults", "SearchService"]


@dataclass(frozen=True, slots=True)
class SearchResults:
    """What a search found, each list best match first."""

    accounts: list[AccountRecord]
    statuses: list[StatusRecord]
    hashtags: list[tuple[str, int]]


class SearchService:
    """Find accounts by name prefix, hashtags by prefix and statuses by words.

    Args:
        store: Persistence with a full-text index.
        statuses: Used to apply visibility rules to every status found.
    """

    def __init__(self, store: Store, statuses: StatusService) -> None:
        self._store = store
        self._statuses = statuses

    def search(
        self,
        viewer: int | None,
        q: str,
        *,
        kind: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResults:
        """Search; ``kind`` is ``accounts``, ``hashtags``, ``statuses`` or None for all.

        Statuses come from public posts, the viewer's own and those of accounts the
        viewer follows (followers-only posts reach followers only).
        """
        text = q.strip()
        accounts: list[AccountRecord] = []
        statuses: list[StatusRecord] = []
        hashtags: list[tuple[str, int]] = []
        if not text:
            return SearchResults(accounts, statuses, hashtags)
        want = offset + limit
        if kind in (None, "accounts"):
            name = text.lstrip("@").split("@", 1)[0]
            if name:
                accounts = self._store.search_accounts(name, want)[offset:]
        if kind in (None, "hashtags"):
            tag = text.lstrip("#")
            if tag and " " not in tag:
                hashtags = self._store.search_tags(tag, want)[offset:]
        if kind in (None, "statuses"):
            ids = self._store.search_status_ids(text, viewer, want)[offset:]
            statuses = self._statuses.hydrate(viewer, ids)
        return SearchResults(accounts[:limit], statuses[:limit], hashtags[:limit])

    def status_ids(
        self, viewer: int | None, q: str, limit: int, *, order: str = "recency", offset: int = 0
    ) -> list[int]:
        """Return ids of statuses matching ``q`` that ``viewer`` may find, best first.

        The same candidates as `search` (public posts, the viewer's own and those of
        accounts the viewer follows); ``order`` is ``recency`` or ``relevancy``. Ids only,
        for callers that page through results: load them with `StatusService.hydrate`.
        """
        return self._store.search_status_ids(q, viewer, limit, order=order, offset=offset)
