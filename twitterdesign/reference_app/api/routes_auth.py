"""Instance information, OAuth apps and tokens (password, client_credentials, code)."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
import html
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twitterdesign.reference_app.api._deps import (
    Auth,
    BadRequest,
    Params,
    User,
    base_url,
    params,
    require,
    services,
)
from twitterdesign.reference_app.api._render import MASTODON_VERSION, Renderer
from twitterdesign.reference_app.api._schemas import ERROR_SCHEMA, body_doc
from twitterdesign.reference_app.services import (
    Unauthorized,
    Unprocessable,
)
from twitterdesign.reference_app.services.accounts import check_pkce_value
from twitterdesign.reference_app.services.media import EXTENSIONS

__all__ = ["router"]

router = APIRouter()
OOB = "urn:ietf:wg:oauth:2.0:oob"


def _configuration(request: Request) -> dict[str, Any]:
    s = services(request).settings
    return {
        "urls": {"streaming": base_url(request).replace("http", "ws", 1), "status": None},
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            "max_characters": s.max_status_chars,
            "max_media_attachments": s.max_media_attachments,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": sorted(EXTENSIONS),
            "image_size_limit": s.media_max_bytes,
            "image_matrix_limit": s.media_max_pixels,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
        "translation": {"enabled": False},
    }


@router.get("/api/v1/instance", tags=["instance"], summary="Instance information (v1)")
def instance_v1(request: Request) -> dict[str, Any]:
    """Describe this server in Mastodon's v1 Instance shape."""
    s = services(request)
    base = base_url(request)
    return {
        "uri": s.settings.domain,
        "title": s.settings.instance_title,
        "short_description": "A reference Twitter backend from the System Design lesson.",
        "description": "twitterdesign reference app: the lesson's design, running.",
        "email": s.settings.resolved_contact_email,
        "version": MASTODON_VERSION,
        "urls": {"streaming_api": base.replace("http", "ws", 1)},
        "stats": {
            "user_count": s.accounts.count(),
            "status_count": s.statuses.count(),
            "domain_count": 0,
        },
        "thumbnail": f"{base}/avatars/missing.png",
        "languages": ["en"],
        "registrations": s.settings.registrations_open,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": _configuration(request),
        "contact_account": None,
        "rules": [],
    }


@router.get("/api/v2/instance", tags=["instance"], summary="Instance information (v2)")
def instance_v2(request: Request) -> dict[str, Any]:
    """Describe this server in Mastodon's v2 Instance shape."""
    s = services(request)
    base = base_url(request)
    return {
        "domain": s.settings.domain,
        "title": s.settings.instance_title,
        "version": MASTODON_VERSION,
        "source_url": "https://github.com/",
        "description": "A reference Twitter backend from the System Design lesson.",
        "usage": {"users": {"active_month": s.accounts.count()}},
        "thumbnail": {"url": f"{base}/avatars/missing.png"},
        "icon": [],
        "languages": ["en"],
        "configuration": _configuration(request),
        "registrations": {
            "enabled": s.settings.registrations_open,
            "approval_required": False,
            "message": None,
        },
        "api_versions": {"mastodon": 2},
        # No account is the admin here (no roles), so ``account`` is null as Mastodon's
        # is when no contact account is configured.
        "contact": {"email": s.settings.resolved_contact_email, "account": None},
        "rules": [],
        # Not Mastodon's: what this server adds for the web client. ``debug_api``: the
        # teaching endpoint ``/lesson/v1/debug/statuses/{id}`` answers (the "How it
        # works" panel), see ``Settings.debug_api_enabled``.
        "twitterdesign": {"debug_api": s.settings.debug_api_enabled},
    }


# Parts of Mastodon this server has none of: the lists are empty because there is
# nothing to list, not because the call is unsupported (clients call these on start-up).
@router.get("/api/v1/instance/rules", tags=["instance"], summary="Server rules (none)")
def instance_rules() -> list[dict[str, Any]]:
    """This server has no rules configured."""
    return []


@router.get("/api/v1/custom_emojis", tags=["instance"], summary="Custom emojis (none)")
def custom_emojis() -> list[dict[str, Any]]:
    """This server has no custom emojis."""
    return []


@router.get("/api/v1/preferences", tags=["accounts"], summary="The caller's preferences")
def preferences(request: Request, auth: User = Depends(require("read:accounts"))) -> dict[str, Any]:
    """Posting defaults (``source`` of update_credentials); reading ones are Mastodon's."""
    account = services(request).accounts.get(auth.account_id)
    return {
        "posting:default:visibility": account.privacy,
        "posting:default:sensitive": account.sensitive,
        "posting:default:language": account.language,
        "posting:default:quote_policy": "public",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
        "reading:autoplay:gifs": False,
    }


@router.post(
    "/api/v1/apps",
    tags=["oauth"],
    summary="Register a client application",
    openapi_extra=body_doc("AppCreate"),
)
def create_app_(request: Request, p: Params = Depends(params)) -> dict[str, Any]:
    """Register an OAuth client; returns its client id and secret."""
    redirect = p.raw("redirect_uris")
    if isinstance(redirect, list):
        redirect = " ".join(str(r) for r in redirect)
    app = services(request).accounts.create_app(
        p.text("client_name", max_len=200) or "",
        str(redirect or OOB),
        p.text("scopes", max_len=1000),
        p.text("website", max_len=2000),
    )
    return Renderer(services(request), base_url(request), None).app(app, with_secret=True)


@router.get("/api/v1/apps/verify_credentials", tags=["oauth"], summary="Check an app token")
def verify_app(
    request: Request, auth: Auth = Depends(require("read", user=False))
) -> dict[str, Any]:
    """Return the application the token belongs to."""
    s = services(request)
    app = s.accounts.get_app(auth.app_id)
    return Renderer(s, base_url(request), None).app(app, with_secret=False)


def _token_json(token: str, scopes: str, created_ms: int) -> dict[str, Any]:
    return {
        "access_token": token,
        "token_type": "Bearer",
        "scope": scopes,
        "created_at": created_ms // 1000,
    }


@router.post(
    "/oauth/token",
    tags=["oauth"],
    summary="Obtain an access token",
    openapi_extra=body_doc("TokenRequest"),
)
def token(request: Request, p: Params = Depends(params)) -> dict[str, Any]:
    """Grant a token: ``password``, ``client_credentials`` or ``authorization_code``."""
    s = services(request)
    grant = p.text("grant_type", max_len=100)
    app = s.accounts.check_client(
        p.text("client_id", max_len=200), p.text("client_secret", max_len=200)
    )
    scopes = s.accounts.grantable_scopes(app, p.text("scope", max_len=1000))
    if grant == "password":
        account = s.accounts.authenticate(
            p.text("username", max_len=300) or "", p.text("password", max_len=1024) or ""
        )
        tok = s.accounts.issue_token(app.id, account, scopes)
    elif grant == "client_credentials":
        tok = s.accounts.issue_token(app.id, None, scopes)
    elif grant == "authorization_code":
        code = s.accounts.redeem_code(
            app,
            p.text("code", max_len=200) or "",
            p.text("redirect_uri"),
            code_verifier=p.text("code_verifier", max_len=200),
        )
        scopes = code.scopes
        tok = s.accounts.issue_token(app.id, code.account_id, scopes)
    else:
        raise BadRequest("grant_type must be password, client_credentials or authorization_code")
    return _token_json(tok, scopes, s.clock_ms())


@router.post(
    "/oauth/revoke",
    tags=["oauth"],
    summary="Revoke an access token",
    openapi_extra=body_doc("RevokeRequest"),
)
def revoke(request: Request, p: Params = Depends(params)) -> dict[str, Any]:
    """Revoke a token issued to this client (RFC 7009: unknown tokens are not an error).

    A token issued to another client is not revoked: 403, as Mastodon answers.
    """
    s = services(request)
    app = s.accounts.check_client(
        p.text("client_id", max_len=200), p.text("client_secret", max_len=200)
    )
    s.accounts.revoke_token(app, p.text("token", max_len=200) or "")
    return {}


_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>Authorize {app}</title>
</head><body><h1>Authorize {app}</h1><p>{message}</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="scope" value="{scope}">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="response_type" value="code">{pkce}
<p><label>Username or email
<input name="username" autocomplete="username" required></label></p>
<p><label>Password
<input name="password" type="password" autocomplete="current-password" required></label></p>
<button type="submit">Authorize</button></form></body></html>"""


def _code_challenge(p: Params) -> str | None:
    """The request's PKCE challenge, checked: only S256 is offered (as Mastodon does)."""
    challenge = p.text("code_challenge", max_len=200)
    method = p.text("code_challenge_method", max_len=20)
    if challenge is None:
        if method is not None:
            raise Unprocessable("code_challenge_method was given without a code_challenge")
        return None
    if method != "S256":
        raise Unprocessable(f"code_challenge_method must be S256, not {method or 'plain'}")
    return check_pkce_value("code_challenge", challenge)


def _authorize_form(p: Params, request: Request, message: str, status: int = 200) -> HTMLResponse:
    s = services(request)
    client_id = p.text("client_id", max_len=200) or ""
    app = s.accounts.app_by_client_id(client_id)
    s.accounts.grantable_scopes(app, p.text("scope", max_len=1000))
    challenge = _code_challenge(p)
    e = html.escape
    pkce = (
        ""
        if challenge is None
        else f'\n<input type="hidden" name="code_challenge" value="{e(challenge)}">'
        '\n<input type="hidden" name="code_challenge_method" value="S256">'
    )
    return HTMLResponse(
        _FORM.format(
            app=e(app.name),
            message=e(message),
            client_id=e(client_id),
            redirect_uri=e(p.text("redirect_uri", max_len=2000) or app.redirect_uri.split()[0]),
            scope=e(p.text("scope", max_len=1000) or "read"),
            state=e(p.text("state", max_len=2000) or ""),
            pkce=pkce,
        ),
        status_code=status,
    )


@router.get(
    "/oauth/authorize",
    tags=["oauth"],
    summary="Authorization page (code grant)",
    response_class=HTMLResponse,
)
def authorize_page(request: Request, p: Params = Depends(params)) -> HTMLResponse:
    """Show a minimal login form that grants an authorization code."""
    return _authorize_form(p, request, "Log in to grant access.")


@router.post(
    "/oauth/authorize",
    tags=["oauth"],
    summary="Grant an authorization code",
    response_class=HTMLResponse,
    responses={
        302: {"description": "Redirect to redirect_uri with ?code="},
        401: {
            "content": {"text/html": {}, "application/json": {"schema": ERROR_SCHEMA}},
            "description": "Wrong credentials (the form again) or an unknown client",
        },
    },
)
def authorize(request: Request, p: Params = Depends(params)) -> Response:
    """Check the credentials and redirect with ``?code=`` (or show it for the OOB URI)."""
    s = services(request)
    app = s.accounts.app_by_client_id(p.text("client_id", max_len=200) or "")
    redirect_uri = p.text("redirect_uri", max_len=2000) or app.redirect_uri.split()[0]
    if redirect_uri not in app.redirect_uri.split():
        raise Unprocessable("redirect_uri does not match the application")
    scopes = s.accounts.grantable_scopes(app, p.text("scope", max_len=1000))
    challenge = _code_challenge(p)
    try:
        account = s.accounts.authenticate(
            p.text("username", max_len=300) or "", p.text("password", max_len=1024) or ""
        )
    except Unauthorized:
        return _authorize_form(p, request, "Invalid username or password.", status=401)
    code = s.accounts.issue_code(app, account, redirect_uri, scopes, code_challenge=challenge)
    if redirect_uri == OOB:
        return HTMLResponse(
            "<!doctype html><html><body><p>Your authorization code:</p>"
            f"<pre id='code'>{html.escape(code)}</pre></body></html>"
        )
    query = {"code": code}
    state = p.text("state", max_len=2000)
    if state:
        query["state"] = state
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(query)}", status_code=302)
