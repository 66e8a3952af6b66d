"""SQL fragments both engines build the same way; only the parameter mark differs."""

from __future__ import annotations

from typing import Any

from twitterdesign.reference_app.storage._records import Page

__all__ = ["account_status_filters", "like_prefix", "page_sql"]


def page_sql(page: Page, column: str, *, mark: str) -> tuple[str, list[Any], bool]:
    """Return (where-and-order-limit SQL, params, ascending) for a Mastodon page.

    ``max_id``/``since_id`` bound a newest-first page; ``min_id`` asks for the page right
    after it (read ascending; the caller returns it newest first). ``mark`` is the
    driver's parameter placeholder (``?`` for sqlite3, ``%s`` for psycopg).

    Examples:
        >>> page_sql(Page(max_id=9, limit=2), "id", mark="?")
        (' AND id < ? ORDER BY id DESC LIMIT ?', [9, 2], False)
    """
    conds: list[str] = []
    params: list[Any] = []
    if page.max_id is not None:
        conds.append(f"{column} < {mark}")
        params.append(page.max_id)
    if page.since_id is not None:
        conds.append(f"{column} > {mark}")
        params.append(page.since_id)
    ascending = page.min_id is not None
    if page.min_id is not None:
        conds.append(f"{column} > {mark}")
        params.append(page.min_id)
    where = (" AND " + " AND ".join(conds)) if conds else ""
    order = f" ORDER BY {column} {'ASC' if ascending else 'DESC'} LIMIT {mark}"
    params.append(page.limit)
    return where + order, params, ascending


def like_prefix(prefix: str) -> str:
    r"""Return a ``LIKE ... ESCAPE '\'`` pattern matching strings that start with ``prefix``.

    Examples:
        >>> like_prefix("50%_a\\b")
        '50\\%\\_a\\\\b%'
    """
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def account_status_filters(
    *, exclude_replies: bool, exclude_reblogs: bool, only_media: bool
) -> str:
    """Return the ``AND ...`` conditions of an account's status list (table ``statuses``).

    A reply to oneself (a thread) stays when replies are excluded, as in Mastodon.
    """
    extra = ""
    if exclude_replies:
        extra += " AND (in_reply_to_id IS NULL OR in_reply_to_account_id = account_id)"
    if exclude_reblogs:
        extra += " AND reblog_of_id IS NULL"
    if only_media:
        extra += " AND EXISTS (SELECT 1 FROM media m WHERE m.status_id = statuses.id)"
    return extra
