"""Content filters: ``/api/v2/filters`` (with keywords) and ``/api/v1/filters`` on top of them."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
from typing import Any

from fastapi import APIRouter, Depends, Request

from twitterdesign.reference_app.api._deps import (
    BadRequest,
    Params,
    User,
    base_url,
    off_loop_if_blocking,
    params,
    parse_count,
    parse_id,
    require,
    services,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._schemas import body_doc
from twitterdesign.reference_app.services.filters import KeywordChange

__all__ = ["router"]

router = APIRouter(tags=["filters"])


def _r(request: Request, auth: User) -> Renderer:
    return Renderer(services(request), base_url(request), auth.account_id)


def _context(p: Params, *, required: bool) -> list[str] | None:
    raw = p.raw("context")
    if raw is None:
        if required:
            return []  # the service answers 422: context can't be empty
        return None
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(c, str) for c in items):
        raise BadRequest("context must be a list of strings")
    return [str(c) for c in items]


def _expires_in(p: Params) -> tuple[int | None, bool]:
    """Return (seconds, clear): an empty ``expires_in`` clears the expiry."""
    raw = p.raw("expires_in")
    if raw is None:
        return None, False
    if raw == "" or raw is False:
        return None, True
    text = p.text("expires_in", max_len=20) or ""
    return parse_count(text, name="expires_in", minimum=1), False


def _keyword_items(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        try:
            raw = [raw[k] for k in sorted(raw, key=int)]
        except (TypeError, ValueError):
            raise BadRequest("keywords_attributes keys must be indexes (0, 1, ...)") from None
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        raise BadRequest("keywords_attributes must be a list of {keyword, whole_word}")
    return raw


def _changes(raw: Any) -> list[KeywordChange]:
    out: list[KeywordChange] = []
    for item in _keyword_items(raw):
        p = Params(item, {})
        kid = p.text("id", max_len=40)
        out.append(
            KeywordChange(
                id=parse_id(kid, name="keywords_attributes id", bad=BadRequest) if kid else None,
                keyword=p.text("keyword", max_len=10_000),
                whole_word=p.flag("whole_word") if p.raw("whole_word") is not None else None,
                destroy=p.flag("_destroy"),
            )
        )
    return out


# --- v2 ------------------------------------------------------------------------------
@router.get("/api/v2/filters", summary="The caller's filters")
@off_loop_if_blocking
def list_filters(
    request: Request, auth: User = Depends(require("read:filters"))
) -> list[dict[str, Any]]:
    """Every filter of the caller, with its keywords (expired ones too), oldest first."""
    r = _r(request, auth)
    return [r.filter(f) for f in services(request).filters.filters_of(auth.account_id)]


@router.get("/api/v2/filters/{filter_id}", summary="One filter")
@off_loop_if_blocking
def get_filter(
    filter_id: str, request: Request, auth: User = Depends(require("read:filters"))
) -> dict[str, Any]:
    """One of the caller's filters (404 for anyone else's)."""
    found = services(request).filters.get(auth.account_id, parse_id(filter_id))
    return _r(request, auth).filter(found)


@router.post("/api/v2/filters", summary="Create a filter", openapi_extra=body_doc("FilterCreate"))
def create_filter(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:filters")),
) -> dict[str, Any]:
    """Create a filter: title, context[], filter_action (warn/hide), expires_in, keywords."""
    expires, _ = _expires_in(p)
    keywords = [
        (c.keyword or "", bool(c.whole_word))
        for c in _changes(p.nested("keywords_attributes"))
        if not c.destroy
    ]
    created = services(request).filters.create(
        auth.account_id,
        title=p.text("title", default="", max_len=10_000) or "",
        context=_context(p, required=True) or [],
        action=p.text("filter_action", default="warn", max_len=40) or "warn",
        expires_in_s=expires,
        keywords=keywords,
    )
    return _r(request, auth).filter(created)


@router.put(
    "/api/v2/filters/{filter_id}",
    summary="Change a filter",
    openapi_extra=body_doc("FilterUpdate", required=False),
)
def update_filter(
    filter_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:filters")),
) -> dict[str, Any]:
    """Change a filter; keywords_attributes add (no id), change (id) or _destroy keywords."""
    expires, clear = _expires_in(p)
    updated = services(request).filters.update(
        auth.account_id,
        parse_id(filter_id),
        title=p.text("title", max_len=10_000),
        context=_context(p, required=False),
        action=p.text("filter_action", max_len=40),
        expires_in_s=expires,
        clear_expiry=clear,
        keyword_changes=_changes(p.nested("keywords_attributes")),
    )
    return _r(request, auth).filter(updated)


@router.delete("/api/v2/filters/{filter_id}", summary="Delete a filter")
def delete_filter(
    filter_id: str, request: Request, auth: User = Depends(require("write:filters"))
) -> dict[str, Any]:
    """Delete a filter with its keywords."""
    services(request).filters.delete(auth.account_id, parse_id(filter_id))
    return {}


@router.get("/api/v2/filters/{filter_id}/keywords", summary="A filter's keywords")
@off_loop_if_blocking
def filter_keywords(
    filter_id: str, request: Request, auth: User = Depends(require("read:filters"))
) -> list[dict[str, Any]]:
    """The keywords of one of the caller's filters."""
    found = services(request).filters.get(auth.account_id, parse_id(filter_id))
    return [Renderer.filter_keyword(k) for k in found.keywords]


@router.post(
    "/api/v2/filters/{filter_id}/keywords",
    summary="Add a keyword to a filter",
    openapi_extra=body_doc("FilterKeywordCreate"),
)
def add_filter_keyword(
    filter_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:filters")),
) -> dict[str, Any]:
    """Add a keyword (keyword, whole_word) to one of the caller's filters."""
    filters = services(request).filters
    fid = parse_id(filter_id)
    before = {k.id for k in filters.get(auth.account_id, fid).keywords}
    change = KeywordChange(
        keyword=p.text("keyword", default="", max_len=10_000) or "",
        whole_word=p.flag("whole_word"),
    )
    updated = filters.update(auth.account_id, fid, keyword_changes=[change])
    (added,) = [k for k in updated.keywords if k.id not in before]
    return Renderer.filter_keyword(added)


@router.get("/api/v2/filters/keywords/{keyword_id}", summary="One filter keyword")
@off_loop_if_blocking
def get_filter_keyword(
    keyword_id: str, request: Request, auth: User = Depends(require("read:filters"))
) -> dict[str, Any]:
    """One keyword of the caller's filters."""
    _, k = services(request).filters.keyword(auth.account_id, parse_id(keyword_id))
    return Renderer.filter_keyword(k)


@router.put(
    "/api/v2/filters/keywords/{keyword_id}",
    summary="Change a filter keyword",
    openapi_extra=body_doc("FilterKeywordCreate", required=False),
)
def update_filter_keyword(
    keyword_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:filters")),
) -> dict[str, Any]:
    """Change a keyword's text or whole_word."""
    filters = services(request).filters
    kid = parse_id(keyword_id)
    f, _ = filters.keyword(auth.account_id, kid)
    change = KeywordChange(
        id=kid,
        keyword=p.text("keyword", max_len=10_000),
        whole_word=p.flag("whole_word") if p.raw("whole_word") is not None else None,
    )
    updated = filters.update(auth.account_id, f.id, keyword_changes=[change])
    return Renderer.filter_keyword(next(k for k in updated.keywords if k.id == kid))


@router.delete("/api/v2/filters/keywords/{keyword_id}", summary="Delete a filter keyword")
def delete_filter_keyword(
    keyword_id: str, request: Request, auth: User = Depends(require("write:filters"))
) -> dict[str, Any]:
    """Remove a keyword from its filter (the filter stays)."""
    services(request).filters.delete_keyword(auth.account_id, parse_id(keyword_id))
    return {}


# --- v1: one keyword of a v2 filter each ----------------------------------------------
@router.get("/api/v1/filters", summary="The caller's filters (v1)")
@off_loop_if_blocking
def list_filters_v1(
    request: Request, auth: User = Depends(require("read:filters"))
) -> list[dict[str, Any]]:
    """Each keyword of each v2 filter as a v1 Filter."""
    filters = services(request).filters.filters_of(auth.account_id)
    return [Renderer.filter_v1(f, k) for f in filters for k in f.keywords]


@router.get("/api/v1/filters/{filter_id}", summary="One filter (v1)")
@off_loop_if_blocking
def get_filter_v1(
    filter_id: str, request: Request, auth: User = Depends(require("read:filters"))
) -> dict[str, Any]:
    """One v1 filter (a keyword of a v2 filter) of the caller."""
    f, k = services(request).filters.keyword(auth.account_id, parse_id(filter_id))
    return Renderer.filter_v1(f, k)


@router.post("/api/v1/filters", summary="Create a filter (v1)", openapi_extra=body_doc("FilterV1"))
def create_filter_v1(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:filters")),
) -> dict[str, Any]:
    """A v2 filter titled after ``phrase`` with that one keyword (irreversible: hide)."""
    phrase = p.text("phrase", default="", max_len=10_000) or ""
    expires, _ = _expires_in(p)
    created = services(request).filters.create(
        auth.account_id,
        title=phrase,
        context=_context(p, required=True) or [],
        action="hide" if p.flag("irreversible") else "warn",
        expires_in_s=expires,
        keywords=[(phrase, p.flag("whole_word", True))],
    )
    return Renderer.filter_v1(created, created.keywords[0])


@router.put(
    "/api/v1/filters/{filter_id}",
    summary="Change a filter (v1)",
    openapi_extra=body_doc("FilterV1", required=False),
)
def update_filter_v1(
    filter_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:filters")),
) -> dict[str, Any]:
    """Change the keyword and its v2 filter's context, action and expiry."""
    filters = services(request).filters
    kid = parse_id(filter_id)
    f, _ = filters.keyword(auth.account_id, kid)
    expires, clear = _expires_in(p)
    irreversible = p.flag("irreversible") if p.raw("irreversible") is not None else None
    updated = filters.update(
        auth.account_id,
        f.id,
        context=_context(p, required=False),
        action=None if irreversible is None else ("hide" if irreversible else "warn"),
        expires_in_s=expires,
        clear_expiry=clear,
        keyword_changes=[
            KeywordChange(
                id=kid,
                keyword=p.text("phrase", max_len=10_000),
                whole_word=p.flag("whole_word") if p.raw("whole_word") is not None else None,
            )
        ],
    )
    return Renderer.filter_v1(updated, next(k for k in updated.keywords if k.id == kid))


@router.delete("/api/v1/filters/{filter_id}", summary="Delete a filter (v1)")
def delete_filter_v1(
    filter_id: str, request: Request, auth: User = Depends(require("write:filters"))
) -> dict[str, Any]:
    """Delete the keyword (and its v2 filter, if it was the filter's only keyword)."""
    services(request).filters.delete_keyword(auth.account_id, parse_id(filter_id), drop_empty=True)
    return {}
