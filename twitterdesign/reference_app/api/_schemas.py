"""Request-body schemas for OpenAPI (Mastodon endpoints accept JSON *or* form bodies).

The Mastodon routes parse their parameters themselves (query, form or JSON, with ``[]``
arrays) so real clients work unchanged; these models document the accepted fields in
``/openapi.json`` for both content types. The lesson's routes use pydantic bodies directly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["BODIES", "ERROR_RESPONSES", "ERROR_SCHEMA", "body_doc"]

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}
"""Every error response: ``{"error": "why"}``, as Mastodon sends it."""

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for code, text in (
        (400, "Malformed input"),
        (401, "Missing or invalid access token"),
        (403, "Not allowed (scope, ownership)"),
        (404, "Unknown or not visible"),
        (413, "Request body too large"),
        (422, "Invalid input"),
        (429, "Rate limited"),
        (503, "Database unavailable for now; retry after Retry-After seconds"),
    )
}
"""The error responses every route documents in ``/openapi.json``."""


class AppCreate(BaseModel):
    """POST /api/v1/apps."""

    client_name: str = Field(min_length=1, max_length=200)
    redirect_uris: str = Field(default="urn:ietf:wg:oauth:2.0:oob", max_length=2000)
    scopes: str = Field(default="read", max_length=1000)
    website: str | None = Field(default=None, max_length=2000)


class TokenRequest(BaseModel):
    """POST /oauth/token."""

    grant_type: Literal["password", "client_credentials", "authorization_code"]
    client_id: str
    client_secret: str
    scope: str | None = None
    username: str | None = None
    password: str | None = None
    code: str | None = None
    redirect_uri: str | None = None


class RevokeRequest(BaseModel):
    """POST /oauth/revoke."""

    client_id: str
    client_secret: str
    token: str


class AccountCreate(BaseModel):
    """POST /api/v1/accounts."""

    username: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_]+$")
    email: str = Field(max_length=254)
    password: str = Field(min_length=8, max_length=1024)
    agreement: bool = True
    locale: str = "en"
    reason: str | None = None


class StatusCreate(BaseModel):
    """POST /api/v1/statuses."""

    status: str | None = Field(default=None, description="Text, at most 280 characters")
    in_reply_to_id: str | None = None
    media_ids: list[str] = Field(default_factory=list, max_length=4)
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    sensitive: bool = False
    spoiler_text: str | None = None
    language: str | None = None


class StatusEdit(BaseModel):
    """PUT /api/v1/statuses/{id}: a field left out keeps its current value."""

    status: str | None = Field(default=None, description="Text, at most 280 characters")
    media_ids: list[str] | None = Field(default=None, max_length=4)
    sensitive: bool | None = None
    spoiler_text: str | None = None
    language: str | None = Field(default=None, description="ISO 639 code, e.g. en")


class ProfileField(BaseModel):
    """One profile field of update_credentials."""

    name: str = Field(max_length=255)
    value: str = Field(max_length=255)


class PostingSource(BaseModel):
    """The posting defaults of update_credentials (``source[...]``)."""

    privacy: Literal["public", "unlisted", "private"] | None = None
    sensitive: bool | None = None
    language: str | None = Field(default=None, description="ISO 639 code, e.g. en")


class CredentialsUpdate(BaseModel):
    """PATCH /api/v1/accounts/update_credentials: a field left out keeps its value."""

    display_name: str | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, max_length=500)
    locked: Literal[False] | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    fields_attributes: list[ProfileField] | None = Field(default=None, max_length=4)
    source: PostingSource | None = None


class MuteRequest(BaseModel):
    """POST /api/v1/accounts/{id}/mute."""

    notifications: bool = True
    duration: int = Field(default=0, ge=0, description="Seconds; 0 mutes for ever")


FilterContext = Literal["home", "notifications", "public", "thread", "account"]


class FilterKeywordCreate(BaseModel):
    """POST /api/v2/filters/{id}/keywords."""

    keyword: str = Field(min_length=1, max_length=512)
    whole_word: bool = False


class FilterKeywordAttributes(BaseModel):
    """One entry of keywords_attributes: no id adds, an id changes (or _destroy removes)."""

    id: str | None = None
    keyword: str | None = Field(default=None, min_length=1, max_length=512)
    whole_word: bool | None = None
    destroy: bool | None = Field(default=None, alias="_destroy")


class FilterCreate(BaseModel):
    """POST /api/v2/filters."""

    title: str = Field(min_length=1, max_length=256)
    context: list[FilterContext] = Field(min_length=1)
    filter_action: Literal["warn", "hide"] = "warn"
    expires_in: int | None = Field(default=None, ge=1)
    keywords_attributes: list[FilterKeywordAttributes] = Field(default_factory=list)


class FilterUpdate(BaseModel):
    """PUT /api/v2/filters/{id}: a field left out keeps its value."""

    title: str | None = Field(default=None, min_length=1, max_length=256)
    context: list[FilterContext] | None = Field(default=None, min_length=1)
    filter_action: Literal["warn", "hide"] | None = None
    expires_in: int | None = Field(default=None, ge=1)
    keywords_attributes: list[FilterKeywordAttributes] = Field(default_factory=list)


class FilterV1(BaseModel):
    """POST/PUT /api/v1/filters."""

    phrase: str = Field(min_length=1, max_length=512)
    context: list[FilterContext] = Field(min_length=1)
    irreversible: bool = False
    whole_word: bool = True
    expires_in: int | None = Field(default=None, ge=1)


class ReblogRequest(BaseModel):
    """POST /api/v1/statuses/{id}/reblog."""

    visibility: Literal["public", "unlisted"] = "public"


class MediaUpdate(BaseModel):
    """PUT /api/v1/media/{id}."""

    description: str | None = Field(default=None, max_length=1500)


class MarkerPosition(BaseModel):
    """Where one timeline was read up to."""

    last_read_id: str = Field(pattern=r"^[0-9]{1,19}$")


class MarkersUpdate(BaseModel):
    """POST /api/v1/markers (as a form: ``home[last_read_id]=…``)."""

    home: MarkerPosition | None = None
    notifications: MarkerPosition | None = None


class ListCreate(BaseModel):
    """POST /api/v1/lists (PUT /api/v1/lists/{id} takes the same fields, all optional)."""

    title: str = Field(min_length=1, max_length=256)
    replies_policy: Literal["followed", "list", "none"] = "list"
    exclusive: bool = False


class ListAccounts(BaseModel):
    """POST and DELETE /api/v1/lists/{id}/accounts."""

    account_ids: list[str] = Field(min_length=1, max_length=250)


BODIES: dict[str, type[BaseModel]] = {
    m.__name__: m
    for m in (
        AppCreate,
        TokenRequest,
        RevokeRequest,
        AccountCreate,
        StatusCreate,
        StatusEdit,
        CredentialsUpdate,
        MuteRequest,
        FilterKeywordCreate,
        FilterCreate,
        FilterUpdate,
        FilterV1,
        ReblogRequest,
        MediaUpdate,
        MarkersUpdate,
        ListCreate,
        ListAccounts,
    )
}


def body_doc(name: str, *, required: bool = True) -> dict[str, Any]:
    """Return ``openapi_extra`` documenting a JSON-or-form request body.

    Examples:
        >>> sorted(body_doc("RevokeRequest")["requestBody"]["content"])
        ['application/json', 'application/x-www-form-urlencoded']
    """
    schema = BODIES[name].model_json_schema()
    return {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }
