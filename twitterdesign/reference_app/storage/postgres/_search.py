"""Full-text search over statuses, and hashtag statistics.

The text is indexed by a generated ``tsvector`` column (``to_tsvector('simple', text)``,
GIN-indexed): the ``simple`` configuration lower-cases words and does no stemming and no
stop-word removal, so a search works the same in every language. A query is turned into
``plainto_tsquery('simple', query)``: PostgreSQL's own parser splits it into words and
ANDs them, so every word is required (as the SQLite store's ``fts_query`` does) and no
character — quotes, ``& | ! : * ( )`` — is ever read as an operator. A query with no word
matches nothing.
"""

from __future__ import annotations

from twitterdesign.reference_app.storage._sql import like_prefix
from twitterdesign.reference_app.storage.postgres._connection import Connected

__all__ = ["SearchMixin"]

_VISIBLE = (
    "s.reblog_of_id IS NULL AND (s.visibility = 'public' OR s.account_id = %(viewer)s "
    "OR s.account_id IN (SELECT followee_id FROM follows WHERE follower_id = %(viewer)s))"
)


class SearchMixin(Connected):
    """``search_status_ids``, ``search_tags``, ``tag_uses_since``."""

    def search_status_ids(
        self,
        query: str,
        viewer_id: int | None,
        limit: int,
        *,
        order: str = "recency",
        offset: int = 0,
    ) -> list[int]:
        """Full-text search over statuses the viewer may see (public, own, followees').

        ``order="relevancy"`` ranks by ``ts_rank`` (then newest first); anything else is
        newest first. Plan on 50k statuses: ``Bitmap Index Scan on statuses_search`` for
        both orders.
        """
        text = query.replace("\x00", " ")
        if not text.strip():
            return []
        # The tsquery is written out (not hidden in a CTE) so the planner sees the words and
        # picks the GIN index; numnode() = 0 (no word at all) is a one-time filter. Newest
        # first sorts ``s.id + 0``: ordering on the bare id invites the planner to walk the
        # primary key backwards and filter, which reads the whole table for a rare word.
        # This way the cost is the number of matches, whatever the words.
        tsquery = "plainto_tsquery('simple', %(text)s)"
        ranking = (
            f"ts_rank(s.search, {tsquery}) DESC, s.id DESC"
            if order == "relevancy"
            else "s.id + 0 DESC"
        )
        rows = self._q(
            f"SELECT s.id FROM statuses s WHERE numnode({tsquery}) > 0 "
            f"AND s.search @@ {tsquery} AND {_VISIBLE} "
            f"ORDER BY {ranking} LIMIT %(limit)s OFFSET %(offset)s",
            {
                "text": text,
                "viewer": -1 if viewer_id is None else viewer_id,
                "limit": limit,
                "offset": offset,
            },
        )
        return [int(r[0]) for r in rows]

    def search_tags(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses in public statuses) for hashtags starting with ``prefix``.

        Most used first, then alphabetical (code-point order, the tags' ``C`` collation
        that also lets the prefix ``LIKE`` use the ``status_tags`` primary key).
        """
        if "\x00" in prefix:
            return []
        rows = self._q(
            "SELECT t.tag, COUNT(*) AS n FROM status_tags t JOIN statuses s ON s.id = t.status_id "
            "WHERE t.tag LIKE %s ESCAPE '\\' AND s.visibility = 'public' "
            "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT %s",
            (like_prefix(prefix.lower()), limit),
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    def tag_uses_since(self, since_ms: int, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) in public statuses since ``since_ms``, most used first."""
        rows = self._q(
            "SELECT t.tag, COUNT(*) AS n FROM status_tags t JOIN statuses s ON s.id = t.status_id "
            "WHERE s.created_at >= %s AND s.visibility = 'public' "
            "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT %s",
            (since_ms, limit),
        )
        return [(str(r[0]), int(r[1])) for r in rows]
