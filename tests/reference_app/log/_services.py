"""The real services the log tests run against, and a small social graph to fan out.

Redis is the one of `tests.reference_app.storage._redis` (``TWITTERDESIGN_TEST_REDIS_URL``),
PostgreSQL the one of `tests.reference_app.storage_pg._postgres`; both skip the calling
test with the reason and the URL when their server cannot be reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.reference_app.storage._factories import add_users, status
from tests.reference_app.storage._redis import REDIS_URL, delete_prefix, new_prefix, require_redis
from twitterdesign.reference_app.storage import Store

__all__ = ["REDIS_URL", "Graph", "delete_prefix", "new_prefix", "populate", "require_redis"]


@dataclass
class Graph:
    """Who follows whom and who posted what, with the timelines fan-out must produce.

    Attributes:
        follows: author → followers.
        posts: author → status ids.
        active: Followers marked active before fan-out (the others must get nothing).
        threshold: Authors with more followers are celebrities (pulled, not pushed).
    """

    follows: dict[int, list[int]]
    posts: dict[int, list[int]] = field(default_factory=dict)
    active: set[int] = field(default_factory=set)
    threshold: int = 25

    def expected(self) -> dict[int, set[int]]:
        """Return every active follower's expected timeline (pushed authors only)."""
        out: dict[int, set[int]] = {u: set() for u in self.active}
        for author, followers in self.follows.items():
            if len(followers) > self.threshold:
                continue
            for f in followers:
                if f in self.active:
                    out[f].update(self.posts.get(author, []))
        return out

    def deliveries(self) -> set[tuple[int, int]]:
        """Return every (status, follower) pair fan-out must deliver."""
        return {(s, f) for f, ids in self.expected().items() for s in ids}


def populate(store: Store, *, posts_per_author: int = 5) -> Graph:
    """Create three small authors, one celebrity, 30 followers (20 active), and posts.

    Follows are logged before the posts, so the outbox holds the drops first.
    """
    small = {a: list(range(10, 30)) for a in (1, 2, 3)}
    celebrity = {4: list(range(10, 40))}
    graph = Graph(follows=small | celebrity, active=set(range(10, 30)))
    add_users(store, *range(1, 5), *range(10, 40))
    edge = 1
    for author, followers in graph.follows.items():
        for f in followers:
            store.follow(f, author, edge, edge)
            edge += 1
    sid = 10_000
    for i in range(posts_per_author):
        for author in graph.follows:
            store.create_status(status(sid, author, f"post {i}"))
            graph.posts.setdefault(author, []).append(sid)
            sid += 1
    return graph
