"""Statuses: post, read, delete, context, favourite, reblog, and who did so."""

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
    off_loop_if_blocking,
    page_from,
    params,
    parse_id,
    require,
    services,
    set_link,
    viewer_of,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._schemas import body_doc

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/statuses", tags=["statuses"])

MAX_MANY_STATUSES = 20
"""Most ids ``GET /api/v1/statuses?id[]=`` takes (Mastodon's limit)."""


def _r(request: Request, auth: Auth | None) -> Renderer:
    return Renderer(services(request), base_url(request), viewer_of(auth))


@router.post("", summary="Post a status", openapi_extra=body_doc("StatusCreate"))
def post_status(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:statuses")),
) -> dict[str, Any]:
    """The lesson's postTweet (and replyTweet with ``in_reply_to_id``).

    Returns as soon as the status is stored; fan-out to followers happens in the
    background. A repeated ``Idempotency-Key`` returns the status created the first time;
    the same key with a different request answers 422.
    """
    s = services(request)
    reply = p.text("in_reply_to_id", max_len=40)
    key = request.headers.get("idempotency-key")
    # What is left out follows the author's posting defaults (update_credentials' source).
    me = s.accounts.get(auth.account_id)
    status = s.statuses.create(
        auth.account_id,
        p.text("status", default="", max_len=100_000) or "",
        visibility=p.text("visibility", max_len=20) or me.privacy,
        in_reply_to_id=parse_id(reply, name="in_reply_to_id", bad=BadRequest) if reply else None,
        media_ids=p.ids("media_ids"),
        idempotency_key=key,
        spoiler_text=p.text("spoiler_text", default="", max_len=100_000) or "",
        sensitive=p.flag("sensitive", me.sensitive),
        language=p.text("language", max_len=40) or me.language,
    )
    return _r(request, auth).status(status)


@router.get("", summary="Several statuses")
@off_loop_if_blocking
def get_statuses(
    request: Request, p: Params = Depends(params), auth: Auth | None = Depends(auth_optional)
) -> list[dict[str, Any]]:
    """Return the statuses of ``id[]`` (up to 20) the caller may see, in the order asked.

    Missing and hidden ones are left out, never revealed.
    """
    ids = p.ids("id")
    if len(ids) > MAX_MANY_STATUSES:
        raise BadRequest(f"at most {MAX_MANY_STATUSES} ids (id[]) per request")
    s = services(request)
    visible = {st.id: st for st in s.statuses.hydrate(viewer_of(auth), ids, hide=None)}
    return _r(request, auth).statuses([visible[i] for i in dict.fromkeys(ids) if i in visible])


@router.get("/{status_id}", summary="One status")
@off_loop_if_blocking
def get_status(
    status_id: str, request: Request, auth: Auth | None = Depends(auth_optional)
) -> dict[str, Any]:
    """Return a status the caller may see (404 otherwise, never revealing it exists)."""
    s = services(request)
    return _r(request, auth).status(s.statuses.get_visible(viewer_of(auth), parse_id(status_id)))


@router.put("/{status_id}", summary="Edit a status", openapi_extra=body_doc("StatusEdit"))
def edit_status(
    status_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:statuses")),
) -> dict[str, Any]:
    """Edit one's own status (text, spoiler_text, sensitive, language, media_ids).

    The rules of posting apply; a field left out keeps its value. The earlier versions
    stay in ``/history``; those who reblogged it get an ``update`` notification, and the
    streams that showed it a ``status.update`` event.
    """
    s = services(request)
    media = p.ids("media_ids") if p.raw("media_ids") is not None else None
    sensitive = p.flag("sensitive") if p.raw("sensitive") not in (None, "") else None
    status = s.edits.edit(
        auth.account_id,
        parse_id(status_id),
        text=p.text("status", max_len=100_000),
        spoiler_text=p.text("spoiler_text", max_len=100_000),
        sensitive=sensitive,
        language=p.text("language", max_len=40),
        media_ids=media,
    )
    return _r(request, auth).status(status)


@router.get("/{status_id}/history", summary="Every version of a status")
@off_loop_if_blocking
def status_history(
    status_id: str, request: Request, auth: Auth | None = Depends(auth_optional)
) -> list[dict[str, Any]]:
    """StatusEdit entities, oldest first: the original, then each edit (the last is current)."""
    s = services(request)
    edits = s.edits.history(viewer_of(auth), parse_id(status_id))
    return _r(request, auth).status_edits(edits)


@router.get("/{status_id}/source", summary="A status's text as typed, for editing")
@off_loop_if_blocking
def status_source(
    status_id: str, request: Request, auth: User = Depends(require("read:statuses"))
) -> dict[str, Any]:
    """StatusSource: ``id``, ``text`` and ``spoiler_text`` of a status the caller may see."""
    source = services(request).edits.source(auth.account_id, parse_id(status_id))
    return {"id": str(source.id), "text": source.text, "spoiler_text": source.spoiler_text}


@router.delete("/{status_id}", summary="Delete a status")
def delete_status(
    status_id: str, request: Request, auth: User = Depends(require("write:statuses"))
) -> dict[str, Any]:
    """Delete one's own status; returns it with its source ``text``, as Mastodon does."""
    s = services(request)
    status = s.statuses.delete(auth.account_id, parse_id(status_id))
    out = _r(request, auth).status(status)
    out["text"] = status.text
    return out


@router.get("/{status_id}/context", summary="Ancestors and descendants of a status")
@off_loop_if_blocking
def context(
    status_id: str, request: Request, auth: Auth | None = Depends(auth_optional)
) -> dict[str, Any]:
    """The conversation around a status, filtered by what the caller may see."""
    s = services(request)
    viewer = viewer_of(auth)
    ancestors, descendants = s.statuses.context(viewer, parse_id(status_id))
    ancestors = s.filters.drop_hidden(viewer, ancestors, "thread")
    descendants = s.filters.drop_hidden(viewer, descendants, "thread")
    r = _r(request, auth)
    return {"ancestors": r.statuses(ancestors), "descendants": r.statuses(descendants)}


@router.post("/{status_id}/favourite", summary="Like a status")
def favourite(
    status_id: str, request: Request, auth: User = Depends(require("write:favourites"))
) -> dict[str, Any]:
    """The lesson's likeTweet."""
    s = services(request)
    return _r(request, auth).status(s.engagement.favourite(auth.account_id, parse_id(status_id)))


@router.post("/{status_id}/unfavourite", summary="Unlike a status")
def unfavourite(
    status_id: str, request: Request, auth: User = Depends(require("write:favourites"))
) -> dict[str, Any]:
    """Remove a like."""
    s = services(request)
    return _r(request, auth).status(s.engagement.unfavourite(auth.account_id, parse_id(status_id)))


@router.post(
    "/{status_id}/reblog",
    summary="Reblog (retweet) a status",
    openapi_extra=body_doc("ReblogRequest", required=False),
)
def reblog(
    status_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:statuses")),
) -> dict[str, Any]:
    """The lesson's retweet; returns the reblog, with the original inside ``reblog``."""
    s = services(request)
    status = s.engagement.reblog(
        auth.account_id,
        parse_id(status_id),
        visibility=p.text("visibility", default="public", max_len=20) or "public",
    )
    return _r(request, auth).status(status)


@router.post("/{status_id}/unreblog", summary="Undo a reblog")
def unreblog(
    status_id: str, request: Request, auth: User = Depends(require("write:statuses"))
) -> dict[str, Any]:
    """Remove one's reblog; returns the original status."""
    s = services(request)
    return _r(request, auth).status(s.engagement.unreblog(auth.account_id, parse_id(status_id)))


@router.get("/{status_id}/favourited_by", summary="Who liked a status")
@off_loop_if_blocking
def favourited_by(
    status_id: str,
    request: Request,
    response: Response,
    auth: Auth | None = Depends(auth_optional),
) -> list[dict[str, Any]]:
    """Accounts that favourited a status the caller may see, newest first."""
    s = services(request)
    pairs = s.engagement.favourited_by(viewer_of(auth), parse_id(status_id), page_from(request))
    set_link(request, response, [i for i, _ in pairs])
    return _r(request, auth).accounts_by_id([a for _, a in pairs])


@router.get("/{status_id}/reblogged_by", summary="Who reblogged a status")
@off_loop_if_blocking
def reblogged_by(
    status_id: str,
    request: Request,
    response: Response,
    auth: Auth | None = Depends(auth_optional),
) -> list[dict[str, Any]]:
    """Accounts that reblogged a status the caller may see, newest first."""
    s = services(request)
    pairs = s.engagement.reblogged_by(viewer_of(auth), parse_id(status_id), page_from(request))
    set_link(request, response, [i for i, _ in pairs])
    return _r(request, auth).accounts_by_id([a for _, a in pairs])
