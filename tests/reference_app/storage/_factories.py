"""Records and a reference model for the storage contract tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from twitterdesign.reference_app.storage import (
    AccountStore,
    MediaRecord,
    Page,
    StatusRecord,
)


def status(sid: int, author: int, text: str = "hello", **fields: Any) -> StatusRecord:
    """A new public status by ``author`` created at ``sid`` ms, with zero counters."""
    values: dict[str, Any] = {
        "id": sid,
        "account_id": author,
        "text": text,
        "visibility": "public",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog_of_id": None,
        "created_at_ms": sid,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "views_count": 0,
    }
    values.update(fields)
    return StatusRecord(**values)


def reblog(sid: int, author: int, of: int) -> StatusRecord:
    """A reblog (empty text) of status ``of`` by ``author``."""
    return status(sid, author, text="", reblog_of_id=of)


def media(mid: int, account: int, sha256: str = "ab" * 32, **fields: Any) -> MediaRecord:
    """An unattached image of ``account``."""
    values: dict[str, Any] = {
        "id": mid,
        "account_id": account,
        "sha256": sha256,
        "content_type": "image/png",
        "size_bytes": 68,
        "width": 1,
        "height": 1,
        "description": None,
        "status_id": None,
        "created_at_ms": mid,
    }
    values.update(fields)
    return MediaRecord(**values)


def add_users(store: AccountStore, *ids: int) -> None:
    """Register accounts ``ids`` as ``u<id>`` with email ``u<id>@x.org``."""
    for account_id in ids:
        store.create_user(account_id, f"u{account_id}", f"u{account_id}@x.org", "h", 0)


def expected_page(ids: Iterable[int], page: Page) -> list[int]:
    """The reference model of `Page`: which of ``ids`` a page holds, in order."""
    keep = [
        i
        for i in ids
        if (page.max_id is None or i < page.max_id)
        and (page.since_id is None or i > page.since_id)
        and (page.min_id is None or i > page.min_id)
    ]
    if page.min_id is not None:
        return sorted(keep)[: page.limit][::-1]
    return sorted(keep, reverse=True)[: page.limit]


def run_together(jobs: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run ``jobs`` on one thread each, released together; return results (or exceptions)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # collected: the test decides what was allowed
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
