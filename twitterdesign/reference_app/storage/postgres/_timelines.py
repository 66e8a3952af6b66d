"""Timelines: keyset pages of status ids (profile, public, hashtag, home)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage._sql import account_status_filters
from twitterdesign.reference_app.storage.postgres._connection import Connected, page_sql
from twitterdesign.reference_app.storage.postgres._status_reads import unique_ids

__all__ = ["TimelinesMixin"]


class TimelinesMixin(Connected):
    """The id-only timeline reads; hydration is `StatusReadsMixin.get_statuses`."""

    def account_status_ids(
        self,
        account_id: int,
        page: Page,
        *,
        visibilities: Sequence[str],
        exclude_replies: bool = False,
        exclude_reblogs: bool = False,
        only_media: bool = False,
    ) -> list[int]:
        """Return ids of an account's statuses with one of ``visibilities``, newest first.

        Plan on 50k statuses: ``Bitmap Index Scan on statuses_by_account``.
        """
        if not visibilities:
            return []
        extra = account_status_filters(
            exclude_replies=exclude_replies,
            exclude_reblogs=exclude_reblogs,
            only_media=only_media,
        )
        tail, params, asc = page_sql(page, "id")
        query_params: list[Any] = [account_id, list(visibilities), *params]
        rows = self._q(
            "SELECT id FROM statuses WHERE account_id = %s AND visibility = ANY(%s::text[])"
            + extra
            + tail,
            query_params,
        )
        out = [int(r[0]) for r in rows]
        return out[::-1] if asc else out

    def public_status_ids(self, page: Page, *, tag: str | None = None) -> list[int]:
        """Return ids of public statuses, optionally only those with ``tag``, newest first.

        Plans on 50k statuses: ``Index Only Scan Backward using statuses_public`` (the
        partial index of public ids); with a tag, ``Index Only Scan Backward using
        status_tags_pkey`` in a nested loop with ``Index Only Scan using statuses_public``.
        """
        if tag is None:
            tail, params, asc = page_sql(page, "id")
            rows = self._q("SELECT id FROM statuses WHERE visibility = 'public'" + tail, params)
        else:
            if "\x00" in tag:
                return []
            tail, params, asc = page_sql(page, "t.status_id")
            rows = self._q(
                "SELECT t.status_id FROM status_tags t JOIN statuses s ON s.id = t.status_id "
                "WHERE t.tag = %s AND s.visibility = 'public'" + tail,
                [tag.lower(), *params],
            )
        out = [int(r[0]) for r in rows]
        return out[::-1] if asc else out

    def status_ids_by_authors(self, author_ids: Sequence[int], page: Page) -> list[int]:
        """Return ids of statuses (any visibility) by any of ``author_ids``, newest first.

        The home timeline's pull: for each author, at most ``limit`` ids from a backward
        scan of ``statuses_by_account (account_id, id)`` (a LATERAL subquery), then the top
        ``limit`` of those. The work is ``authors x limit`` index entries, however long
        each author's history. Plan on 50k statuses, 200 authors: ``Nested Loop`` over
        ``Function Scan on unnest`` with ``Index Only Scan Backward using
        statuses_by_account`` (under a per-author ``Limit``), then a top-N ``Sort``.
        """
        authors = unique_ids(author_ids)
        if not authors:
            return []
        tail, params, asc = page_sql(page, "s.id")
        direction = "ASC" if asc else "DESC"
        rows = self._q(
            "SELECT x.id FROM unnest(%s::bigint[]) AS a(id) CROSS JOIN LATERAL "
            "(SELECT s.id FROM statuses s WHERE s.account_id = a.id" + tail + ") AS x "
            f"ORDER BY x.id {direction} LIMIT %s",
            [authors, *params, page.limit],
        )
        out = [int(r[0]) for r in rows]
        return out[::-1] if asc else out

    def recent_public_status_ids(self, since_ms: int) -> list[int]:
        """Return ids of public, non-reblog statuses created since ``since_ms``, oldest first."""
        rows = self._q(
            "SELECT id FROM statuses WHERE created_at >= %s AND visibility = 'public' "
            "AND reblog_of_id IS NULL ORDER BY id",
            (since_ms,),
        )
        return [int(r[0]) for r in rows]
