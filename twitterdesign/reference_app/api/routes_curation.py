"""Bookmarks, the favourites page, read markers and hashtags (with follow and unfollow)."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
from typing import Any

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
    parse_id,
    render_cache,
    require,
    services,
    set_link,
    viewer_of,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._schemas import body_doc
from twitterdesign.reference_app.services import SavedPage
from twitterdesign.reference_app.storage import MARKER_TIMELINES

__all__ = ["router"]

router = APIRouter()

FOLLOWED_TAGS_LIMIT = (100, 200)
"""Default and most followed tags per page, as in Mastodon."""


def _r(request: Request, auth: Auth | None) -> Renderer:
    return Renderer(
        services(request), base_url(request), viewer_of(auth), cache=render_cache(request)
    )


def _saved_out(request: Request, auth: Auth, found: SavedPage) -> Response:
    return json_page(request, _r(request, auth).statuses_json(found.statuses), found.cursor_ids)


# --- bookmarks and favourites --------------------------------------------------------------
@router.post("/api/v1/statuses/{status_id}/bookmark", tags=["statuses"], summary="Bookmark")
def bookmark(
    status_id: str, request: Request, auth: User = Depends(require("write:bookmarks"))
) -> dict[str, Any]:
    """Bookmark a status the caller may see (idempotent); returns it with ``bookmarked``."""
    status = services(request).curation.bookmark(auth.account_id, parse_id(status_id))
    return _r(request, auth).status(status)


@router.post(
    "/api/v1/statuses/{status_id}/unbookmark", tags=["statuses"], summary="Remove a bookmark"
)
def unbookmark(
    status_id: str, request: Request, auth: User = Depends(require("write:bookmarks"))
) -> dict[str, Any]:
    """Remove a bookmark (idempotent); returns the status."""
    status = services(request).curation.unbookmark(auth.account_id, parse_id(status_id))
    return _r(request, auth).status(status)


@router.get(
    "/api/v1/bookmarks",
    tags=["statuses"],
    summary="Bookmarked statuses",
    response_model=list[dict[str, Any]],
)
@off_loop_if_blocking
def bookmarks(request: Request, auth: User = Depends(require("read:bookmarks"))) -> Response:
    """The caller's bookmarks, newest bookmark first; ``Link`` pages by bookmark id."""
    found = services(request).curation.bookmarks(auth.account_id, page_from(request))
    return _saved_out(request, auth, found)


@router.get(
    "/api/v1/favourites",
    tags=["statuses"],
    summary="Favourited statuses",
    response_model=list[dict[str, Any]],
)
@off_loop_if_blocking
def favourites(request: Request, auth: User = Depends(require("read:favourites"))) -> Response:
    """The statuses the caller liked, newest like first; ``Link`` pages by favourite id."""
    found = services(request).curation.favourites(auth.account_id, page_from(request))
    return _saved_out(request, auth, found)


# --- markers -------------------------------------------------------------------------------
@router.get("/api/v1/markers", tags=["timelines"], summary="Read markers")
@off_loop_if_blocking
def markers(
    request: Request, p: Params = Depends(params), auth: User = Depends(require("read:statuses"))
) -> dict[str, Any]:
    """Where the caller stopped reading ``timeline[]`` (``home``, ``notifications``)."""
    raw = p.raw("timeline")
    names = raw if isinstance(raw, list) else [] if raw is None else [raw]
    found = services(request).curation.markers(auth.account_id, [str(n) for n in names])
    r = _r(request, auth)
    return {name: r.marker(m) for name, m in found.items()}


def _marker_positions(p: Params) -> dict[str, int]:
    """Read ``home[last_read_id]`` (form) or ``{"home": {"last_read_id": …}}`` (JSON)."""
    out: dict[str, int] = {}
    for timeline in MARKER_TIMELINES:
        nested = p.raw(timeline)
        value = nested.get("last_read_id") if isinstance(nested, dict) else None
        if value is None:
            value = p.text(f"{timeline}[last_read_id]", max_len=40)
        if value is None:
            continue
        name = f"{timeline}[last_read_id]"
        if not isinstance(value, str | int):
            raise BadRequest(f"{name} must be a status or notification id")
        out[timeline] = parse_id(value, name=name, bad=BadRequest)
    return out


@router.post(
    "/api/v1/markers",
    tags=["timelines"],
    summary="Save read markers",
    openapi_extra=body_doc("MarkersUpdate"),
)
def save_markers(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:statuses")),
) -> dict[str, Any]:
    """Save where the caller stopped reading; each change adds 1 to a marker's ``version``."""
    saved = services(request).curation.save_markers(auth.account_id, _marker_positions(p))
    r = _r(request, auth)
    return {name: r.marker(m) for name, m in saved.items()}


# --- hashtags ------------------------------------------------------------------------------
@router.get("/api/v1/tags/{name}", tags=["tags"], summary="A hashtag")
@off_loop_if_blocking
def tag(name: str, request: Request, auth: Auth | None = Depends(auth_optional)) -> dict[str, Any]:
    """A hashtag with a week of use; ``following`` for a signed-in caller."""
    info = services(request).curation.tag(viewer_of(auth), name)
    return _r(request, auth).tag_info(info)


@router.post("/api/v1/tags/{name}/follow", tags=["tags"], summary="Follow a hashtag")
def follow_tag(
    name: str, request: Request, auth: User = Depends(require("write:follows"))
) -> dict[str, Any]:
    """Follow a hashtag (idempotent)."""
    info = services(request).curation.follow_tag(auth.account_id, name)
    return _r(request, auth).tag_info(info)


@router.post("/api/v1/tags/{name}/unfollow", tags=["tags"], summary="Unfollow a hashtag")
def unfollow_tag(
    name: str, request: Request, auth: User = Depends(require("write:follows"))
) -> dict[str, Any]:
    """Stop following a hashtag (idempotent)."""
    info = services(request).curation.unfollow_tag(auth.account_id, name)
    return _r(request, auth).tag_info(info)


@router.get("/api/v1/followed_tags", tags=["tags"], summary="Followed hashtags")
@off_loop_if_blocking
def followed_tags(
    request: Request, response: Response, auth: User = Depends(require("read:follows"))
) -> list[dict[str, Any]]:
    """The hashtags the caller follows, newest follow first; ``Link`` pages by follow id."""
    default, most = FOLLOWED_TAGS_LIMIT
    page = page_from(request, default_limit=default, max_limit=most)
    infos, ids = services(request).curation.followed_tags(auth.account_id, page)
    set_link(request, response, ids)
    r = _r(request, auth)
    return [r.tag_info(i) for i in infos]
