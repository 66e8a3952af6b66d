"""Lists: CRUD, members, the lists holding an account, and each list's timeline."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from twitterdesign.reference_app.api._deps import (
    Params,
    User,
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
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._schemas import body_doc
from twitterdesign.reference_app.errors import Unprocessable
from twitterdesign.reference_app.storage import Page

__all__ = ["router"]

router = APIRouter(tags=["lists"])

LIST_ACCOUNTS_LIMIT = (40, 80)
"""Default and most members per page, as in Mastodon (``limit=0``: every member)."""


def _r(request: Request, auth: User) -> Renderer:
    return Renderer(
        services(request), base_url(request), auth.account_id, cache=render_cache(request)
    )


def _fields(p: Params) -> dict[str, Any]:
    """Read ``title``, ``replies_policy`` and ``exclusive`` (each only if given)."""
    out: dict[str, Any] = {}
    title = p.text("title", max_len=10_000)
    if title is not None:
        out["title"] = title
    policy = p.text("replies_policy", max_len=100)
    if policy is not None:
        out["replies_policy"] = policy
    if p.raw("exclusive") is not None:
        out["exclusive"] = p.flag("exclusive")
    return out


@router.get("/api/v1/lists", summary="The caller's lists")
@off_loop_if_blocking
def lists(request: Request, auth: User = Depends(require("read:lists"))) -> list[dict[str, Any]]:
    """Every list of the caller, oldest first."""
    r = _r(request, auth)
    return [r.list_entity(x) for x in services(request).lists.all(auth.account_id)]


@router.post("/api/v1/lists", summary="Create a list", openapi_extra=body_doc("ListCreate"))
def create_list(
    request: Request, p: Params = Depends(params), auth: User = Depends(require("write:lists"))
) -> dict[str, Any]:
    """Create a list (``replies_policy`` ``list`` and not ``exclusive`` unless given)."""
    fields = _fields(p)
    if "title" not in fields:
        raise Unprocessable("Validation failed: Title can't be blank")
    created = services(request).lists.create(auth.account_id, **fields)
    return _r(request, auth).list_entity(created)


@router.get("/api/v1/lists/{list_id}", summary="One list")
@off_loop_if_blocking
def get_list(
    list_id: str, request: Request, auth: User = Depends(require("read:lists"))
) -> dict[str, Any]:
    """One of the caller's lists (404 for anyone else's)."""
    found = services(request).lists.get(auth.account_id, parse_id(list_id))
    return _r(request, auth).list_entity(found)


@router.put(
    "/api/v1/lists/{list_id}",
    summary="Change a list",
    openapi_extra=body_doc("ListCreate", required=False),
)
def update_list(
    list_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:lists")),
) -> dict[str, Any]:
    """Change the title, ``replies_policy`` or ``exclusive`` of one of the caller's lists."""
    changed = services(request).lists.update(auth.account_id, parse_id(list_id), **_fields(p))
    return _r(request, auth).list_entity(changed)


@router.delete("/api/v1/lists/{list_id}", summary="Delete a list")
def delete_list(
    list_id: str, request: Request, auth: User = Depends(require("write:lists"))
) -> dict[str, Any]:
    """Delete one of the caller's lists; answers ``{}``."""
    services(request).lists.delete(auth.account_id, parse_id(list_id))
    return {}


@router.get("/api/v1/lists/{list_id}/accounts", summary="Members of a list")
@off_loop_if_blocking
def list_accounts(
    list_id: str,
    request: Request,
    response: Response,
    auth: User = Depends(require("read:lists")),
) -> list[dict[str, Any]]:
    """A list's members, newest first; ``limit=0`` returns all of them without ``Link``."""
    s = services(request)
    default, most = LIST_ACCOUNTS_LIMIT
    every = request.query_params.get("limit") == "0"
    page = (
        Page(limit=2**31 - 1)
        if every
        else page_from(request, default_limit=default, max_limit=most)
    )
    pairs = s.lists.accounts(auth.account_id, parse_id(list_id), page)
    if not every:
        set_link(request, response, [i for i, _ in pairs])
    return _r(request, auth).accounts_by_id([a for _, a in pairs])


def _account_ids(p: Params) -> list[int]:
    return p.ids("account_ids")


@router.post(
    "/api/v1/lists/{list_id}/accounts",
    summary="Add accounts to a list",
    openapi_extra=body_doc("ListAccounts"),
)
def add_list_accounts(
    list_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:lists")),
) -> dict[str, Any]:
    """Add accounts the caller follows to a list, all or none; answers ``{}``."""
    services(request).lists.add_accounts(auth.account_id, parse_id(list_id), _account_ids(p))
    return {}


@router.delete(
    "/api/v1/lists/{list_id}/accounts",
    summary="Remove accounts from a list",
    openapi_extra=body_doc("ListAccounts"),
)
def remove_list_accounts(
    list_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:lists")),
) -> dict[str, Any]:
    """Take accounts out of a list; answers ``{}``."""
    services(request).lists.remove_accounts(auth.account_id, parse_id(list_id), _account_ids(p))
    return {}


@router.get("/api/v1/accounts/{account_id}/lists", summary="The caller's lists holding an account")
@off_loop_if_blocking
def lists_with_account(
    account_id: str, request: Request, auth: User = Depends(require("read:lists"))
) -> list[dict[str, Any]]:
    """The caller's lists that hold an account, oldest first."""
    found = services(request).lists.lists_with(auth.account_id, parse_id(account_id))
    r = _r(request, auth)
    return [r.list_entity(x) for x in found]


@router.get(
    "/api/v1/timelines/list/{list_id}",
    tags=["timelines"],
    summary="List timeline",
    response_model=list[dict[str, Any]],
)
@off_loop_if_blocking
def list_timeline(
    list_id: str, request: Request, auth: User = Depends(require("read:lists"))
) -> Response:
    """Statuses by a list's members that the caller (its owner) may see, newest first."""
    items, ids = services(request).lists.timeline(
        auth.account_id, parse_id(list_id), page_from(request)
    )
    return json_page(request, _r(request, auth).statuses_json(items), ids)
