"""Full-text and hashtag search on SQLite FTS5: `SearchStore`."""

from __future__ import annotations

import re

from twitterdesign.reference_app.storage._sql import like_prefix
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection

__all__ = ["SQLiteSearch"]

_WORD = re.compile(r"\w+", re.UNICODE)


def _fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 query: every word quoted, all words required.

    Examples:
        >>> _fts_query('hello "world" OR #tag')
        '"hello" "world" "OR" "tag"'
    """
    return " ".join('"' + w.replace('"', '""') + '"' for w in _WORD.findall(text))


class SQLiteSearch(SQLiteConnection):
    """`SearchStore` over the ``statuses_fts`` index (kept in sync by triggers) and tags."""

    def search_status_ids(
        self,
        query: str,
        viewer_id: int | None,
        limit: int,
        *,
        order: str = "recency",
        offset: int = 0,
    ) -> list[int]:
        """Full-text search over statuses the viewer may see, newest or best match first."""
        match = _fts_query(query)
        if not match:
            return []
        viewer = -1 if viewer_id is None else viewer_id
        rows = self._q(
            "SELECT s.id FROM statuses_fts f JOIN statuses s ON s.id = f.rowid "
            "WHERE statuses_fts MATCH ? AND s.reblog_of_id IS NULL AND ("
            "s.visibility = 'public' OR s.account_id = ? OR s.account_id IN "
            "(SELECT followee_id FROM follows WHERE follower_id = ?)) "
            + (
                "ORDER BY bm25(statuses_fts), s.id DESC"
                if order == "relevancy"
                else "ORDER BY s.id DESC"
            )
            + " LIMIT ? OFFSET ?",
            (match, viewer, viewer, limit, offset),
        )
        return [r[0] for r in rows]

    def search_tags(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) for hashtags starting with ``prefix``."""
        like = like_prefix(prefix.lower())
        rows = self._q(
            "SELECT t.tag, COUNT(*) n FROM status_tags t JOIN statuses s ON s.id = t.status_id "
            "WHERE t.tag LIKE ? ESCAPE '\\' AND s.visibility = 'public' "
            "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?",
            (like, limit),
        )
        return [(r[0], int(r[1])) for r in rows]

    def tag_uses_since(self, since_ms: int, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) in public statuses since ``since_ms``, most used first."""
        rows = self._q(
            "SELECT t.tag, COUNT(*) n FROM status_tags t JOIN statuses s ON s.id = t.status_id "
            "WHERE s.created_at >= ? AND s.visibility = 'public' "
            "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?",
            (since_ms, limit),
        )
        return [(r[0], int(r[1])) for r in rows]
