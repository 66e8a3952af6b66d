"""The lesson's own API, call for call, served by the same services as the Mastodon API.

Every call is authenticated like the rest (``Authorization: Bearer``), and the
``user_id`` / ``account_id`` it names must be the token's own account. Location fields
(``tweet_location``, ``user_location``) are accepted because the lesson's calls carry
them — it uses them to pick a nearby data center — but a single-node app has nowhere to
route them, so they are validated and not stored. ``post_time`` is likewise accepted and
superseded by the server's clock: the Snowflake id fixes the order of tweets.
"""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from twitterdesign.reference_app.api._deps import (
    Auth,
    BadRequest,
    User,
    auth_optional,
    base_url,
    parse_id,
    require,
    services,
    viewer_of,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.services import Forbidden, Unprocessable
from twitterdesign.reference_app.storage import Page, StatusRecord

__all__ = ["router"]

router = APIRouter(prefix="/lesson/v1", tags=["lesson"])

_ACCESS = {"public": "public", "unlisted": "unlisted", "private": "private", "followers": "private"}


class PostTweet(BaseModel):
    """postTweet(user_id, access_type, tweet_type, content, tweet_length, media_field,
    post_time, tweet_location, list_of_used_hashtags, list_of_tagged_people)."""

    user_id: str
    access_type: Literal["public", "unlisted", "private", "followers"] = "public"
    tweet_type: Literal["text", "media"] = "text"
    content: str = Field(default="", max_length=100_000)
    tweet_length: int | None = Field(default=None, ge=0)
    media_field: list[str] = Field(default_factory=list, max_length=16)
    post_time: str | None = Field(default=None, max_length=64)
    tweet_location: str | None = Field(default=None, max_length=200)
    list_of_used_hashtags: list[str] = Field(default_factory=list, max_length=50)
    list_of_tagged_people: list[str] = Field(default_factory=list, max_length=50)


class LikeTweet(BaseModel):
    """likeTweet(user_id, tweet_id, tweeted_user_id, user_location)."""

    user_id: str
    tweet_id: str
    tweeted_user_id: str | None = None
    user_location: str | None = Field(default=None, max_length=200)


class ReplyTweet(BaseModel):
    """replyTweet(user_id, tweet_id, tweeted_user_id, reply_type, reply_content, reply_length)."""

    user_id: str
    tweet_id: str
    tweeted_user_id: str | None = None
    reply_type: Literal["public", "unlisted", "private", "followers"] = "public"
    reply_content: str = Field(max_length=100_000)
    reply_length: int | None = Field(default=None, ge=0)


class FollowAccount(BaseModel):
    """followAccount(account_id, followed_account_id)."""

    account_id: str
    followed_account_id: str


class Retweet(BaseModel):
    """retweet(user_id, tweet_id, retweet_user_id)."""

    user_id: str
    tweet_id: str
    retweet_user_id: str | None = None


def _me(auth: User, user_id: str) -> int:
    if parse_id(user_id, name="user_id", bad=BadRequest) != auth.account_id:
        raise Forbidden("user_id must be the authenticated account")
    return auth.account_id


def _check_author(request: Request, me: int, status_id: int, tweeted_user_id: str | None) -> None:
    # Visibility first: a status the caller may not see answers exactly like one that
    # does not exist (404), whatever author is guessed, so the check is no oracle.
    found = services(request).statuses.get_visible(me, status_id)
    if tweeted_user_id is not None and str(found.account_id) != tweeted_user_id:
        raise Unprocessable("tweeted_user_id is not the author of tweet_id")


def _r(request: Request, auth: Auth) -> Renderer:
    return Renderer(services(request), base_url(request), auth.account_id)


def _tweet_page(
    request: Request, auth: Auth, items: list[StatusRecord], count: int
) -> dict[str, Any]:
    shown = items[:count]
    more = len(items) > count
    return {
        "data": _r(request, auth).statuses(shown),
        "meta": {
            "result_count": len(shown),
            "newest_id": str(shown[0].id) if shown else None,
            "oldest_id": str(shown[-1].id) if shown else None,
            "next_token": str(shown[-1].id) if shown and more else None,
        },
    }


@router.post("/postTweet", summary="postTweet")
def post_tweet(
    body: PostTweet, request: Request, auth: User = Depends(require("write:statuses"))
) -> dict[str, Any]:
    """Post a tweet; hashtags and tagged people missing from the text are appended."""
    me = _me(auth, body.user_id)
    s = services(request)
    if body.tweet_length is not None and body.tweet_length != len(body.content):
        raise Unprocessable("tweet_length does not match the length of content")
    text = body.content
    for tag in body.list_of_used_hashtags:
        name = tag.lstrip("#")
        if not name.replace("_", "").isalnum():
            raise Unprocessable(f"invalid hashtag {tag!r}")
        if f"#{name.lower()}" not in text.lower():
            text += f" #{name}"
    for person in body.list_of_tagged_people:
        account = s.accounts.get(parse_id(person, name="list_of_tagged_people", bad=BadRequest))
        if f"@{account.username}".lower() not in text.lower():
            text += f" @{account.username}"
    if body.tweet_type == "media" and not body.media_field:
        raise Unprocessable("tweet_type 'media' needs media_field")
    status = s.statuses.create(
        me,
        text.strip(),
        visibility=_ACCESS[body.access_type],
        media_ids=[parse_id(m, name="media_field", bad=BadRequest) for m in body.media_field],
        idempotency_key=request.headers.get("idempotency-key"),
    )
    return {"tweet_id": str(status.id), "tweet": _r(request, auth).status(status)}


@router.post("/likeTweet", summary="likeTweet")
def like_tweet(
    body: LikeTweet, request: Request, auth: User = Depends(require("write:favourites"))
) -> dict[str, Any]:
    """Like a tweet."""
    me = _me(auth, body.user_id)
    tweet = parse_id(body.tweet_id)
    _check_author(request, me, tweet, body.tweeted_user_id)
    status = services(request).engagement.favourite(me, tweet)
    return {"liked": True, "tweet": _r(request, auth).status(status)}


@router.post("/replyTweet", summary="replyTweet")
def reply_tweet(
    body: ReplyTweet, request: Request, auth: User = Depends(require("write:statuses"))
) -> dict[str, Any]:
    """Reply to a tweet."""
    me = _me(auth, body.user_id)
    if body.reply_length is not None and body.reply_length != len(body.reply_content):
        raise Unprocessable("reply_length does not match the length of reply_content")
    tweet = parse_id(body.tweet_id)
    s = services(request)
    key = request.headers.get("idempotency-key")
    visibility = _ACCESS[body.reply_type]
    # A retry gets the first reply even if the tweet has become invisible since.
    status = s.statuses.replay(
        me, key, text=body.reply_content, visibility=visibility, in_reply_to_id=tweet
    )
    if status is None:
        _check_author(request, me, tweet, body.tweeted_user_id)
        status = s.statuses.create(
            me,
            body.reply_content,
            visibility=visibility,
            in_reply_to_id=tweet,
            idempotency_key=key,
        )
    return {"tweet_id": str(status.id), "tweet": _r(request, auth).status(status)}


@router.post("/retweet", summary="retweet")
def retweet(
    body: Retweet, request: Request, auth: User = Depends(require("write:statuses"))
) -> dict[str, Any]:
    """Retweet a tweet (``retweet_user_id``, if given, must be the tweet's author)."""
    me = _me(auth, body.user_id)
    tweet = parse_id(body.tweet_id)
    _check_author(request, me, tweet, body.retweet_user_id)
    status = services(request).engagement.reblog(me, tweet)
    return {"tweet_id": str(status.id), "tweet": _r(request, auth).status(status)}


@router.post("/followAccount", summary="followAccount")
def follow_account(
    body: FollowAccount, request: Request, auth: User = Depends(require("write:follows"))
) -> dict[str, Any]:
    """Follow ``followed_account_id``."""
    me = _me(auth, body.account_id)
    target = parse_id(body.followed_account_id, name="followed_account_id", bad=BadRequest)
    s = services(request)
    s.graph.follow(me, target)
    return {"account_id": str(me), "followed_account_id": str(target), "following": True}


def _exclusions(exclude: str | None) -> set[str]:
    parts = {p.strip() for p in (exclude or "").split(",") if p.strip()}
    unknown = parts - {"replies", "retweets"}
    if unknown:
        raise BadRequest("exclude may list replies and retweets")
    return parts


def _token(next_token: str | None) -> int | None:
    return parse_id(next_token, name="next_token", bad=BadRequest) if next_token else None


def _ranked_token(next_token: str | None) -> tuple[str | None, int]:
    """Split a relevancy ``next_token`` (``<ranking>.<offset>``)."""
    if not next_token:
        return None, 0
    ranking, _, offset = next_token.partition(".")
    if (
        not ranking
        or not offset.isdigit()
        or not ranking.replace("-", "").replace("_", "").isalnum()
    ):
        raise BadRequest("next_token is not a token this timeline gave")
    return ranking, int(offset)


@router.get("/searchTweet", summary="searchTweet")
def search_tweet(
    request: Request,
    user_id: str,
    search_term: str = Query(min_length=1, max_length=500),
    max_result: int = Query(10, ge=1, le=100),
    exclude: str | None = Query(None, max_length=100),
    media_field: str | None = Query(None, max_length=200),
    expansions: str | None = Query(None, max_length=200),
    sort_order: Literal["recency", "relevancy"] = "recency",
    next_token: str | None = Query(None, max_length=40),
    user_location: str | None = Query(None, max_length=200),
    auth: User = Depends(require("read:search")),
) -> dict[str, Any]:
    """Search tweets: 10 results by default, the next page by ``next_token``.

    ``media_field`` and ``expansions`` select extra fields in Twitter's API; our tweets
    always carry their media and author, so they are accepted as no-ops.
    """
    me = _me(auth, user_id)
    ex = _exclusions(exclude)
    offset = 0
    if next_token:
        if not (next_token.isascii() and next_token.isdigit()) or len(next_token) > 9:
            raise BadRequest("next_token is not valid")
        offset = int(next_token)
    s = services(request)
    # 3,200 results at most, as the lesson says (800 when replies are excluded).
    cap = 800 if "replies" in ex else 3200
    if offset >= cap:
        return {"data": [], "meta": {"result_count": 0, "next_token": None}}
    ids = s.search.status_ids(me, search_term, max_result + 1, order=sort_order, offset=offset)
    items = s.statuses.hydrate(me, ids)
    if "replies" in ex:
        items = [x for x in items if x.in_reply_to_id is None]
    more = len(ids) > max_result and offset + max_result < cap
    shown = items[:max_result]
    return {
        "data": _r(request, auth).statuses(shown),
        "meta": {
            "result_count": len(shown),
            "next_token": str(offset + max_result) if more else None,
        },
    }


@router.get("/viewHome_timeline", summary="viewHome_timeline")
def view_home_timeline(
    request: Request,
    user_id: str,
    tweets_count: int | None = Query(None, ge=1, le=100),
    max_result: int = Query(20, ge=1, le=100),
    exclude: str | None = Query(None, max_length=100),
    next_token: str | None = Query(None, max_length=40),
    user_location: str | None = Query(None, max_length=200),
    sort_order: Literal["recency", "relevancy"] = "recency",
    auth: User = Depends(require("read:statuses")),
) -> dict[str, Any]:
    """The home timeline; ``tweets_count`` (if given) caps ``max_result``.

    ``sort_order=relevancy`` ranks it by engagement with time decay (the lesson's top-k
    of the home timeline, `twitterdesign.reference_app.services.ranking`); its
    ``next_token`` names the ranking snapshot and the offset into it. Excluded replies or
    retweets are left out of a ranked page, which may then hold fewer tweets.
    """
    me = _me(auth, user_id)
    ex = _exclusions(exclude)
    count = min(max_result, tweets_count or max_result)
    s = services(request)
    if sort_order == "relevancy":
        ranking, offset = _ranked_token(next_token)
        ranked = s.ranking.page(me, limit=count, token=ranking, offset=offset)
        page = _tweet_page(request, auth, _filter(ranked.items, ex), count)
        more = ranked.next_offset is not None
        page["meta"]["next_token"] = f"{ranked.token}.{ranked.next_offset}" if more else None
        return page
    ids = s.timelines.home_ids(me, Page(max_id=_token(next_token), limit=count + 11))
    items = s.statuses.hydrate(me, ids)
    items = _filter(items, ex)
    return _tweet_page(request, auth, items, count)


@router.get("/viewUser_timeline", summary="viewUser_timeline")
def view_user_timeline(
    request: Request,
    user_id: str,
    target_user_id: str | None = Query(None, max_length=40),
    tweets_count: int | None = Query(None, ge=1, le=100),
    max_result: int = Query(20, ge=1, le=100),
    exclude: str | None = Query(None, max_length=100),
    next_token: str | None = Query(None, max_length=40),
    user_location: str | None = Query(None, max_length=200),
    auth: User = Depends(require("read:statuses")),
) -> dict[str, Any]:
    """A user's own timeline (``target_user_id``, default the caller)."""
    me = _me(auth, user_id)
    ex = _exclusions(exclude)
    count = min(max_result, tweets_count or max_result)
    s = services(request)
    target = s.accounts.get(
        parse_id(target_user_id, name="target_user_id", bad=BadRequest) if target_user_id else me
    )
    items = s.statuses.account_statuses(
        me,
        target.id,
        Page(max_id=_token(next_token), limit=count + 1),
        exclude_replies="replies" in ex,
        exclude_reblogs="retweets" in ex,
    )
    return _tweet_page(request, auth, items, count)


def _filter(items: list[StatusRecord], ex: set[str]) -> list[StatusRecord]:
    if "replies" in ex:
        items = [x for x in items if x.in_reply_to_id is None]
    if "retweets" in ex:
        items = [x for x in items if x.reblog_of_id is None]
    return items


@router.get("/trends", summary="Top-k: trending hashtags and tweets, with bounds")
def trends(
    request: Request,
    k: int = Query(10, ge=1, le=100),
    auth: Auth | None = Depends(auth_optional),
) -> dict[str, Any]:
    """The lesson's top-k problem answered by the ``topk`` sketches, with error bounds.

    ``tags``: hashtags used most in public statuses within the trends window;
    ``engaged``: public statuses with the most likes, reblogs and views in the window;
    ``most_viewed``: the most viewed public statuses overall. Each entry has the sketch's
    estimate and the lower and upper bounds on the true count. Deleted statuses are left
    out.
    """
    s = services(request)
    viewer = viewer_of(auth)

    def visible(entries: list[Any]) -> list[dict[str, Any]]:
        shown = {x.id for x in s.statuses.hydrate(viewer, [e.status_id for e in entries])}
        return [e.to_dict() for e in entries if e.status_id in shown]

    return {
        "window_s": s.trends.window_s,
        "tags": [t.to_dict() for t in s.trends.trending_tags(k)],
        "engaged": visible(s.trends.trending_statuses(k)),
        "most_viewed": visible(s.trends.most_viewed(k)),
    }
