"""The teaching endpoint behind the web client's "How it works" panel (off by default).

``GET /lesson/v1/debug/statuses/{id}``: how one status was fanned out (which followers'
home timelines hold it, and who merges it at read time), its counters part by part (the
stored column, the Redis shards, the in-flight flush batch, this process's view buffer)
and its Snowflake id decoded (`twitterdesign.reference_app.services.internals`).

Why under ``/lesson/v1/`` and not ``/api/``: the path is the project's own, like the
lesson's calls; ``/api/v1/`` and ``/api/v2/`` are Mastodon's, whose next release may take
any name there. The router is included only when ``Settings.debug_api_enabled`` is set;
otherwise the path answers 404 exactly like an unknown one (no hint it exists). A status
the caller may not see answers 404 too, like one that does not exist: the endpoint shows
nothing about a private status to someone who may not read it. Read-only: no view is
counted, nothing is written.
"""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
from typing import Any

from fastapi import APIRouter, Depends, Request

from twitterdesign.reference_app.api._deps import (
    Auth,
    auth_optional,
    off_loop_if_blocking,
    parse_id,
    services,
    viewer_of,
)

__all__ = ["DEBUG_STATUS_PATH", "router"]

DEBUG_STATUS_PATH = "/lesson/v1/debug/statuses/"
"""Where the teaching endpoint answers (followed by a status id)."""

router = APIRouter(prefix="/lesson/v1/debug", tags=["lesson"])


@router.get("/statuses/{status_id}", summary="How a status was fanned out and counted")
@off_loop_if_blocking
def status_internals(
    status_id: str, request: Request, auth: Auth | None = Depends(auth_optional)
) -> dict[str, Any]:
    """The hybrid fan-out, the sharded counters and the Snowflake id of one status.

    ``fanout.pushed_to``: followers whose home timeline holds the status now, read from
    the timeline store (the newest ``fanout.followers_checked`` followers are checked;
    ``count`` is over those, ``accounts`` names at most 20). ``fanout.merged_at_read``:
    followers whose home reads merge it from storage — all of them when the author is a
    celebrity (``delivery: "pull"``). ``counters``: per counter its ``total`` (what
    clients are shown) and the parts it adds up from. ``snowflake``: time, worker and
    sequence of the id. 404 for a status the caller may not see.
    """
    found = services(request).internals.explain(viewer_of(auth), parse_id(status_id))
    return found.to_dict()
