"""`RedisStreamLog`: the fan-out log as a Redis stream read by one consumer group.

Why Redis Streams rather than NATS JetStream: Redis is already required for the
timelines and the rate limits, so the log adds no service to run, back up or monitor,
and the relay can save its cursor in the *same* atomic step as the ``XADD`` (one Lua
script), which a separate log server could not offer. Streams give what the lesson's
pub-sub needs: consumer groups (``XREADGROUP``), per-entry acknowledgement
(``XACK``), a pending list per consumer and ``XAUTOCLAIM`` to take over a dead
consumer's entries. JetStream's redelivery on ack timeout is built in where Redis needs
a claim loop; that loop is ten lines (`FanoutConsumer`).

Keys (one Redis Cluster hash slot, so the script may touch all three)::

    <prefix>{fanout}:log            the stream; fields pos, status ('' = None), account
    <prefix>{fanout}:relayed        the outbox position of the last published event
    <prefix>{fanout}:relay-lease    the relay lease holder's name, with a PX expiry

References:
    Redis streams introduction, https://redis.io/docs/latest/develop/data-types/streams/
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import redis

from twitterdesign._validate import check_int
from twitterdesign.errors import TwitterDesignError
from twitterdesign.reference_app.log._protocol import LogEntry, OutboxEvent

__all__ = ["LogUnavailableError", "RedisStreamLog"]

GROUP = "fanout"

# Fenced publish: nothing is written unless ARGV[1] still holds the lease and the cursor
# is still ARGV[2] (what the relay read its batch after); the entries and the new cursor
# are written together, so a crash never separates them.
_PUBLISH = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[2]) then return -2 end
local n = 0
for i = 3, #ARGV, 3 do
  redis.call('XADD', KEYS[1], '*', 'pos', ARGV[i], 'status', ARGV[i + 1], 'account', ARGV[i + 2])
  n = n + 1
end
if n > 0 then redis.call('SET', KEYS[2], ARGV[#ARGV - 2]) end
return n
"""

_HOLD_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LogUnavailableError(TwitterDesignError, ConnectionError):
    """The log's server cannot be reached (the message names the masked URL)."""


def _mask(url: str) -> str:
    return re.sub(r"^([a-zA-Z][\w+.-]*://[^/:@]*):[^/@]*@", r"\1:***@", url)


class RedisStreamLog:
    """The fan-out log as one Redis stream and one consumer group; see `FanoutLog`.

    Args:
        client_or_url: A ``redis://`` URL (the log owns its connection pool) or a
            `redis.Redis` client created with ``decode_responses=True`` (shared; `close`
            leaves it open).
        prefix: Starts every key, so several apps (or tests) share one Redis database.
        connect_timeout_s: Seconds to wait for a TCP connection (URL only).
        create_group: Create the stream and the consumer group if missing (a worker).
            False opens a reader (the app's ``/metrics``) that writes nothing and does
            not connect until its first call.

    Raises:
        LogUnavailableError: If the server does not answer (``create_group`` only).
    """

    def __init__(
        self,
        client_or_url: str | redis.Redis,
        *,
        prefix: str = "td:",
        connect_timeout_s: float = 5.0,
        create_group: bool = True,
    ) -> None:
        if isinstance(client_or_url, str):
            self.url = _mask(client_or_url)
            self._client: redis.Redis = redis.Redis.from_url(
                client_or_url,
                decode_responses=True,
                socket_connect_timeout=connect_timeout_s,
                health_check_interval=30,
            )
            self._owned = True
        else:
            self.url = "a shared Redis client"
            self._client = client_or_url
            self._owned = False
        base = f"{prefix}{{fanout}}"
        self.stream = f"{base}:log"
        self._cursor_key = f"{base}:relayed"
        self._lease_key = f"{base}:relay-lease"
        self._counts_key = f"{base}:counts"
        self._publish = self._client.register_script(_PUBLISH)
        self._hold = self._client.register_script(_HOLD_LEASE)
        self._release = self._client.register_script(_RELEASE_LEASE)
        self._lock = threading.Lock()
        self._create_group = create_group
        if create_group:
            self._call(self._ensure_group)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise LogUnavailableError(
                f"the fan-out log's Redis is not reachable at {self.url}: {exc}"
            ) from exc

    def _group_call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """`_call` a group command; recreate the group first if Redis has lost it.

        A Redis restarted without persistence (or a flushed database) comes back with no
        stream and no group; the relay's next ``XADD`` recreates the stream (it finds no
        cursor, so it publishes the outbox again from its start), but only a consumer can
        recreate the group. Without this every read would fail with ``NOGROUP`` for the
        life of the worker. The new group starts at the stream's first entry: everything
        in the new stream was published after the loss. A reader opened with
        ``create_group=False`` (the app's ``/metrics``) never writes, so it only raises.
        """
        try:
            return self._call(fn, *args, **kwargs)
        except redis.ResponseError as exc:
            if not self._create_group or "NOGROUP" not in str(exc):
                raise
        self._call(self._ensure_group)
        return self._call(fn, *args, **kwargs)

    def _ensure_group(self) -> None:
        try:
            self._client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # --- relay side ------------------------------------------------------------------
    def hold_relay_lease(self, holder: str, *, ttl_ms: int) -> bool:
        """Take or renew the relay lease for ``holder``; False while another holds it."""
        check_int("ttl_ms", ttl_ms, minimum=1)
        return bool(self._call(self._hold, keys=[self._lease_key], args=[holder, ttl_ms]))

    def release_relay_lease(self, holder: str) -> None:
        """Give the lease up if ``holder`` holds it."""
        self._call(self._release, keys=[self._lease_key], args=[holder])

    def relay_lease_holder(self) -> str | None:
        """Return who holds the relay lease now (None: nobody)."""
        return cast("str | None", self._call(self._client.get, self._lease_key))

    def publish(self, events: Sequence[OutboxEvent], *, holder: str, after: int) -> bool:
        """Append ``events`` and save the relay cursor in one script, fenced by the lease."""
        args: list[Any] = [holder, after]
        for pos, status_id, account_id in events:
            args += [pos, "" if status_id is None else status_id, account_id]
        keys = [self.stream, self._cursor_key, self._lease_key]
        return int(self._call(self._publish, keys=keys, args=args)) >= 0

    def relayed_cursor(self) -> int:
        """Return the outbox position of the last published event (0 if none)."""
        value = self._call(self._client.get, self._cursor_key)
        return 0 if value is None else int(value)

    # --- consumer side ---------------------------------------------------------------
    def _entries(self, raw: Any) -> list[LogEntry]:
        entries: list[LogEntry] = []
        gone: list[str] = []
        for entry_id, fields in raw:
            if not fields:  # trimmed while pending: nothing left to deliver
                gone.append(entry_id)
                continue
            status = fields["status"]
            entries.append(
                LogEntry(
                    entry_id,
                    int(fields["pos"]),
                    int(status) if status else None,
                    int(fields["account"]),
                )
            )
        if gone:
            self.ack(gone)
        return entries

    def _read(self, consumer: str, start: str, count: int, block_ms: int | None) -> list[LogEntry]:
        reply = self._group_call(
            self._client.xreadgroup,
            GROUP,
            consumer,
            {self.stream: start},
            count=count,
            block=block_ms,
        )
        if not reply:
            return []
        return self._entries(reply[0][1])

    def read(self, consumer: str, *, count: int, block_ms: int = 0) -> list[LogEntry]:
        """Return up to ``count`` new entries, now pending for ``consumer``."""
        check_int("count", count, minimum=1)
        check_int("block_ms", block_ms, minimum=0)
        # redis-py's block=0 means "forever"; None means "do not block".
        return self._read(consumer, ">", count, block_ms or None)

    def read_own_pending(self, consumer: str, *, count: int) -> list[LogEntry]:
        """Return entries pending for ``consumer`` (a restart resumes them)."""
        check_int("count", count, minimum=1)
        return self._read(consumer, "0", count, None)

    def claim_stale(self, consumer: str, *, min_idle_ms: int, count: int) -> list[LogEntry]:
        """Move entries pending longer than ``min_idle_ms`` to ``consumer`` (XAUTOCLAIM)."""
        check_int("min_idle_ms", min_idle_ms, minimum=0)
        check_int("count", count, minimum=1)
        reply = self._group_call(
            self._client.xautoclaim,
            self.stream,
            GROUP,
            consumer,
            min_idle_ms,
            start_id="0-0",
            count=count,
        )
        # Redis 7: [next start, claimed entries, ids deleted meanwhile (dropped from the PEL)]
        return self._entries(reply[1])

    def delivery_counts(self, entry_ids: Sequence[str]) -> dict[str, int]:
        """Return how many times each pending entry was delivered (``XPENDING``)."""
        if not entry_ids:
            return {}
        ordered = sorted(entry_ids, key=lambda i: tuple(int(p) for p in i.split("-")))
        rows = self._group_call(
            self._client.xpending_range,
            self.stream,
            GROUP,
            min=ordered[0],
            max=ordered[-1],
            count=len(ordered) * 2 + 100,
        )
        wanted = set(entry_ids)
        return {
            r["message_id"]: int(r["times_delivered"]) for r in rows if r["message_id"] in wanted
        }

    def ack(self, entry_ids: Sequence[str]) -> int:
        """Mark entries processed; return how many were pending."""
        if not entry_ids:
            return 0
        return int(self._call(self._client.xack, self.stream, GROUP, *entry_ids))

    def pending(self) -> int:
        """Return how many entries were delivered to the group but not acknowledged."""
        summary = self._call(self._client.xpending, self.stream, GROUP)
        return int(summary["pending"])

    def pending_by_consumer(self) -> dict[str, int]:
        """Return the pending count of each consumer that has any."""
        summary = self._call(self._client.xpending, self.stream, GROUP)
        return {c["name"]: int(c["pending"]) for c in summary["consumers"]}

    def undelivered(self) -> int:
        """Return how many entries were published but not yet delivered to the group."""
        for group in self._call(self._client.xinfo_groups, self.stream):
            if group["name"] != GROUP:
                continue
            if group.get("lag") is not None:
                return int(group["lag"])
            # Lag is unknown after deletions in the middle: count past the last delivery.
            after = f"({group['last-delivered-id']}"
            return len(self._call(self._client.xrange, self.stream, after, "+"))
        return 0

    def length(self) -> int:
        """Return how many entries the stream holds (duplicates included)."""
        return int(self._call(self._client.xlen, self.stream))

    def trim(self, *, before_ms: int) -> int:
        """Delete entries published before ``before_ms`` (stream ids start with the ms)."""
        check_int("before_ms", before_ms, minimum=0)
        return int(self._call(self._client.xtrim, self.stream, minid=f"{before_ms}-0"))

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add to the totals every consumer shares (a hash; one round trip)."""
        if not counts:
            return
        pipe = self._client.pipeline(transaction=False)
        for name, n in counts.items():
            pipe.hincrby(self._counts_key, name, int(n))
        self._call(pipe.execute)

    def counts(self) -> dict[str, int]:
        """Return the shared totals."""
        raw = self._call(self._client.hgetall, self._counts_key)
        return {str(k): int(v) for k, v in raw.items()}

    def delete(self) -> None:
        """Delete the stream, the cursor, the lease and the totals (tests; a fresh start)."""
        self._call(
            self._client.delete, self.stream, self._cursor_key, self._lease_key, self._counts_key
        )

    def close(self) -> None:
        """Close the connection pool if this log opened it."""
        if self._owned:
            self._client.close()
