"""Bulk loading: a whole history (accounts, follow graph, statuses) into an empty store.

Benchmarks and demos need databases of a million statuses; posting them one by one
through ``create_status`` takes hours. `synthetic_history` builds a history in memory
(numpy arrays plus the status texts) and `bulk_load` writes it in one transaction per
engine — PostgreSQL with ``COPY ... FROM STDIN``, SQLite with ``executemany`` — with every
derived column computed up front, so the store is exactly what the same posts and
follows made one at a time would have left behind:

- ``followers_count``, ``following_count``, ``statuses_count`` and ``last_status_at`` of
  every account equal the rows they count;
- every account has a login (a ``users`` row; the password hash given, by default one
  that matches no password: log in with tokens added through `AuthStore.add_token`);
- every status has its hashtag rows, and its search entry (PostgreSQL's generated
  ``tsvector``, SQLite's FTS5 row via the insert trigger);
- the outbox (fan-out log) receives **nothing**: a loaded history is the past, not new
  posts to push. Home timelines are rebuilt from storage on each user's first read.

Ids are Snowflake ids (`twitterdesign.ids`) of worker ``BULK_WORKER_ID``, in time order:
accounts first, then follow edges, then the statuses spread over ``span_ms`` before
``end_ms``; an app started afterwards seeds its generator above the largest id.

Examples:
    >>> import tempfile, pathlib
    >>> from twitterdesign.timeline import power_law_graph
    >>> from twitterdesign.reference_app.storage import Page, SQLiteStore
    >>> store = SQLiteStore(pathlib.Path(tempfile.mkdtemp()) / "db.sqlite3")
    >>> history = synthetic_history(power_law_graph(100, mean_followees=5, rng=1), 1_000, rng=2)
    >>> report = bulk_load(store, history)
    >>> report.accounts, report.statuses, store.count_statuses()
    (100, 1000, 1000)
    >>> ada = store.get_accounts([int(history.account_ids[0])])[int(history.account_ids[0])]
    >>> ada.followers_count == len(store.follower_ids(ada.id))
    True
    >>> store.event_head()  # nothing to fan out
    0
    >>> store.close()
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError
from twitterdesign.ids import DEFAULT_EPOCH_MS, MAX_SEQUENCE, MAX_TIMESTAMP_MS, MAX_WORKER_ID
from twitterdesign.timeline import FollowerGraph

__all__ = [
    "BULK_WORKER_ID",
    "DEFAULT_HASHTAGS",
    "NO_PASSWORD_HASH",
    "BulkHistory",
    "BulkLoadReport",
    "BulkLoader",
    "bulk_load",
    "synthetic_history",
]

BULK_WORKER_ID = MAX_WORKER_ID
"""Snowflake worker id of every loaded id (1023; app processes count up from 0)."""

NO_PASSWORD_HASH = "!bulk-loaded"
"""The default password hash of loaded accounts: not a hash, so no password matches it."""

DEFAULT_HASHTAGS: tuple[str, ...] = (
    "systemdesign",
    "twitter",
    "scaling",
    "caching",
    "redis",
    "postgres",
    "fanout",
    "timelines",
    "snowflake",
    "sharding",
    "loadbalancing",
    "topk",
    "python",
    "databases",
    "latency",
    "throughput",
)
"""Hashtags `synthetic_history` draws from (the first is the most frequent)."""

_SEQ_SPAN = MAX_SEQUENCE + 1  # ids per millisecond for one worker
_WORKER_SHIFT = 12
_TIMESTAMP_SHIFT = 22
_TAG = re.compile(r"[a-z0-9_]{1,100}")
_DAY_MS = 86_400_000

IdArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class BulkHistory:
    """A history for `bulk_load`: accounts ``0 .. n-1`` (by index), their graph, statuses.

    Build one with `synthetic_history`. Arrays are indexed by account *index*; the stored
    ids are ``account_ids[index]``.

    Attributes:
        graph: Who follows whom, by account index.
        account_ids: Snowflake id of each account, increasing.
        account_created_ms: Creation time of each account (Unix ms).
        usernames: Username of each account (unique, case-insensitively).
        follow_ids: Snowflake id of each edge, in the order of ``graph.to_edges()``.
        follow_created_ms: Creation time of each edge.
        status_ids: Snowflake id of each status, increasing.
        status_authors: Author (account index) of each status.
        status_created_ms: Creation time of each status, non-decreasing.
        status_texts: Text of each status.
        status_tags: Lower-cased hashtags of each status (what the app would extract).
    """

    graph: FollowerGraph
    account_ids: IdArray
    account_created_ms: IdArray
    usernames: tuple[str, ...]
    follow_ids: IdArray
    follow_created_ms: IdArray
    status_ids: IdArray
    status_authors: npt.NDArray[np.int32]
    status_created_ms: IdArray
    status_texts: tuple[str, ...]
    status_tags: tuple[tuple[str, ...], ...]

    @property
    def n_accounts(self) -> int:
        """Number of accounts."""
        return self.graph.n_users

    @property
    def n_statuses(self) -> int:
        """Number of statuses."""
        return int(self.status_ids.size)

    def statuses_counts(self) -> npt.NDArray[np.int64]:
        """Return each account's number of statuses (its ``statuses_count``)."""
        return np.bincount(self.status_authors, minlength=self.n_accounts).astype(np.int64)

    def _check(self) -> None:
        """Assert every invariant `bulk_load` relies on (for tests)."""
        n, m, e = self.n_accounts, self.n_statuses, self.graph.n_edges
        assert self.account_ids.shape == self.account_created_ms.shape == (n,)
        assert len(self.usernames) == n
        assert len({u.lower() for u in self.usernames}) == n, "usernames collide"
        assert self.follow_ids.shape == self.follow_created_ms.shape == (e,)
        assert self.status_authors.shape == self.status_created_ms.shape == (m,)
        assert len(self.status_texts) == len(self.status_tags) == m
        for ids in (self.account_ids, self.follow_ids, self.status_ids):
            assert (np.diff(ids) > 0).all(), "ids are not increasing"
        assert (np.diff(self.status_created_ms) >= 0).all(), "statuses out of time order"
        if m:
            assert 0 <= int(self.status_authors.min()) <= int(self.status_authors.max()) < n
        if n and e:
            assert int(self.account_ids.max()) < int(self.follow_ids.min())
        if e and m:
            assert int(self.follow_ids.max()) < int(self.status_ids.min())
        for text, tags in zip(self.status_texts, self.status_tags, strict=True):
            assert all(f"#{t}" in text for t in tags), text

    def last_status_ms(self) -> IdArray:
        """Return each account's newest status time, -1 for an account without any."""
        last = np.full(self.n_accounts, -1, dtype=np.int64)
        np.maximum.at(last, self.status_authors, self.status_created_ms)
        return last


@dataclass(frozen=True, slots=True)
class BulkLoadReport:
    """What `bulk_load` wrote, and how long it took.

    Attributes:
        accounts: Account rows (each with its login row).
        follows: Follow edges.
        statuses: Statuses.
        status_tags: Hashtag rows.
        seconds: Wall time of the load, the engine's statistics refresh included.
    """

    accounts: int
    follows: int
    statuses: int
    status_tags: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return asdict(self)


@runtime_checkable
class BulkLoader(Protocol):
    """A store engine that can load a `BulkHistory` (SQLite and PostgreSQL can)."""

    def bulk_load(
        self, history: BulkHistory, *, password_hash: str = NO_PASSWORD_HASH
    ) -> BulkLoadReport:
        """Write ``history`` into this (empty) store in one transaction."""


def _snowflakes(ms: IdArray, epoch_ms: int) -> IdArray:
    """Ids of worker `BULK_WORKER_ID` for non-decreasing times ``ms`` (a sequence per ms).

    Raises:
        InvalidParameterError: More than 4096 times fall in one millisecond.
    """
    if ms.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ms[1:] != ms[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, ms.size]))
    seq = np.arange(ms.size, dtype=np.int64) - run_start
    if int(seq.max()) > MAX_SEQUENCE:
        raise InvalidParameterError(
            "span_ms", "<too short>", f"a span with at most {_SEQ_SPAN} statuses per millisecond"
        )
    return ((ms - epoch_ms) << _TIMESTAMP_SHIFT) | (BULK_WORKER_ID << _WORKER_SHIFT) | seq


def _block_ms(first_ms: int, count: int) -> IdArray:
    """Times for ``count`` ids packed 4096 per millisecond from ``first_ms``."""
    return first_ms + np.arange(count, dtype=np.int64) // _SEQ_SPAN


def _check_hashtags(hashtags: Sequence[str]) -> tuple[str, ...]:
    if isinstance(hashtags, str) or not isinstance(hashtags, Sequence) or not hashtags:
        raise InvalidParameterError("hashtags", hashtags, "a non-empty sequence of hashtags")
    tags = tuple(hashtags)
    for tag in tags:
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise InvalidParameterError(
                "hashtags", tag, "lower-case hashtags of 1-100 characters [a-z0-9_], no '#'"
            )
    if len(set(tags)) != len(tags):
        raise InvalidParameterError("hashtags", tags, "distinct hashtags")
    return tags


def synthetic_history(
    graph: FollowerGraph,
    n_statuses: int,
    *,
    end_ms: int | None = None,
    span_ms: int = 30 * _DAY_MS,
    hashtags: Sequence[str] = DEFAULT_HASHTAGS,
    username_prefix: str = "user",
    rng: RngLike = None,
) -> BulkHistory:
    """Build a history: one account per user of ``graph`` and ``n_statuses`` statuses.

    Authors are drawn uniformly among the accounts; times uniformly over the ``span_ms``
    before ``end_ms``, and ids follow the times. Each text names its author and carries
    one or two hashtags from ``hashtags`` (Zipf-like: the first is the most frequent),
    e.g. ``"status 7 by user3 about #systemdesign and #redis"``; ``status_tags`` holds
    exactly the tags the app would extract from it.

    Args:
        graph: The follower graph (e.g. `twitterdesign.timeline.power_law_graph`, or
            `FollowerGraph.from_edges` for an edge list); user ``i`` becomes account ``i``.
        n_statuses: Statuses to generate, 0 to 100,000,000.
        end_ms: Time of the newest possible status (Unix ms); now when None.
        span_ms: How far back the statuses go (at least 1 ms); accounts and follows are
            created just before.
        hashtags: Lower-case hashtags (without ``#``) the texts use.
        username_prefix: Usernames are the prefix plus the account index.
        rng: Seed or Generator (authors, times, tags).

    Returns:
        The history, ready for `bulk_load`.

    Raises:
        InvalidParameterError: ``graph`` is not a `FollowerGraph`; ``n_statuses``,
            ``end_ms``, ``span_ms``, ``hashtags`` or ``username_prefix`` is out of range;
            or more than 4096 statuses fall in one millisecond (make ``span_ms`` longer).

    Examples:
        >>> from twitterdesign.timeline import FollowerGraph
        >>> g = FollowerGraph.from_edges([1, 2], [0, 0])  # users 1 and 2 follow user 0
        >>> h = synthetic_history(g, 3, end_ms=1_700_000_000_000, rng=1)
        >>> h.n_accounts, h.n_statuses, h.usernames
        (3, 3, ('user0', 'user1', 'user2'))
        >>> bool((h.status_ids[1:] > h.status_ids[:-1]).all())  # time-ordered ids
        True
        >>> all(f"#{tag}" in text for text, tags in zip(h.status_texts, h.status_tags)
        ...     for tag in tags)
        True
    """
    if not isinstance(graph, FollowerGraph):
        raise InvalidParameterError("graph", type(graph).__name__, "a FollowerGraph")
    n_users = check_int("graph.n_users", graph.n_users, minimum=1)
    m = check_int("n_statuses", n_statuses, minimum=0, maximum=100_000_000)
    span = check_int("span_ms", span_ms, minimum=1)
    lowest = DEFAULT_EPOCH_MS + span + 2 * _DAY_MS
    end = check_int(
        "end_ms",
        int(time.time() * 1000) if end_ms is None else end_ms,
        minimum=lowest,
        maximum=DEFAULT_EPOCH_MS + MAX_TIMESTAMP_MS,
    )
    tags = _check_hashtags(hashtags)
    if not isinstance(username_prefix, str) or not re.fullmatch(
        r"[A-Za-z_][A-Za-z0-9_]{0,19}", username_prefix
    ):
        raise InvalidParameterError(
            "username_prefix", username_prefix, "1-20 characters [A-Za-z0-9_], not a digit first"
        )
    gen = as_generator(rng)

    first_status_ms = end - span
    n_edges = graph.n_edges
    account_ms = _block_ms(first_status_ms - _DAY_MS, n_users)
    follow_ms = _block_ms(int(account_ms[-1]) + 1, n_edges)
    if n_edges and int(follow_ms[-1]) >= first_status_ms:
        raise InvalidParameterError(
            "graph", f"<{n_edges} edges>", "accounts and edges that fit in one day, 4096 per ms"
        )
    status_ms = np.sort(gen.integers(first_status_ms, end, size=m, endpoint=True))
    authors = gen.integers(0, n_users, size=m).astype(np.int32)
    weights = 1.0 / np.arange(1, len(tags) + 1)
    first = gen.choice(len(tags), size=m, p=weights / weights.sum())
    second = gen.choice(len(tags), size=m, p=weights / weights.sum())
    two = (gen.random(m) < 0.3) & (second != first)
    usernames = tuple(f"{username_prefix}{i}" for i in range(n_users))
    texts: list[str] = []
    tag_rows: list[tuple[str, ...]] = []
    for k, (a, t1, t2, both) in enumerate(
        zip(authors.tolist(), first.tolist(), second.tolist(), two.tolist(), strict=True)
    ):
        if both:
            texts.append(f"status {k} by {usernames[a]} about #{tags[t1]} and #{tags[t2]}")
            tag_rows.append((tags[t1], tags[t2]))
        else:
            texts.append(f"status {k} by {usernames[a]} about #{tags[t1]}")
            tag_rows.append((tags[t1],))
    return BulkHistory(
        graph=graph,
        account_ids=_snowflakes(account_ms, DEFAULT_EPOCH_MS),
        account_created_ms=account_ms,
        usernames=usernames,
        follow_ids=_snowflakes(follow_ms, DEFAULT_EPOCH_MS),
        follow_created_ms=follow_ms,
        status_ids=_snowflakes(status_ms, DEFAULT_EPOCH_MS),
        status_authors=authors,
        status_created_ms=status_ms,
        status_texts=tuple(texts),
        status_tags=tuple(tag_rows),
    )


def bulk_load(
    store: object, history: BulkHistory, *, password_hash: str = NO_PASSWORD_HASH
) -> BulkLoadReport:
    """Load ``history`` into an empty ``store`` in one transaction; see the module doc.

    Args:
        store: A `SQLiteStore` or `PostgresStore` (any `BulkLoader`) holding no account,
            follow or status yet.
        history: What to load (`synthetic_history`).
        password_hash: Stored as every loaded account's password hash; the default
            matches no password.

    Returns:
        Row counts and the wall time.

    Raises:
        InvalidParameterError: ``store`` cannot bulk load or is not empty, ``history``
            is not a `BulkHistory`, or ``password_hash`` is not a non-empty string.
    """
    if not isinstance(store, BulkLoader):
        raise InvalidParameterError(
            "store", type(store).__name__, "a store engine with bulk_load (SQLite, PostgreSQL)"
        )
    return store.bulk_load(history, password_hash=password_hash)


# --- shared by the engines --------------------------------------------------------------
BULK_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "accounts",
        (
            "id",
            "username",
            "created_at",
            "followers_count",
            "following_count",
            "statuses_count",
            "last_status_at",
        ),
    ),
    ("users", ("account_id", "email", "password_hash")),
    ("follows", ("follower_id", "followee_id", "id", "created_at")),
    ("statuses", ("id", "account_id", "text", "visibility", "created_at")),
    ("status_tags", ("status_id", "tag")),
)
"""The tables a load writes, in order (parents first), and the columns it fills."""


def history_rows(history: BulkHistory, password_hash: str) -> dict[str, Iterator[tuple[Any, ...]]]:
    """Return the rows of each table in `BULK_TABLES`, as lazy iterators of tuples."""
    ids = history.account_ids.tolist()
    counts = history.statuses_counts().tolist()
    last = history.last_status_ms().tolist()
    followers = history.graph.follower_counts.tolist()
    following = history.graph.followee_counts.tolist()
    src, dst = history.graph.to_edges()
    status_ids = history.status_ids.tolist()
    authors = history.account_ids[history.status_authors].tolist()

    def accounts() -> Iterator[tuple[Any, ...]]:
        for i, aid in enumerate(ids):
            yield (
                aid,
                history.usernames[i],
                int(history.account_created_ms[i]),
                followers[i],
                following[i],
                counts[i],
                last[i] if last[i] >= 0 else None,
            )

    def users() -> Iterator[tuple[Any, ...]]:
        for aid, name in zip(ids, history.usernames, strict=True):
            yield (aid, f"{name}@bulk.invalid", password_hash)

    def follows() -> Iterator[tuple[Any, ...]]:
        yield from zip(
            history.account_ids[src].tolist(),
            history.account_ids[dst].tolist(),
            history.follow_ids.tolist(),
            history.follow_created_ms.tolist(),
            strict=True,
        )

    def statuses() -> Iterator[tuple[Any, ...]]:
        created = history.status_created_ms.tolist()
        for k, sid in enumerate(status_ids):
            yield (sid, authors[k], history.status_texts[k], "public", created[k])

    def status_tags() -> Iterator[tuple[Any, ...]]:
        for sid, tags in zip(status_ids, history.status_tags, strict=True):
            for tag in tags:
                yield (sid, tag)

    return {
        "accounts": accounts(),
        "users": users(),
        "follows": follows(),
        "statuses": statuses(),
        "status_tags": status_tags(),
    }


def check_bulk_args(history: object, password_hash: object) -> BulkHistory:
    """Validate `bulk_load`'s arguments (shared by the engines); return the history."""
    if not isinstance(history, BulkHistory):
        raise InvalidParameterError("history", type(history).__name__, "a BulkHistory")
    if not isinstance(password_hash, str) or not password_hash or "\x00" in password_hash:
        raise InvalidParameterError("password_hash", password_hash, "a non-empty string")
    return history


def not_empty_error(what: str) -> InvalidParameterError:
    """The error of a load into a store that already holds rows."""
    return InvalidParameterError("store", f"<holds {what}>", "an empty store (no accounts yet)")
