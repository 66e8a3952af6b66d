"""Grouped notifications: Mastodon 4.3's ``/api/v2/notifications``."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from twitterdesign.reference_app.api._deps import (
    BadRequest,
    Params,
    User,
    base_url,
    off_loop_if_blocking,
    page_from,
    params,
    render_cache,
    require,
    services,
    set_link,
    viewer_of,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._render_notification_groups import (
    EXPAND_ACCOUNTS,
    grouped_json,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v2/notifications", tags=["notifications"])

DEFAULT_LIMIT = 40
"""Groups per page unless ``limit`` says otherwise (Mastodon's default)."""

MAX_LIMIT = 80
"""Most groups one page holds (Mastodon's: twice the default)."""


def _r(request: Request, auth: User) -> Renderer:
    return Renderer(
        services(request), base_url(request), viewer_of(auth), cache=render_cache(request)
    )


def _kinds(p: Params, name: str) -> list[str] | None:
    raw = p.raw(name)
    if raw is None:
        return None
    return [str(t) for t in raw] if isinstance(raw, list) else [str(raw)]


@router.get("", summary="Grouped notifications")
@off_loop_if_blocking
def grouped_notifications(
    request: Request,
    response: Response,
    p: Params = Depends(params),
    auth: User = Depends(require("read:notifications")),
) -> dict[str, Any]:
    """The caller's notifications, favourites, reblogs and follows grouped, newest first.

    Takes ``types[]``, ``exclude_types[]``, ``grouped_types[]``, ``expand_accounts``
    (``full`` or ``partial_avatars``) and the usual cursors; ``Link`` points at the
    next and previous pages.
    """
    expand = request.query_params.get("expand_accounts") or "full"
    if expand not in EXPAND_ACCOUNTS:
        raise BadRequest(
            f"Invalid value for 'expand_accounts': {expand!r}, "
            "allowed values are 'full' and 'partial_avatars'"
        )
    found = services(request).notifications.list_groups(
        auth.account_id,
        page_from(request, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT),
        types=_kinds(p, "types"),
        exclude_types=_kinds(p, "exclude_types") or (),
        grouped_types=_kinds(p, "grouped_types"),
    )
    set_link(request, response, found.ids)
    return grouped_json(_r(request, auth), found.groups, expand_accounts=expand)


@router.get("/{group_key}", summary="One notification group")
def notification_group(
    group_key: str, request: Request, auth: User = Depends(require("read:notifications"))
) -> dict[str, Any]:
    """One group of the caller's notifications, as a GroupedNotificationsResults."""
    found = services(request).notifications.get_group(auth.account_id, group_key)
    return grouped_json(_r(request, auth), [found])


@router.post("/{group_key}/dismiss", summary="Dismiss a notification group")
def dismiss_group(
    group_key: str, request: Request, auth: User = Depends(require("write:notifications"))
) -> dict[str, Any]:
    """Delete every notification of one of the caller's groups (an unknown key: nothing)."""
    services(request).notifications.dismiss_group(auth.account_id, group_key)
    return {}
