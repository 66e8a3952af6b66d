"""The caller's blocks and mutes: ``GET /api/v1/blocks`` and ``GET /api/v1/mutes``."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from twitterdesign.reference_app.api._deps import (
    User,
    base_url,
    off_loop_if_blocking,
    page_from,
    require,
    services,
    set_link,
)
from twitterdesign.reference_app.api._render import Renderer, iso_ms

__all__ = ["router"]

router = APIRouter(tags=["accounts"])


@router.get("/api/v1/blocks", summary="Accounts the caller blocks")
@off_loop_if_blocking
def blocks(
    request: Request, response: Response, auth: User = Depends(require("read:blocks"))
) -> list[dict[str, Any]]:
    """Accounts the caller blocks, newest block first, paged by ``Link``."""
    s = services(request)
    pairs = s.graph.blocks(auth.account_id, page_from(request, default_limit=40, max_limit=80))
    set_link(request, response, [block_id for block_id, _ in pairs])
    return Renderer(s, base_url(request), auth.account_id).accounts_by_id([a for _, a in pairs])


@router.get("/api/v1/mutes", summary="Accounts the caller mutes")
@off_loop_if_blocking
def mutes(
    request: Request, response: Response, auth: User = Depends(require("read:mutes"))
) -> list[dict[str, Any]]:
    """Accounts the caller mutes (live mutes), newest first, each with ``mute_expires_at``."""
    s = services(request)
    rows = s.graph.mutes(auth.account_id, page_from(request, default_limit=40, max_limit=80))
    set_link(request, response, [mute_id for mute_id, _, _ in rows])
    found = s.accounts.get_many([a for _, a, _ in rows])
    renderer = Renderer(s, base_url(request), auth.account_id)
    out: list[dict[str, Any]] = []
    for _, account_id, expires_at_ms in rows:
        if account_id in found:
            entity = renderer.account(found[account_id])
            entity["mute_expires_at"] = None if expires_at_ms is None else iso_ms(expires_at_ms)
            out.append(entity)
    return out
