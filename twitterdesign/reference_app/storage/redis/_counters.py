"""`RedisStatusCounters`: the cluster's sharded counters of favourites, reblogs, replies, views.

The lesson's sharded counter (`twitterdesign.topk.ShardedCounter`) in Redis: what is not
yet in PostgreSQL's counter columns is kept in ``shards`` hashes, a write goes to one
shard (picked at random per batch), and a read sums the shards. Data layout (every key
starts with ``prefix`` then ``{cnt}``)::

    {cnt}:s<i>            hash, one per shard: "<status id>:<f|b|r|v>" -> delta not flushed
    {cnt}:inflight        hash: the batch being flushed, same fields, plus "_id" = flush id
    {cnt}:done:<key>      string with a TTL: counter event <key> was applied (dedupe)
    {cnt}:flush-lease     string with a PX expiry: the flusher holding the lease

Why one hash per shard rather than one per (shard, status): a page of 40 statuses is
read with one ``HMGET`` per shard (9 commands, one round trip, whatever the page), and a
flush moves every shard with one script without having to track which statuses are
dirty. Why shards at all, in one single-threaded Redis where ``HINCRBY`` is atomic anyway:
it is the lesson's model, and the layout that scales out — the shard keys are what a
partitioned Redis would spread over nodes, so one celebrity's likes never meet on one
key. Here they share the ``{cnt}`` hash tag so the flush script may move them atomically
(the app supports one Redis, not Redis Cluster). Letters: f favourites, b reblogs
("boosts"), r replies, v views.

Exactly once, although the counter events arrive at least once: `apply_events` sets a
``done:<key>`` marker with ``SET NX`` and adds the delta in the same script, so a
redelivered event finds its marker and adds nothing. The marker lives ``dedupe_ttl_s``
(one hour by default) — far longer than the window in which an event is redelivered (a
consumer that applied it and died before deleting it from the outbox). Views come as
batches from each process's buffer (`ViewCounterStore`), already counted once; they need
no marker.

The flush (`begin_flush` / `end_flush`, with the database's
`DeferredCounterStore.apply_counter_flush` in between) never loses or doubles a count:
`begin_flush` moves every shard into the in-flight hash under a new flush id in one
script (or returns the in-flight batch a crashed flusher left); the database applies the
batch and records its flush id in one transaction (a second apply of the same id changes
nothing); only then `end_flush` deletes the batch, if its id still matches. Readers add
the in-flight batch unless the database already has its flush id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage.counters import CounterDeltas, CounterEvent
from twitterdesign.reference_app.storage.redis._connection import RedisConnection

__all__ = ["InFlightFlush", "RedisStatusCounters", "ShardValues", "Unflushed"]

_CODES = {"favourites": "f", "reblogs": "b", "replies": "r", "views": "v"}
_LETTERS = "fbrv"

# KEYS: inflight, shard 0, shard 1, ...   ARGV: status ids
# Sums each "<id>:<letter>" over the shards on the server, so the client packs a page's
# ids once instead of every field once per shard (which cost a third of a home page's
# Python time). Returns {inflight id or false, then (field, shard sum, in-flight value)
# for each field where either is non-zero}: a page of quiet statuses is a few bytes.
_UNFLUSHED = """
local fields = {}
for _, sid in ipairs(ARGV) do
  for letter in string.gmatch('fbrv', '.') do fields[#fields + 1] = sid .. ':' .. letter end
end
local sums = {}
for i = 1, #fields do sums[i] = 0 end
for k = 2, #KEYS do
  local values = redis.call('HMGET', KEYS[k], unpack(fields))
  for i = 1, #fields do
    if values[i] then sums[i] = sums[i] + tonumber(values[i]) end
  end
end
local batch = redis.call('HMGET', KEYS[1], '_id', unpack(fields))
local out = {batch[1]}
for i = 1, #fields do
  local pending = tonumber(batch[i + 1] or '0')
  if sums[i] ~= 0 or pending ~= 0 then
    out[#out + 1] = fields[i]
    out[#out + 1] = sums[i]
    out[#out + 1] = pending
  end
end
return out
"""

# KEYS: shard, done:<key1>, done:<key2>, ...   ARGV: ttl s, field1, delta1, field2, ...
# Returns how many events were new. A field back at 0 is removed (shards stay small).
_APPLY = """
local applied = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    local j = 2 * i - 2
    if redis.call('HINCRBY', KEYS[1], ARGV[j], ARGV[j + 1]) == 0 then
      redis.call('HDEL', KEYS[1], ARGV[j])
    end
    applied = applied + 1
  end
end
return applied
"""

# KEYS: inflight, shard 0, shard 1, ...   ARGV: new flush id
# A batch left by a crashed flusher is returned as it is (flushed first); otherwise every
# shard is moved into a new batch (sums of 0 dropped). Returns the batch's HGETALL ({} when
# nothing is left to flush).
_BEGIN_FLUSH = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HGETALL', KEYS[1])
end
local moved = 0
for i = 2, #KEYS do
  local kv = redis.call('HGETALL', KEYS[i])
  for j = 1, #kv, 2 do
    redis.call('HINCRBY', KEYS[1], kv[j], kv[j + 1])
    moved = moved + 1
  end
  redis.call('DEL', KEYS[i])
end
if moved == 0 then return {} end
local sums = redis.call('HGETALL', KEYS[1])
for j = 1, #sums, 2 do
  if tonumber(sums[j + 1]) == 0 then redis.call('HDEL', KEYS[1], sums[j]) end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end  -- the shards cancelled out
redis.call('HSET', KEYS[1], '_id', ARGV[1])
return redis.call('HGETALL', KEYS[1])
"""

_END_FLUSH = """
if redis.call('HGET', KEYS[1], '_id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_HOLD_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

_RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _deltas(fields: Iterable[tuple[str, Any]]) -> dict[int, CounterDeltas]:
    """Fold ``"<id>:<letter>" -> value`` pairs into deltas per status (zeros dropped)."""
    acc: dict[int, list[int]] = {}
    for name, value in fields:
        if value is None or name == "_id":
            continue
        sid, _, letter = name.partition(":")
        n = int(value)
        if n:
            acc.setdefault(int(sid), [0, 0, 0, 0])[_LETTERS.index(letter)] += n
    return {sid: CounterDeltas(*v) for sid, v in acc.items() if any(v)}


@dataclass(frozen=True, slots=True)
class InFlightFlush:
    """A batch moved out of the shards, on its way into the database.

    Attributes:
        flush_id: Recorded by the database with the batch (applied once per id).
        deltas: Per status, what the batch adds to its columns.
    """

    flush_id: str
    deltas: dict[int, CounterDeltas]


@dataclass(frozen=True, slots=True)
class Unflushed:
    """What Redis holds for some statuses, read in one consistent snapshot.

    Attributes:
        shards: Per status, the sum of its shards (not flushed yet).
        inflight: Per status, its part of the batch being flushed.
        inflight_id: The batch's flush id (None: no flush under way). If the database
            already has it, ``inflight`` is in the columns and must not be added again.
    """

    shards: dict[int, CounterDeltas] = field(default_factory=dict)
    inflight: dict[int, CounterDeltas] = field(default_factory=dict)
    inflight_id: str | None = None

    def total(self, *, inflight_applied: bool) -> dict[int, CounterDeltas]:
        """Return per status what the columns lack: shards, plus the batch if not applied."""
        out = dict(self.shards)
        if not inflight_applied:
            for sid, d in self.inflight.items():
                out[sid] = out[sid] + d if sid in out else d
        return out


@dataclass(frozen=True, slots=True)
class ShardValues:
    """One status's counters as Redis holds them, shard by shard, read at one instant.

    Attributes:
        shards: Per shard (index = shard number), what it holds for the status.
        inflight: The status's part of the batch being flushed.
        inflight_id: That batch's flush id (None: no flush under way).
    """

    shards: tuple[CounterDeltas, ...]
    inflight: CounterDeltas
    inflight_id: str | None


class RedisStatusCounters:
    """Sharded status counters in Redis, flushed into the database in batches.

    Implements `twitterdesign.reference_app.storage.counters.ViewCounterStore` (so the
    trends service's view flusher writes here in cluster mode) and takes the favourite,
    reblog and reply `CounterEvent` s a worker consumes from the database's counter
    outbox. See the module docstring for the layout and the flush protocol.

    Args:
        client_or_url: A ``redis://`` URL (the store owns its pool and closes it) or a
            `redis.Redis` client created with ``decode_responses=True`` (left open).
        prefix: Starts every key.
        shards: Shard hashes per deployment (every process must use the same number).
        dedupe_ttl_s: How long an applied event's marker is kept.
        rng: Picks the shard of each write.

    Raises:
        InvalidParameterError: A bad URL, an empty prefix, or a bad count.
        RedisUnavailableError: The server does not answer (at construction or later).

    Examples:
        >>> import uuid
        >>> counters = RedisStatusCounters(
        ...     "redis://127.0.0.1:6379/0", prefix=f"td_doctest:{uuid.uuid4().hex}:")
        >>> counters.add_views({7: 3})
        >>> counters.apply_events([CounterEvent("fav:1:+", 7, "favourites", 1)] * 2)
        1
        >>> counters.unflushed([7]).shards[7]
        CounterDeltas(favourites=1, reblogs=0, replies=0, views=3)
        >>> batch = counters.begin_flush("f1")  # then the database applies the batch
        >>> batch.deltas == {7: CounterDeltas(favourites=1, views=3)}, counters.end_flush("f1")
        (True, True)
        >>> counters.unflushed([7]).shards, counters.begin_flush("f2")
        ({}, None)
        >>> counters.close()
    """

    def __init__(
        self,
        client_or_url: str | redis.Redis,
        *,
        prefix: str = "td:",
        shards: int = 8,
        dedupe_ttl_s: int = 3600,
        rng: RngLike = None,
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise InvalidParameterError("prefix", prefix, "a non-empty string such as 'td:'")
        self.shards = check_int("shards", shards, minimum=1, maximum=1024)
        self.dedupe_ttl_s = check_int("dedupe_ttl_s", dedupe_ttl_s, minimum=1)
        self._rng = as_generator(rng)
        self._conn = RedisConnection(client_or_url)
        self.prefix = prefix
        base = f"{prefix}{{cnt}}"
        self._shard_keys = [f"{base}:s{i}" for i in range(self.shards)]
        self._inflight_key = f"{base}:inflight"
        self._done_prefix = f"{base}:done:"
        self._lease_key = f"{base}:flush-lease"
        client = self._conn.client
        self._apply = client.register_script(_APPLY)
        self._unflushed = client.register_script(_UNFLUSHED)
        self._begin = client.register_script(_BEGIN_FLUSH)
        self._end = client.register_script(_END_FLUSH)
        self._hold = client.register_script(_HOLD_LEASE)
        self._release = client.register_script(_RELEASE_LEASE)

    @property
    def url(self) -> str:
        """The server's URL, password masked."""
        return self._conn.url

    def _shard(self) -> str:
        return self._shard_keys[int(self._rng.integers(self.shards))]

    # --- writes ------------------------------------------------------------------------
    def add_views(self, counts: Mapping[int, int]) -> None:
        """Add a batch of views to one shard, atomically (``MULTI``); see `ViewCounterStore`."""
        items = [(int(sid), int(n)) for sid, n in counts.items() if int(n)]
        if not items:
            return
        shard = self._shard()
        with self._conn.errors():
            pipe = self._conn.client.pipeline(transaction=True)
            for sid, n in items:
                pipe.hincrby(shard, f"{sid}:v", n)
            pipe.execute()

    def apply_events(self, events: Sequence[CounterEvent]) -> int:
        """Add each event's delta to one shard unless its key was applied; return how many.

        One script, atomic: a batch is applied entirely or not at all, and an event
        delivered again (in this batch or a later one) is counted once.
        """
        if not events:
            return 0
        keys = [self._shard()]
        args: list[Any] = [self.dedupe_ttl_s]
        for e in events:
            keys.append(self._done_prefix + e.key)
            args += [f"{e.status_id}:{_CODES[e.field]}", e.delta]
        with self._conn.errors():
            return int(self._apply(keys=keys, args=args))

    # --- reads -------------------------------------------------------------------------
    def unflushed(self, status_ids: Iterable[int]) -> Unflushed:
        """Return what Redis holds for ``status_ids``, in one round trip (one script).

        Atomic like the ``MULTI`` it replaces: the shards and the in-flight batch are
        read at one instant, so a flush never shows half-moved.
        """
        ids = list(dict.fromkeys(int(i) for i in status_ids))
        if not ids:
            return Unflushed()
        with self._conn.errors():
            reply = self._unflushed(keys=[self._inflight_key, *self._shard_keys], args=ids)
        inflight_id, rest = reply[0], reply[1:]
        names = rest[0::3]
        return Unflushed(
            shards=_deltas(zip(names, rest[1::3], strict=True)),
            inflight=_deltas(zip(names, rest[2::3], strict=True)),
            inflight_id=inflight_id or None,
        )

    def shard_values(self, status_id: int) -> ShardValues:
        """Return what each shard and the in-flight batch hold for one status.

        For inspection (the teaching endpoint shows the shards one by one); rendering
        uses `unflushed`, which sums on the server. One ``MULTI``: every shard and the
        batch are read at one instant.

        Examples:
            >>> import uuid
            >>> counters = RedisStatusCounters(
            ...     "redis://127.0.0.1:6379/0", prefix=f"td_doctest:{uuid.uuid4().hex}:",
            ...     shards=2, rng=1)
            >>> counters.add_views({7: 3})
            >>> got = counters.shard_values(7)
            >>> sum(s.views for s in got.shards), len(got.shards), got.inflight_id
            (3, 2, None)
            >>> counters.begin_flush("f1").flush_id, counters.shard_values(7).inflight.views
            ('f1', 3)
            >>> counters.close()
        """
        sid = check_int("status_id", status_id, minimum=0)
        fields = [f"{sid}:{letter}" for letter in _LETTERS]
        with self._conn.errors():
            pipe = self._conn.client.pipeline(transaction=True)
            for key in self._shard_keys:
                pipe.hmget(key, fields)
            pipe.hmget(self._inflight_key, ["_id", *fields])
            replies = pipe.execute()
        *shards, batch = replies

        def deltas(values: Sequence[Any]) -> CounterDeltas:
            return CounterDeltas(*(int(v) if v is not None else 0 for v in values))

        return ShardValues(
            shards=tuple(deltas(v) for v in shards),
            inflight=deltas(batch[1:]),
            inflight_id=batch[0] or None,
        )

    # --- the flush ---------------------------------------------------------------------
    def hold_flush_lease(self, holder: str, *, ttl_ms: int) -> bool:
        """Take or renew the flush lease for ``holder``; False while another holds it."""
        check_int("ttl_ms", ttl_ms, minimum=1)
        with self._conn.errors():
            return bool(self._hold(keys=[self._lease_key], args=[holder, ttl_ms]))

    def release_flush_lease(self, holder: str) -> None:
        """Give the flush lease up if ``holder`` holds it."""
        with self._conn.errors():
            self._release(keys=[self._lease_key], args=[holder])

    def begin_flush(self, flush_id: str) -> InFlightFlush | None:
        """Move every shard into a batch named ``flush_id``, or return the pending batch.

        A batch a crashed flusher left behind is returned under *its* id (the caller
        applies it, which the database ignores if it has that id already, and ends it),
        so at most one batch is ever in flight. None: nothing to flush.
        """
        with self._conn.errors():
            flat = self._begin(keys=[self._inflight_key, *self._shard_keys], args=[flush_id])
        if not flat:
            return None
        pairs = list(zip(flat[::2], flat[1::2], strict=True))
        found = dict(pairs)
        return InFlightFlush(flush_id=str(found.get("_id", flush_id)), deltas=_deltas(pairs))

    def end_flush(self, flush_id: str) -> bool:
        """Delete the in-flight batch if it is still ``flush_id``'s; return whether it was."""
        with self._conn.errors():
            return bool(self._end(keys=[self._inflight_key], args=[flush_id]))

    def _check(self) -> None:
        """Assert the layout's invariants (for tests): well-formed, non-zero shard fields,
        and an in-flight batch, if any, that carries its flush id and no zero sums."""
        client = self._conn.client  # decode_responses=True: str keys and values
        for key in self._shard_keys:
            shard: dict[str, str] = client.hgetall(key)  # type: ignore[assignment]
            for name, value in shard.items():
                sid, _, letter = name.partition(":")
                assert sid.isdigit(), (key, name)
                assert letter in _LETTERS, (key, name)
                assert int(value) != 0, (key, name)  # a sum back at 0 is removed
        batch: dict[str, str] = client.hgetall(self._inflight_key)  # type: ignore[assignment]
        if batch:
            assert batch.get("_id"), "an in-flight batch without its flush id"
            assert all(int(v) != 0 for k, v in batch.items() if k != "_id"), batch

    def close(self) -> None:
        """Close the connection pool if the store opened it from a URL."""
        self._conn.close()
