"""Mastodon's REST entities as pydantic models, to check every response body in the tests.

Taken from the entity pages of docs.joinmastodon.org (Mastodon 4.3): an attribute the
docs list without "optional" is required here (and ``X | None`` when the docs say
nullable); optional ones default to None. Extra attributes are allowed (a server may send
more than a client reads), but what a client relies on must be there with its type. Bodies
are validated from the raw JSON in strict mode, so a number is never taken for a string
(ids are strings) nor a string for a boolean.

`validate(entity, body)` checks one body; `check_response(response)` picks the entity of
an API response by its method and path (the shared test client calls it on every
response, see ``conftest.py``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic import Field as PydanticField

__all__ = ["ENTITY_OF_ROUTE", "check_response", "entity_for", "validate"]


class Entity(BaseModel):
    """Base of the entities: extra attributes allowed, strict types."""

    model_config = ConfigDict(extra="allow", strict=True)


class Error(Entity):
    error: str
    error_description: str | None = None


class CustomEmoji(Entity):
    shortcode: str
    url: str
    static_url: str
    visible_in_picker: bool
    category: str | None = None


class Field(Entity):
    name: str
    value: str
    verified_at: datetime | None


class AccountRole(Entity):
    id: str
    name: str
    color: str


class Account(Entity):
    id: str
    username: str
    acct: str
    url: str
    display_name: str
    note: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    locked: bool
    fields: list[Field]
    emojis: list[CustomEmoji]
    bot: bool
    group: bool
    discoverable: bool | None
    noindex: bool | None = None
    moved: Account | None = None
    suspended: bool | None = None
    limited: bool | None = None
    created_at: datetime
    last_status_at: str | None
    statuses_count: int
    followers_count: int
    following_count: int
    uri: str
    indexable: bool
    hide_collections: bool | None = None
    roles: list[AccountRole]


class Role(Entity):
    id: str
    name: str
    color: str
    permissions: str
    highlighted: bool


class Source(Entity):
    note: str
    fields: list[Field]
    privacy: str
    sensitive: bool
    language: str | None
    follow_requests_count: int
    indexable: bool
    hide_collections: bool | None
    discoverable: bool | None


class CredentialAccount(Account):
    source: Source
    role: Role


class MediaAttachment(Entity):
    id: str
    type: str
    url: str | None
    preview_url: str | None
    remote_url: str | None
    meta: dict[str, Any] | None
    description: str | None
    blurhash: str | None


class StatusMention(Entity):
    id: str
    username: str
    url: str
    acct: str


class StatusTag(Entity):
    name: str
    url: str


class Application(Entity):
    name: str
    website: str | None = None


class FilterKeyword(Entity):
    id: str
    keyword: str
    whole_word: bool


class FilterStatus(Entity):
    id: str
    status_id: str


class Filter(Entity):
    id: str
    title: str
    context: list[str]
    expires_at: datetime | None
    filter_action: str
    keywords: list[FilterKeyword] | None = None
    statuses: list[FilterStatus] | None = None


class FilterResult(Entity):
    filter: Filter
    keyword_matches: list[str] | None
    status_matches: list[str] | None


class V1Filter(Entity):
    id: str
    phrase: str
    context: list[str]
    expires_at: datetime | None
    irreversible: bool
    whole_word: bool


class StatusSource(Entity):
    id: str
    text: str
    spoiler_text: str


class Status(Entity):
    id: str
    uri: str
    created_at: datetime
    account: Account
    content: str
    visibility: str
    sensitive: bool
    spoiler_text: str
    media_attachments: list[MediaAttachment]
    application: Application | None = None
    mentions: list[StatusMention]
    tags: list[StatusTag]
    emojis: list[CustomEmoji]
    reblogs_count: int
    favourites_count: int
    replies_count: int
    url: str | None
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    reblog: Status | None
    poll: dict[str, Any] | None
    card: dict[str, Any] | None
    language: str | None
    text: str | None
    edited_at: datetime | None
    favourited: bool | None = None
    reblogged: bool | None = None
    muted: bool | None = None
    bookmarked: bool | None = None
    pinned: bool | None = None
    filtered: list[FilterResult] | None = None


class StatusEdit(Entity):
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: datetime
    account: Account
    poll: dict[str, Any] | None = None
    media_attachments: list[MediaAttachment]
    emojis: list[CustomEmoji]


class TagHistory(Entity):
    day: str
    uses: str
    accounts: str


class Tag(Entity):
    id: str
    name: str
    url: str
    history: list[TagHistory]
    following: bool | None = None


class UserList(Entity):
    """Mastodon's List entity (named so as not to shadow ``list``)."""

    id: str
    title: str
    replies_policy: str
    exclusive: bool


class Marker(Entity):
    last_read_id: str
    version: int
    updated_at: str


class UnreadCount(Entity):
    count: int


class TrendsLink(Entity):
    url: str
    title: str
    description: str
    type: str
    history: list[TagHistory]


class Relationship(Entity):
    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    requested: bool
    requested_by: bool
    domain_blocking: bool
    endorsed: bool
    note: str


class Notification(Entity):
    id: str
    type: str
    group_key: str
    created_at: datetime
    account: Account
    status: Status | None = None


class NotificationGroup(Entity):
    group_key: str
    notifications_count: int
    type: str
    most_recent_notification_id: str
    page_min_id: str | None = None
    page_max_id: str | None = None
    latest_page_notification_at: datetime | None = None
    sample_account_ids: list[str]
    status_id: str | None = None


class PartialAccountWithAvatar(Entity):
    id: str
    acct: str
    url: str
    avatar: str
    avatar_static: str
    locked: bool
    bot: bool


class GroupedNotificationsResults(Entity):
    accounts: list[Account]
    partial_accounts: list[PartialAccountWithAvatar] | None = None
    statuses: list[Status]
    notification_groups: list[NotificationGroup]


class Conversation(Entity):
    id: str
    unread: bool
    accounts: list[Account]
    last_status: Status | None


class Context(Entity):
    ancestors: list[Status]
    descendants: list[Status]


class Search(Entity):
    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[Tag]


class Rule(Entity):
    id: str
    text: str
    hint: str


class InstanceV1Urls(Entity):
    streaming_api: str


class InstanceV1Stats(Entity):
    user_count: int
    status_count: int
    domain_count: int


class InstanceV1(Entity):
    uri: str
    title: str
    short_description: str
    description: str
    email: str
    version: str
    urls: InstanceV1Urls
    stats: InstanceV1Stats
    thumbnail: str | None
    languages: list[str]
    registrations: bool
    approval_required: bool
    invites_enabled: bool
    configuration: dict[str, Any]
    contact_account: Account | None
    rules: list[Rule]


class InstanceV2Urls(Entity):
    streaming: str


class InstanceV2Configuration(Entity):
    urls: InstanceV2Urls
    accounts: dict[str, Any]
    statuses: dict[str, Any]
    media_attachments: dict[str, Any]
    polls: dict[str, Any]
    translation: dict[str, Any]


class InstanceV2Registrations(Entity):
    enabled: bool
    approval_required: bool
    message: str | None


class InstanceV2Contact(Entity):
    email: str
    account: Account | None


class InstanceV2Thumbnail(Entity):
    url: str


class InstanceV2(Entity):
    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, Any]
    thumbnail: InstanceV2Thumbnail
    languages: list[str]
    configuration: InstanceV2Configuration
    registrations: InstanceV2Registrations
    contact: InstanceV2Contact
    rules: list[Rule]


class Preferences(Entity):
    posting_default_visibility: str = PydanticField(alias="posting:default:visibility")
    posting_default_sensitive: bool = PydanticField(alias="posting:default:sensitive")
    posting_default_language: str | None = PydanticField(alias="posting:default:language")
    reading_expand_media: str = PydanticField(alias="reading:expand:media")
    reading_expand_spoilers: bool = PydanticField(alias="reading:expand:spoilers")


class ApplicationCreated(Entity):
    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uris: list[str]
    client_id: str
    client_secret: str


class Token(Entity):
    access_token: str
    token_type: str
    scope: str
    created_at: int


class DebugAccount(Entity):
    id: str
    acct: str


class DebugAudience(Entity):
    count: int = PydanticField(ge=0)
    accounts: list[DebugAccount] = PydanticField(max_length=20)


class DebugFanout(Entity):
    policy: str
    threshold: int
    author: DebugAccount
    author_followers: int = PydanticField(ge=0)
    author_pulled: bool
    delivery: str = PydanticField(pattern="^(push|pull)$")
    author_timeline: bool
    followers_checked: int = PydanticField(ge=0)
    pushed_to: DebugAudience
    merged_at_read: DebugAudience


class DebugCounter(Entity):
    total: int = PydanticField(ge=0)
    stored: int
    shards: list[int]
    in_flight: int
    buffered: list[int]
    unbatched: int = PydanticField(ge=0)


class DebugCounters(Entity):
    mode: str = PydanticField(pattern="^(inline|deferred)$")
    favourites: DebugCounter
    reblogs: DebugCounter
    replies: DebugCounter
    views: DebugCounter


class DebugSnowflake(Entity):
    timestamp_ms: int
    worker_id: int = PydanticField(ge=0, le=1023)
    sequence: int = PydanticField(ge=0, le=4095)
    created_at: datetime
    epoch_ms: int


class StatusInternals(Entity):
    """Not Mastodon's: the body of ``GET /lesson/v1/debug/statuses/:id`` (the web client's
    "How it works" panel), as ``docs/tutorials/web-client.md`` describes it."""

    id: str
    snowflake: DebugSnowflake
    fanout: DebugFanout
    counters: DebugCounters


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(entity: Any) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(entity)
    if found is None:
        found = _ADAPTERS[entity] = TypeAdapter(entity)
    return found


def validate(entity: Any, body: str | bytes) -> Any:
    """Validate a JSON ``body`` as ``entity`` (a model or ``list[model]``); return it parsed.

    Raises:
        pydantic.ValidationError: The body is not the documented entity.
    """
    return _adapter(entity).validate_json(body, strict=True)


_ID = r"[^/]+"
ENTITY_OF_ROUTE: list[tuple[str, str, Any]] = [
    ("GET", r"/api/v1/instance", InstanceV1),
    ("GET", r"/api/v2/instance", InstanceV2),
    ("GET", r"/api/v1/instance/rules", list[Rule]),
    ("GET", r"/api/v1/custom_emojis", list[CustomEmoji]),
    ("GET", r"/api/v1/preferences", Preferences),
    ("POST", r"/api/v1/apps", ApplicationCreated),
    ("POST", r"/oauth/token", Token),
    ("POST", r"/api/v1/accounts", Token),
    ("GET", r"/api/v1/accounts", list[Account]),
    ("GET", r"/api/v1/accounts/verify_credentials", CredentialAccount),
    ("GET", r"/api/v1/accounts/relationships", list[Relationship]),
    ("GET", r"/api/v1/accounts/(lookup|search)", Any),  # lookup: Account, search: a list
    ("GET", rf"/api/v1/accounts/{_ID}/statuses", list[Status]),
    ("GET", rf"/api/v1/accounts/{_ID}/lists", list[UserList]),
    ("GET", rf"/api/v1/accounts/{_ID}/(followers|following)", list[Account]),
    ("POST", rf"/api/v1/accounts/{_ID}/(follow|unfollow)", Relationship),
    ("GET", rf"/api/v1/accounts/{_ID}", Account),
    ("GET", r"/api/v1/statuses", list[Status]),
    ("POST", r"/api/v1/statuses", Status),
    ("GET", rf"/api/v1/statuses/{_ID}/context", Context),
    (
        "POST",
        rf"/api/v1/statuses/{_ID}/(favourite|unfavourite|reblog|unreblog|bookmark|unbookmark)",
        Status,
    ),
    ("GET", r"/api/v1/(bookmarks|favourites)", list[Status]),
    ("GET", r"/api/v1/markers", dict[str, Marker]),
    ("POST", r"/api/v1/markers", dict[str, Marker]),
    ("GET", r"/api/v1/lists", list[UserList]),
    ("POST", r"/api/v1/lists", UserList),
    ("GET", rf"/api/v1/lists/{_ID}/accounts", list[Account]),
    ("GET", rf"/api/v1/lists/{_ID}", UserList),
    ("PUT", rf"/api/v1/lists/{_ID}", UserList),
    ("GET", r"/api/v1/followed_tags", list[Tag]),
    ("GET", rf"/api/v1/tags/{_ID}", Tag),
    ("POST", rf"/api/v1/tags/{_ID}/(follow|unfollow)", Tag),
    ("GET", rf"/api/v1/statuses/{_ID}/(favourited_by|reblogged_by)", list[Account]),
    ("GET", rf"/api/v1/statuses/{_ID}", Status),
    ("DELETE", rf"/api/v1/statuses/{_ID}", Status),
    ("GET", r"/api/v1/timelines/(home|public|tag/[^/]+|list/[^/]+)", list[Status]),
    ("GET", r"/api/v2/search", Search),
    ("GET", r"/api/v1/trends(/tags)?", list[Tag]),
    ("GET", r"/api/v1/trends/statuses", list[Status]),
    ("GET", r"/api/v1/trends/links", list[TrendsLink]),
    ("GET", r"/api/v1/notifications/unread_count", UnreadCount),
    ("GET", r"/api/v1/notifications", list[Notification]),
    ("GET", rf"/api/v1/notifications/{_ID}", Notification),
    ("GET", r"/api/v2/notifications", GroupedNotificationsResults),
    ("GET", rf"/api/v2/notifications/{_ID}", GroupedNotificationsResults),
    ("POST", r"/api/v(1|2)/media", MediaAttachment),
    ("GET", rf"/api/v1/media/{_ID}", MediaAttachment),
    ("PUT", rf"/api/v1/media/{_ID}", MediaAttachment),
    ("PUT", rf"/api/v1/statuses/{_ID}", Status),
    ("GET", rf"/api/v1/statuses/{_ID}/history", list[StatusEdit]),
    ("GET", rf"/api/v1/statuses/{_ID}/source", StatusSource),
    ("PATCH", r"/api/v1/accounts/update_credentials", CredentialAccount),
    ("POST", rf"/api/v1/accounts/{_ID}/(block|unblock|mute|unmute)", Relationship),
    ("GET", r"/api/v1/(blocks|mutes)", list[Account]),
    ("GET", r"/api/v2/filters", list[Filter]),
    ("POST", r"/api/v2/filters", Filter),
    ("GET", rf"/api/v2/filters/{_ID}/keywords", list[FilterKeyword]),
    ("POST", rf"/api/v2/filters/{_ID}/keywords", FilterKeyword),
    ("GET", rf"/api/v2/filters/keywords/{_ID}", FilterKeyword),
    ("PUT", rf"/api/v2/filters/keywords/{_ID}", FilterKeyword),
    ("GET", rf"/api/v2/filters/{_ID}", Filter),
    ("PUT", rf"/api/v2/filters/{_ID}", Filter),
    ("GET", r"/api/v1/filters", list[V1Filter]),
    ("POST", r"/api/v1/filters", V1Filter),
    ("GET", rf"/api/v1/filters/{_ID}", V1Filter),
    ("PUT", rf"/api/v1/filters/{_ID}", V1Filter),
    ("GET", rf"/lesson/v1/debug/statuses/{_ID}", StatusInternals),
]
"""(method, path pattern, entity) of the routes whose bodies are checked; first match wins."""

_COMPILED = [(m, re.compile(p + r"/?"), e) for m, p, e in ENTITY_OF_ROUTE]


def entity_for(method: str, path: str) -> Any | None:
    """Return the entity a successful ``method path`` answers with (None: not checked)."""
    for m, pattern, entity in _COMPILED:
        if m == method and pattern.fullmatch(path):
            return entity
    return None


def check_response(response: httpx.Response) -> None:
    """Validate an API response's JSON body against its documented entity.

    Errors (4xx, 5xx) must be an Error entity; successes the route's entity. Event
    streams, non-JSON bodies and routes not in `ENTITY_OF_ROUTE` are not checked; of the
    lesson's own API (``/lesson/``) only the routes listed there are.
    """
    if "application/json" not in response.headers.get("content-type", ""):
        return
    path = response.request.url.path
    if path.startswith("/lesson/"):
        entity = entity_for(response.request.method, path)
        if entity is not None:
            response.read()
            validate(Error if response.status_code >= 400 else entity, response.content)
        return
    if not (path.startswith("/api/") or path.startswith("/oauth/")):
        return
    response.read()
    if response.status_code >= 400:
        validate(Error, response.content)
        return
    entity = entity_for(response.request.method, path)
    if entity is None or entity is Any:
        if path.endswith("/lookup"):
            validate(Account, response.content)
        elif path.endswith("/accounts/search"):
            validate(list[Account], response.content)
        return
    validate(entity, response.content)
