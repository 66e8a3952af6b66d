"""Accounts: register, look up, statuses, followers, follow, relationships."""

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
    parse_count,
    parse_id,
    render_cache,
    require,
    services,
    set_link,
    viewer_of,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._schemas import body_doc
from twitterdesign.reference_app.services import Forbidden, Unprocessable

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])

MAX_MANY_ACCOUNTS = 40
"""Most ids ``GET /api/v1/accounts?id[]=`` takes (Mastodon's limit)."""


def _r(request: Request, auth: Auth | None) -> Renderer:
    return Renderer(
        services(request), base_url(request), viewer_of(auth), cache=render_cache(request)
    )


@router.post("", summary="Register an account", openapi_extra=body_doc("AccountCreate"))
def register(
    request: Request,
    p: Params = Depends(params),
    auth: Auth = Depends(require("write:accounts", user=False)),
) -> dict[str, Any]:
    """Create an account (needs an app token) and return a user token for it."""
    s = services(request)
    if not s.settings.registrations_open:
        raise Forbidden("Registrations are closed")
    if not p.flag("agreement", default=True):
        raise Unprocessable("agreement must be accepted")
    account = s.accounts.register(
        p.text("username", max_len=100) or "",
        p.text("email", max_len=300) or "",
        p.text("password", max_len=2000) or "",
    )
    token = s.accounts.issue_token(auth.app_id, account.id, auth.scopes)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "scope": auth.scopes,
        "created_at": s.clock_ms() // 1000,
    }


@router.get("/verify_credentials", summary="The caller's own account")
@off_loop_if_blocking
def verify_credentials(
    request: Request, auth: User = Depends(require("read:accounts"))
) -> dict[str, Any]:
    """Return the authenticated account, with its ``source``."""
    account = services(request).accounts.get(auth.account_id)
    return _r(request, auth).account(account, credentials=True)


@router.patch(
    "/update_credentials",
    summary="Edit the caller's profile",
    openapi_extra=body_doc("CredentialsUpdate", required=False),
)
def update_credentials(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:accounts")),
) -> dict[str, Any]:
    """Change display name, note, bot, discoverable, profile fields and posting defaults.

    Returns the CredentialAccount. Parameters left out keep their value; a limit
    exceeded (display name 30, note 500, 4 fields of 255) answers 422 naming it.
    Avatar and header uploads are not supported (answered 422, not ignored).
    """
    if p.files.get("avatar") is not None or p.files.get("header") is not None:
        raise Unprocessable("avatar and header images are not supported by this server")
    source = p.nested("source")
    if source is not None and not isinstance(source, dict):
        raise BadRequest("source must be an object (source[privacy], source[language], ...)")
    src = Params(source or {}, {})
    account = services(request).profiles.update(
        auth.account_id,
        display_name=p.text("display_name", max_len=10_000),
        note=p.text("note", max_len=100_000),
        locked=_optional_flag(p, "locked"),
        bot=_optional_flag(p, "bot"),
        discoverable=_optional_flag(p, "discoverable"),
        fields=_fields_of(p.nested("fields_attributes")),
        privacy=src.text("privacy", max_len=40),
        sensitive=_optional_flag(src, "sensitive", name="source[sensitive]"),
        language=src.text("language", max_len=40),
    )
    return _r(request, auth).account(account, credentials=True)


def _optional_flag(p: Params, key: str, *, name: str | None = None) -> bool | None:
    if p.raw(key) in (None, ""):
        return None
    try:
        return p.flag(key)
    except BadRequest:
        raise BadRequest(f"{name or key} must be a boolean") from None


def _fields_of(raw: Any) -> list[tuple[str, str]] | None:
    """``fields_attributes`` as a list of {name, value} or {"0": {name, value}, ...}."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        try:
            items = [raw[k] for k in sorted(raw, key=int)]
        except (TypeError, ValueError):
            raise BadRequest("fields_attributes keys must be indexes (0, 1, ...)") from None
    elif isinstance(raw, list):
        items = raw
    else:
        raise BadRequest("fields_attributes must be a list of {name, value}")
    out: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRequest("each of fields_attributes must be an object {name, value}")
        name, value = item.get("name", ""), item.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise BadRequest("a field's name and value must be strings")
        out.append((name, value))
    return out


@router.get("/lookup", summary="Find an account by its handle")
@off_loop_if_blocking
def lookup(
    request: Request, acct: str = "", auth: Auth | None = Depends(auth_optional)
) -> dict[str, Any]:
    """Return the account for ``acct`` (``name`` or ``name@domain``)."""
    if not acct or len(acct) > 300:
        raise BadRequest("acct is required")
    return _r(request, auth).account(services(request).accounts.lookup(acct))


@router.get("/relationships", summary="Relationships with other accounts")
@off_loop_if_blocking
def relationships(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("read:follows")),
) -> list[dict[str, Any]]:
    """Return following / followed_by for each ``id[]``."""
    ids = p.ids("id")[:100]
    r = _r(request, auth)
    return [r.relationship(x) for x in services(request).graph.relationships(auth.account_id, ids)]


@router.get("", summary="Several accounts")
@off_loop_if_blocking
def get_accounts(
    request: Request, p: Params = Depends(params), auth: Auth | None = Depends(auth_optional)
) -> list[dict[str, Any]]:
    """Return the accounts of ``id[]`` (up to 40), in the order asked; unknown ids skipped."""
    ids = p.ids("id")
    if len(ids) > MAX_MANY_ACCOUNTS:
        raise BadRequest(f"at most {MAX_MANY_ACCOUNTS} ids (id[]) per request")
    return _r(request, auth).accounts_by_id(list(dict.fromkeys(ids)))


@router.get("/search", summary="Search accounts by name")
@off_loop_if_blocking
def search_accounts(
    request: Request, p: Params = Depends(params), auth: User = Depends(require("read:accounts"))
) -> list[dict[str, Any]]:
    """Accounts whose username or display name starts with ``q`` (``@`` and domain ignored).

    ``following=true`` keeps only accounts the caller follows; ``limit`` (default 40, at
    most 80) and ``offset`` page through the matches.
    """
    q = p.text("q", max_len=500)
    if q is None:
        raise BadRequest("q is required")
    limit = parse_count(p.text("limit", default="40", max_len=10) or "40", name="limit")
    limit = max(1, min(limit, 80))
    offset = parse_count(p.text("offset", default="0", max_len=10) or "0", name="offset")
    s = services(request)
    found = s.search.search(auth.account_id, q, kind="accounts", limit=limit, offset=offset)
    accounts = found.accounts
    if p.flag("following"):
        rels = s.graph.relationships(auth.account_id, [a.id for a in accounts])
        followed = {rel.id for rel in rels if rel.following}
        accounts = [a for a in accounts if a.id in followed]
    r = _r(request, auth)
    return [r.account(a) for a in accounts]


@router.get("/{account_id}", summary="One account")
@off_loop_if_blocking
def get_account(
    account_id: str, request: Request, auth: Auth | None = Depends(auth_optional)
) -> dict[str, Any]:
    """Return an account by id."""
    return _r(request, auth).account(services(request).accounts.get(parse_id(account_id)))


@router.get(
    "/{account_id}/statuses",
    summary="An account's statuses (user timeline)",
    response_model=list[dict[str, Any]],
)
@off_loop_if_blocking
def account_statuses(
    account_id: str,
    request: Request,
    response: Response,
    p: Params = Depends(params),
    auth: Auth | None = Depends(auth_optional),
) -> Response:
    """The lesson's viewUser_timeline: an account's statuses the caller may see."""
    s = services(request)
    target = s.accounts.get(parse_id(account_id))
    page = page_from(request)
    items = s.statuses.account_statuses(
        viewer_of(auth),
        target.id,
        page,
        exclude_replies=p.flag("exclude_replies"),
        exclude_reblogs=p.flag("exclude_reblogs"),
        only_media=p.flag("only_media"),
    )
    shown = s.filters.drop_hidden(viewer_of(auth), items, "account")
    return json_page(request, _r(request, auth).statuses_json(shown), [x.id for x in items])


def _edges(
    request: Request, response: Response, auth: Auth | None, account_id: str, followers: bool
) -> list[dict[str, Any]]:
    graph = services(request).graph
    target = parse_id(account_id)
    page = page_from(request)
    pairs = graph.followers(target, page) if followers else graph.following(target, page)
    set_link(request, response, [edge for edge, _ in pairs])
    return _r(request, auth).accounts_by_id([acc for _, acc in pairs])


@router.get("/{account_id}/followers", summary="Who follows an account")
@off_loop_if_blocking
def followers(
    account_id: str,
    request: Request,
    response: Response,
    auth: Auth | None = Depends(auth_optional),
) -> list[dict[str, Any]]:
    """Accounts following this one, newest follow first."""
    return _edges(request, response, auth, account_id, True)


@router.get("/{account_id}/following", summary="Whom an account follows")
@off_loop_if_blocking
def following(
    account_id: str,
    request: Request,
    response: Response,
    auth: Auth | None = Depends(auth_optional),
) -> list[dict[str, Any]]:
    """Accounts this one follows, newest follow first."""
    return _edges(request, response, auth, account_id, False)


def _relationship(request: Request, auth: User, target: int) -> dict[str, Any]:
    (found,) = services(request).graph.relationships(auth.account_id, [target])
    return _r(request, auth).relationship(found)


@router.post("/{account_id}/follow", summary="Follow an account")
def follow(
    account_id: str, request: Request, auth: User = Depends(require("write:follows"))
) -> dict[str, Any]:
    """The lesson's followAccount; returns the new Relationship."""
    target = parse_id(account_id)
    services(request).graph.follow(auth.account_id, target)
    return _relationship(request, auth, target)


@router.post("/{account_id}/unfollow", summary="Unfollow an account")
def unfollow(
    account_id: str, request: Request, auth: User = Depends(require("write:follows"))
) -> dict[str, Any]:
    """Stop following; returns the new Relationship."""
    target = parse_id(account_id)
    services(request).graph.unfollow(auth.account_id, target)
    return _relationship(request, auth, target)


@router.post("/{account_id}/block", summary="Block an account")
def block(
    account_id: str, request: Request, auth: User = Depends(require("write:blocks"))
) -> dict[str, Any]:
    """Block: follows both ways end, neither may follow, their posts leave every list."""
    target = parse_id(account_id)
    services(request).graph.block(auth.account_id, target)
    return _relationship(request, auth, target)


@router.post("/{account_id}/unblock", summary="Unblock an account")
def unblock(
    account_id: str, request: Request, auth: User = Depends(require("write:blocks"))
) -> dict[str, Any]:
    """Remove a block; returns the Relationship."""
    target = parse_id(account_id)
    services(request).graph.unblock(auth.account_id, target)
    return _relationship(request, auth, target)


@router.post(
    "/{account_id}/mute",
    summary="Mute an account",
    openapi_extra=body_doc("MuteRequest", required=False),
)
def mute(
    account_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:mutes")),
) -> dict[str, Any]:
    """Mute: hide the account's posts (and, by default, its notifications), for
    ``duration`` seconds or for ever (0)."""
    target = parse_id(account_id)
    duration = parse_count(p.text("duration", default="0", max_len=20) or "0", name="duration")
    services(request).graph.mute(
        auth.account_id,
        target,
        notifications=p.flag("notifications", True),
        duration_s=duration,
    )
    return _relationship(request, auth, target)


@router.post("/{account_id}/unmute", summary="Unmute an account")
def unmute(
    account_id: str, request: Request, auth: User = Depends(require("write:mutes"))
) -> dict[str, Any]:
    """Remove a mute; returns the Relationship."""
    target = parse_id(account_id)
    services(request).graph.unmute(auth.account_id, target)
    return _relationship(request, auth, target)
