"""Timelines, search, trends and notifications."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
import dataclasses
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from twitterdesign.reference_app.api._deps import (
    Auth,
    BadRequest,
    Params,
    User,
    auth_optional,
    base_url,
    json_page,
    off_loop_if_blocking,
    page_from,
    params,
    parse_count,
    parse_id,
    render_cache,
    require,
    services,
    set_link,
    viewer_of,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._render_notifications import notifications_json
from twitterdesign.reference_app.services import NotFound
from twitterdesign.reference_app.storage import StatusRecord

__all__ = ["router"]

router = APIRouter()

# Read endpoints are ``off_loop_if_blocking``: on SQLite they run on the event loop instead
# of hopping to the thread pool (their reads take microseconds and never wait for a writer,
# WAL), and avoiding 40 threads contending for the GIL doubled the home timeline's
# requests/s in benchmarks/app_bench.py; on PostgreSQL each body runs in one thread hop,
# so the loop keeps serving while a query waits for the network. Writes stay ``def`` (they
# may wait for fsync and the write lock).


def _r(request: Request, auth: Auth | None) -> Renderer:
    return Renderer(
        services(request), base_url(request), viewer_of(auth), cache=render_cache(request)
    )


def _page_out(
    request: Request,
    response: Response,
    auth: Auth | None,
    items: list[StatusRecord],
    *,
    read: list[StatusRecord] | None = None,
) -> Response:
    """Render a page; ``read`` (what the page read before filters) sets the Link cursors,
    so a page whose statuses were all filtered out still leads to the next one."""
    cursors = [s.id for s in (items if read is None else read)]
    return json_page(request, _r(request, auth).statuses_json(items), cursors)


@router.get(
    "/api/v1/timelines/home",
    tags=["timelines"],
    summary="Home timeline",
    response_model=list[dict[str, Any]],
)
@off_loop_if_blocking
def home(
    request: Request, response: Response, auth: User = Depends(require("read:statuses"))
) -> Response:
    """The lesson's viewHome_timeline: followed accounts' statuses, newest first.

    Served from the caller's timeline cache (filled by the fan-out worker), merged with
    celebrities' recent statuses pulled at read time. With ``order=top`` (an extension
    other clients ignore): the same candidates ranked by engagement with time decay
    (`twitterdesign.reference_app.services.ranking`); its ``Link`` next page carries a
    ``ranking`` snapshot token and an ``offset``.
    """
    s = services(request)
    order = request.query_params.get("order") or "latest"
    if order not in ("latest", "top"):
        raise BadRequest("order must be latest or top")
    if order == "top":
        return _ranked_home(request, auth)
    page = page_from(request)
    # Ask for a few extra candidates: some may no longer be visible (an unfollow).
    wider = dataclasses.replace(page, limit=page.limit + 10)
    candidates = s.timelines.home_ids(auth.account_id, wider)
    items = s.filters.drop_hidden(
        auth.account_id, s.statuses.hydrate(auth.account_id, candidates), "home"
    )
    items = items[-page.limit :] if page.min_id is not None else items[: page.limit]
    return _page_out(request, response, auth, items)


def _ranked_home(request: Request, auth: User) -> Response:
    q = request.query_params
    token = q.get("ranking") or None
    if token is not None and (len(token) > 40 or not _TOKEN_CHARS.issuperset(token)):
        raise BadRequest("ranking is not a ranking token")
    offset = parse_count(q.get("offset") or "0", name="offset")
    limit = page_from(request).limit
    ranked = services(request).ranking.page(
        auth.account_id, limit=limit, token=token, offset=offset
    )
    shown = services(request).filters.drop_hidden(auth.account_id, ranked.items, "home")
    body = _r(request, auth).statuses_json(shown)
    headers = {}
    if ranked.next_offset is not None:
        keep = [(k, v) for k, v in q.multi_items() if k not in _RANKED_CURSOR]
        nxt = urlencode([*keep, ("ranking", ranked.token), ("offset", str(ranked.next_offset))])
        headers["Link"] = f'<{base_url(request)}{request.url.path}?{nxt}>; rel="next"'
    return Response(body.encode("utf-8"), media_type="application/json", headers=headers)


_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_RANKED_CURSOR = frozenset({"ranking", "offset", "max_id", "min_id", "since_id"})


@router.get(
    "/api/v1/timelines/public",
    tags=["timelines"],
    summary="Public timeline",
    response_model=list[dict[str, Any]],
)
@off_loop_if_blocking
def public(
    request: Request, response: Response, auth: Auth | None = Depends(auth_optional)
) -> Response:
    """Every public status, newest first."""
    s = services(request)
    read = s.statuses.public(viewer_of(auth), page_from(request))
    items = s.filters.drop_hidden(viewer_of(auth), read, "public")
    return _page_out(request, response, auth, items, read=read)


@router.get(
    "/api/v1/timelines/tag/{hashtag}",
    tags=["timelines"],
    summary="Hashtag timeline",
    response_model=list[dict[str, Any]],
)
@off_loop_if_blocking
def tag_timeline(
    hashtag: str,
    request: Request,
    response: Response,
    auth: Auth | None = Depends(auth_optional),
) -> Response:
    """Public statuses with a hashtag, newest first."""
    name = hashtag.lstrip("#").lower()
    if not name or len(name) > 100:
        raise NotFound("Record not found")
    s = services(request)
    read = s.statuses.public(viewer_of(auth), page_from(request), tag=name)
    items = s.filters.drop_hidden(viewer_of(auth), read, "public")
    return _page_out(request, response, auth, items, read=read)


@router.get("/api/v2/search", tags=["search"], summary="Search accounts, hashtags, statuses")
@off_loop_if_blocking
def search(
    request: Request, p: Params = Depends(params), auth: Auth | None = Depends(auth_optional)
) -> dict[str, Any]:
    """The lesson's searchTweet: full-text over statuses the caller may see (FTS5)."""
    q = p.text("q", max_len=500)
    if q is None:
        raise BadRequest("q is required")
    kind = p.text("type", max_len=20)
    if kind not in (None, "", "accounts", "hashtags", "statuses"):
        raise BadRequest("type must be accounts, hashtags or statuses")
    offset = parse_count(p.text("offset", default="0", max_len=100) or "0", name="offset")
    page = page_from(request)
    s = services(request)
    found = s.search.search(viewer_of(auth), q, kind=kind or None, limit=page.limit, offset=offset)
    r = _r(request, auth)
    return {
        "accounts": [r.account(a) for a in found.accounts],
        "statuses": r.statuses(found.statuses),
        "hashtags": [r.tag(name) for name, _ in found.hashtags],
    }


def _limit(request: Request, default: int, maximum: int) -> int:
    return page_from(request, default_limit=default, max_limit=maximum).limit


@router.get("/api/v1/trends/tags", tags=["trends"], summary="Trending hashtags")
@router.get("/api/v1/trends", tags=["trends"], summary="Trending hashtags (old alias)")
@off_loop_if_blocking
def trending_tags(request: Request) -> list[dict[str, Any]]:
    """Hashtags used most in public statuses recently."""
    s = services(request)
    r = _r(request, None)
    limit = _limit(request, 10, 20)
    return [r.tag(t.name) for t in s.trends.trending_tags(limit)]


@router.get("/api/v1/trends/links", tags=["trends"], summary="Trending links (none)")
def trending_links() -> list[dict[str, Any]]:
    """Statuses here carry no link preview cards, so no link can trend: always empty."""
    return []


@router.get("/api/v1/trends/statuses", tags=["trends"], summary="Trending statuses")
@off_loop_if_blocking
def trending_statuses(
    request: Request, auth: Auth | None = Depends(auth_optional)
) -> list[dict[str, Any]]:
    """Public statuses with the most likes, reblogs and views recently."""
    s = services(request)
    limit = _limit(request, 20, 40)
    ranked = s.trends.trending_statuses(limit)
    items = s.statuses.hydrate(viewer_of(auth), [t.status_id for t in ranked])
    return _r(request, auth).statuses([x for x in items if x.visibility == "public"])


@router.get("/api/v1/notifications", tags=["notifications"], summary="Notifications")
@off_loop_if_blocking
def notifications(
    request: Request,
    response: Response,
    p: Params = Depends(params),
    auth: User = Depends(require("read:notifications")),
) -> list[dict[str, Any]]:
    """Follows, favourites, reblogs and mentions of the caller, newest first."""
    types = [str(t) for t in (p.raw("types") or [])] if isinstance(p.raw("types"), list) else None
    exclude = p.raw("exclude_types")
    found = services(request).notifications.list_page(
        auth.account_id,
        page_from(request),
        types=types,
        exclude_types=[str(t) for t in exclude] if isinstance(exclude, list) else (),
    )
    set_link(request, response, found.ids)
    return notifications_json(_r(request, auth), found.items)


UNREAD_LIMIT = (100, 1000)
"""Default and largest ``limit`` of the unread count (Mastodon counts no further)."""


@router.get(
    "/api/v1/notifications/unread_count", tags=["notifications"], summary="Unread notifications"
)
@off_loop_if_blocking
def unread_count(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("read:notifications")),
) -> dict[str, int]:
    """How many notifications are newer than the notifications marker, up to ``limit``."""
    default, most = UNREAD_LIMIT
    limit = page_from(request, default_limit=default, max_limit=most).limit
    types, exclude = p.raw("types"), p.raw("exclude_types")
    count = services(request).curation.unread_notifications(
        auth.account_id,
        limit=limit,
        types=[str(t) for t in types] if isinstance(types, list) else None,
        exclude_types=[str(t) for t in exclude] if isinstance(exclude, list) else (),
    )
    return {"count": count}


@router.get("/api/v1/notifications/{notification_id}", tags=["notifications"])
def notification(
    notification_id: str, request: Request, auth: User = Depends(require("read:notifications"))
) -> dict[str, Any]:
    """One notification of the caller."""
    found = services(request).notifications.get(auth.account_id, parse_id(notification_id))
    rendered = notifications_json(_r(request, auth), [found])
    if not rendered:
        raise NotFound("Record not found")
    return rendered[0]


@router.post("/api/v1/notifications/clear", tags=["notifications"])
def clear_notifications(
    request: Request, auth: User = Depends(require("write:notifications"))
) -> dict[str, Any]:
    """Delete all of the caller's notifications."""
    services(request).notifications.clear(auth.account_id)
    return {}
