"""`RedisTimelineStore`: home timelines in Redis, shared by every app and worker process.

Data layout (every key starts with ``prefix``, ``td:`` by default):

==================  ==========  ============================================================
key                 type        holds
==================  ==========  ============================================================
``tl:<user>``       sorted set  the user's timeline: members are status ids written as 20
                                zero-padded digits, all with score 0
``active``          sorted set  user -> last activity (Unix seconds); only with a window
``built``           set         users whose timeline was claimed for a rebuild
``held``            set         users with a ``tl:<user>`` key (for `count_users`)
``pulled``          set         authors whose statuses were pulled at least once
==================  ==========  ============================================================

Why score 0 and padded strings: a sorted-set score is an IEEE double, exact only up to
2**53, and Snowflake ids use 63 bits, so two statuses posted in the same millisecond would
share a score and sort by their text. Members of equal score sort bytewise, and fixed-width
decimal strings sort bytewise exactly as the numbers do, so ``ZREVRANGEBYLEX`` pages by id
and ``ZREMRANGEBYRANK`` drops the oldest, with no precision lost.

Every method is one round trip and atomic: a Lua script or a ``MULTI`` transaction. A push
to many users sends one script per batch of users; the script checks each user's activity
on the server, so a user who reads between two batches is never half-handled.

References:
    Raffi Krikorian, "Timelines at Scale" (QCon 2012): home timelines as capped Redis
    lists of ids, 800 per user, only for users active in the last 30 days.
    Mastodon, ``app/lib/feed_manager.rb``: home feeds as sorted sets capped with
    ``ZREMRANGEBYRANK``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, cast

import redis

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage.redis._connection import RedisConnection
from twitterdesign.reference_app.storage.timelines import HomeRead

__all__ = ["RedisTimelineStore"]

_ID_DIGITS = 20
MAX_STATUS_ID = 10**_ID_DIGITS - 1
"""The largest status id the 20-digit member encoding keeps in order (above 2**64)."""

# KEYS: active, built, held, tl:<u1>, tl:<u2>, ...   ARGV: member, capacity, cutoff|'', u1, u2, ...
# Returns how many timelines received the member.
_PUSH = """
local member, keep, cutoff = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local check = cutoff ~= ''
if check then cutoff = tonumber(cutoff) end
local written = 0
for i = 4, #KEYS do
  local user = ARGV[i]
  local active = true
  if check then
    local seen = redis.call('ZSCORE', KEYS[1], user)
    active = seen and tonumber(seen) >= cutoff
  end
  if active then
    -- A repeat (the log redelivered) adds nothing and needs no trim.
    if redis.call('ZADD', KEYS[i], 0, member) == 1 then
      local held = redis.call('ZCARD', KEYS[i])
      if held == 1 then
        redis.call('SADD', KEYS[3], user)  -- a new timeline
      elseif held > keep then
        redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -keep - 1)
      end
    end
    written = written + 1
  else
    redis.call('DEL', KEYS[i])
    redis.call('SREM', KEYS[2], user)
    redis.call('SREM', KEYS[3], user)
  end
end
return written
"""

# KEYS: active, built, held, tl:<u1>, ...   ARGV: cutoff, u1, ...
# Drops each user still inactive (re-checked here, atomically); returns how many had state.
_DROP_INACTIVE = """
local cutoff = tonumber(ARGV[1])
local dropped = 0
for i = 4, #KEYS do
  local user = ARGV[i - 2]
  local seen = redis.call('ZSCORE', KEYS[1], user)
  if seen and tonumber(seen) < cutoff then
    local had = redis.call('DEL', KEYS[i]) + redis.call('SREM', KEYS[2], user)
    redis.call('SREM', KEYS[3], user)
    redis.call('ZREM', KEYS[1], user)
    if had > 0 then dropped = dropped + 1 end
  end
end
return dropped
"""


def _member(status_id: int) -> str:
    return f"{status_id:0{_ID_DIGITS}d}"


def _page(reply: Any, ascending: bool | None) -> list[int]:
    """Ids from a range reply, newest first (see `RedisTimelineStore._read_in`)."""
    if ascending is None:
        return []
    page = [int(m) for m in reply]
    if ascending:
        page.reverse()
    return page


class RedisTimelineStore:
    """Home timelines as capped Redis sorted sets; see `TimelineStore` for each guarantee.

    Args:
        client_or_url: A ``redis://`` URL (the store then owns a connection pool and
            closes it) or a `redis.Redis` client created with ``decode_responses=True``
            (shared; `close` leaves it open).
        prefix: Starts every key, so several apps (or tests) share one Redis database.
        capacity: Ids kept per user (Twitter kept 800).
        inactive_after_s: Users not active for this long get no pushes; None means
            everyone is always active (and no activity is recorded).
        batch_size: Users per script in a `push` (one round trip each).

    Raises:
        InvalidParameterError: A bad URL, an empty prefix, ``capacity`` or
            ``batch_size`` below 1, or a negative window.
        RedisUnavailableError: The server does not answer (at construction or later).

    Requires Redis 6.2 or later (``ZADD ... GT``). Timeline keys must not be evicted
    behind the store's back (run Redis with ``maxmemory-policy noeviction``, or size it for
    the active users): a timeline evicted while its user's built flag stays would read as
    authoritative. A ``FLUSHDB`` or a restart without persistence is safe: every flag
    goes with the timelines, and the next read rebuilds from the database.

    Examples:
        >>> import uuid
        >>> store = RedisTimelineStore.from_url(
        ...     "redis://127.0.0.1:6379/0", prefix=f"td_doctest:{uuid.uuid4().hex}:",
        ...     capacity=3, inactive_after_s=60.0)
        >>> store.claim_rebuild(7, now_s=0.0), store.claim_rebuild(7, now_s=0.0)
        (True, False)
        >>> store.push(12, [7, 8], now_s=1.0)  # user 8 was never active
        1
        >>> store.read(7, limit=3, now_s=2.0)
        [12]
        >>> store.drop_inactive(now_s=10_000.0), store.count_users()  # leaves no key behind
        (1, 0)
        >>> store.close()
    """

    blocking_io: bool = True
    """Whether its calls wait on a network (the app then runs them off the event loop)."""

    def __init__(
        self,
        client_or_url: str | redis.Redis,
        *,
        prefix: str = "td:",
        capacity: int = 800,
        inactive_after_s: float | None = None,
        batch_size: int = 1_000,
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise InvalidParameterError("prefix", prefix, "a non-empty string such as 'td:'")
        self._capacity = check_int("capacity", capacity, minimum=1)
        self._window_s = (
            None
            if inactive_after_s is None
            else check_number("inactive_after_s", inactive_after_s, minimum=0.0)
        )
        self._batch = check_int("batch_size", batch_size, minimum=1)
        self._conn = RedisConnection(client_or_url)
        self._redis = self._conn.client
        self.prefix = prefix
        self._active = prefix + "active"
        self._built = prefix + "built"
        self._held = prefix + "held"
        self._pulled = prefix + "pulled"
        self._push_script = self._redis.register_script(_PUSH)
        self._drop_script = self._redis.register_script(_DROP_INACTIVE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "td:",
        capacity: int = 800,
        inactive_after_s: float | None = None,
    ) -> RedisTimelineStore:
        """Open a store on the server ``url`` names (``redis://[:password@]host:port/db``)."""
        return cls(url, prefix=prefix, capacity=capacity, inactive_after_s=inactive_after_s)

    @property
    def capacity(self) -> int:
        """Ids kept per user."""
        return self._capacity

    @property
    def url(self) -> str:
        """The server's URL, password masked."""
        return self._conn.url

    def _timeline(self, user: int) -> str:
        return f"{self.prefix}tl:{user}"

    @staticmethod
    def _now(now_s: float | None) -> float:
        return time.time() if now_s is None else now_s

    def _cutoff(self, now_s: float | None) -> str:
        """The oldest activity time that still counts as active ('' without a window)."""
        if self._window_s is None:
            return ""
        return repr(self._now(now_s) - self._window_s)

    def _touch_in(self, pipe: Any, user: int, now_s: float | None) -> None:
        if self._window_s is not None:
            # GT: an out-of-order older timestamp never moves activity back.
            pipe.zadd(self._active, {str(user): self._now(now_s)}, gt=True)

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        """Insert ``status_id`` into each active user's timeline; see `TimelineStore.push`.

        Idempotent: pushing the same id again leaves one entry (the fan-out log delivers
        at least once).
        """
        member = _member(check_int("status_id", status_id, minimum=0, maximum=MAX_STATUS_ID))
        ids = [check_int("users", u, minimum=0) for u in users]
        cutoff = self._cutoff(now_s)
        fixed_keys = [self._active, self._built, self._held]
        written = 0
        with self._conn.errors():
            for start in range(0, len(ids), self._batch):
                batch = ids[start : start + self._batch]
                keys = fixed_keys + [self._timeline(u) for u in batch]
                args: list[str | int] = [member, self._capacity, cutoff, *batch]
                written += int(self._push_script(keys=keys, args=args))
        return written

    def read(
        self,
        user: int,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        now_s: float | None = None,
    ) -> list[int]:
        """Return a page of ``user``'s timeline, newest first; see `TimelineStore.read`."""
        u = check_int("user", user, minimum=0)
        with self._conn.errors():
            pipe = self._redis.pipeline(transaction=True)
            self._touch_in(pipe, u, now_s)
            ascending = self._read_in(pipe, u, limit, max_id, since_id, min_id)
            replies = pipe.execute()
        return _page(replies[-1] if ascending is not None else None, ascending)

    def open_home(
        self,
        user: int,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        now_s: float | None = None,
    ) -> HomeRead:
        """`pulled_authors`, `claim_rebuild`, `is_full` and `read` in one transaction."""
        u = check_int("user", user, minimum=0)
        with self._conn.errors():
            pipe = self._redis.pipeline(transaction=True)
            pipe.smembers(self._pulled)
            self._touch_in(pipe, u, now_s)
            pipe.sadd(self._built, str(u))
            pipe.zcard(self._timeline(u))
            ascending = self._read_in(pipe, u, limit, max_id, since_id, min_id)
            replies = pipe.execute()
        page = replies.pop() if ascending is not None else []
        pulled, *_touched, added, held = replies
        return HomeRead(
            _page(page, ascending),
            int(added) == 1,
            int(held) >= self._capacity,
            frozenset(int(a) for a in pulled),
        )

    def _read_in(
        self,
        pipe: Any,
        u: int,
        limit: int,
        max_id: int | None,
        since_id: int | None,
        min_id: int | None,
    ) -> bool | None:
        """Queue a page read on ``pipe``: True ascending, False descending, None nothing
        (no id can be in the range)."""
        n = check_int("limit", limit, minimum=1)
        upper = None if max_id is None else check_int("max_id", max_id, minimum=0)
        since = None if since_id is None else check_int("since_id", since_id, minimum=0)
        above = None if min_id is None else check_int("min_id", min_id, minimum=0)
        lowers = [b for b in (since, above) if b is not None]
        lower = max(lowers) if lowers else None
        if lower is not None and lower >= MAX_STATUS_ID:
            return None  # nothing can be above the largest id
        hi_lex = "+" if upper is None or upper > MAX_STATUS_ID else "(" + _member(upper)
        lo_lex = "-" if lower is None else "(" + _member(lower)
        key = self._timeline(u)
        if above is not None:  # the page just above min_id: ascending from it
            pipe.zrangebylex(key, lo_lex, hi_lex, start=0, num=n)
            return True
        pipe.zrevrangebylex(key, hi_lex, lo_lex, start=0, num=n)
        return False

    def merge(self, user: int, status_ids: Iterable[int]) -> None:
        """Add ids to ``user``'s timeline, keeping the newest ``capacity``.

        ``ZADD`` then ``ZREMRANGEBYRANK`` in one transaction: never a replace, so an id
        pushed while the rebuild query ran stays.
        """
        u = check_int("user", user, minimum=0)
        members = {
            _member(check_int("status_ids", s, minimum=0, maximum=MAX_STATUS_ID))
            for s in status_ids
        }
        if not members:
            return  # nothing to hold: no empty timeline is created
        key = self._timeline(u)
        with self._conn.errors():
            pipe = self._redis.pipeline(transaction=True)
            ordered = sorted(members)
            for start in range(0, len(ordered), 10_000):
                pipe.zadd(key, dict.fromkeys(ordered[start : start + 10_000], 0))
            pipe.zremrangebyrank(key, 0, -self._capacity - 1)
            pipe.sadd(self._held, str(u))
            pipe.execute()

    def touch(self, user: int, *, now_s: float | None = None) -> None:
        """Record that ``user`` was active at ``now_s``."""
        u = check_int("user", user, minimum=0)
        if self._window_s is None:
            return
        with self._conn.errors():
            self._redis.zadd(self._active, {str(u): self._now(now_s)}, gt=True)

    def is_full(self, user: int) -> bool:
        """Return True if ``user``'s timeline holds ``capacity`` ids."""
        u = check_int("user", user, minimum=0)
        with self._conn.errors():
            held = int(self._redis.zcard(self._timeline(u)))
        return held >= self._capacity

    def claim_rebuild(self, user: int, *, now_s: float | None = None) -> bool:
        """Mark ``user`` built and active; True if the caller must rebuild the timeline.

        One transaction: ``ZADD active GT`` then ``SADD built``. ``SADD`` is the
        test-and-set: of concurrent callers in any process, exactly one adds the member.
        """
        u = check_int("user", user, minimum=0)
        with self._conn.errors():
            pipe = self._redis.pipeline(transaction=True)
            self._touch_in(pipe, u, now_s)
            pipe.sadd(self._built, str(u))
            replies = pipe.execute()
        return int(replies[-1]) == 1

    def drop(self, user: int) -> bool:
        """Forget ``user``'s timeline and built flag."""
        u = check_int("user", user, minimum=0)
        with self._conn.errors():
            pipe = self._redis.pipeline(transaction=True)
            pipe.delete(self._timeline(u))
            pipe.srem(self._built, str(u))
            pipe.srem(self._held, str(u))
            deleted, unbuilt, _ = pipe.execute()
        return int(deleted) + int(unbuilt) > 0

    def drop_inactive(self, *, now_s: float | None = None) -> int:
        """Drop every user inactive for the whole window; return how many had state.

        Candidates come from ``ZRANGEBYSCORE active`` in batches; a script re-checks each
        one before dropping it, so a user who read in between is kept.
        """
        if self._window_s is None:
            return 0
        cutoff = self._now(now_s) - self._window_s
        dropped = 0
        with self._conn.errors():
            while True:
                stale = cast(
                    "list[str]",
                    self._redis.zrangebyscore(
                        self._active, "-inf", f"({cutoff!r}", start=0, num=self._batch
                    ),
                )
                if not stale:
                    return dropped
                keys = [self._active, self._built, self._held]
                keys += [self._timeline(int(u)) for u in stale]
                dropped += int(self._drop_script(keys=keys, args=[repr(cutoff), *stale]))

    def mark_pulled(self, author: int) -> None:
        """Remember that ``author``'s statuses were pulled at least once (``SADD``)."""
        a = check_int("author", author, minimum=0)
        with self._conn.errors():
            self._redis.sadd(self._pulled, str(a))

    def pulled_authors(self) -> frozenset[int]:
        """Return every author passed to `mark_pulled`."""
        with self._conn.errors():
            members = cast("set[str]", self._redis.smembers(self._pulled))
        return frozenset(int(a) for a in members)

    def holders(self, status_id: int, users: Iterable[int]) -> list[int]:
        """Return those of ``users`` whose timeline holds ``status_id``; see `TimelineStore`.

        One ``ZSCORE`` per user, pipelined in batches (one round trip per batch); no
        activity is recorded.
        """
        member = _member(check_int("status_id", status_id, minimum=0, maximum=MAX_STATUS_ID))
        ids = [check_int("users", u, minimum=0) for u in users]
        out: list[int] = []
        with self._conn.errors():
            for start in range(0, len(ids), self._batch):
                batch = ids[start : start + self._batch]
                pipe = self._redis.pipeline(transaction=False)
                for u in batch:
                    pipe.zscore(self._timeline(u), member)
                scores = pipe.execute()
                out += [u for u, score in zip(batch, scores, strict=True) if score is not None]
        return out

    def count_users(self) -> int:
        """Return how many users have a timeline held."""
        with self._conn.errors():
            return int(self._redis.scard(self._held))

    def close(self) -> None:
        """Close the connection pool if the store opened it from a URL."""
        self._conn.close()

    def _check(self) -> None:
        """Assert the invariants: every held timeline within capacity, ``held`` exact."""
        with self._conn.errors():
            held = {int(u) for u in self._redis.smembers(self._held)}
            keys = set(self._redis.scan_iter(match=self.prefix + "tl:*", count=1_000))
            assert keys == {self._timeline(u) for u in held}, "held set != timeline keys"
            for key in keys:
                members = cast(
                    "list[tuple[str, float]]", self._redis.zrange(key, 0, -1, withscores=True)
                )
                assert 0 < len(members) <= self._capacity, key
                assert all(score == 0 for _, score in members), key
                assert all(len(m) == _ID_DIGITS and m.isdigit() for m, _ in members), key
