"""Action replay: the read-heavy mix of posts, replies, likes, retweets, views and reads."""

from __future__ import annotations

import numpy as np

from twitterdesign.loadgen._config import ACTION_MIX, DemoConfig
from twitterdesign.loadgen._population import Population
from twitterdesign.loadgen._session import Job, Session

__all__ = ["Replay"]

_TAGS = (
    "systemdesign", "python", "databases", "caching", "kafka", "sharding", "latency",
    "loadbalancing", "snowflake", "fanout", "topk", "cdn", "replication", "consistency",
    "availability", "monitoring", "pubsub", "blobstore", "search", "timelines",
)  # fmt: skip
_WORDS = (
    "design", "twitter", "tweet", "server", "storage", "bandwidth", "follower", "timeline",
    "celebrity", "counter", "trend", "cache", "queue", "region", "request", "estimate",
    "balancer", "graph", "hashtag", "video", "image", "user", "scale", "peak",
)  # fmt: skip
# Zipf-like tag popularity, so a few tags clearly trend.
_TAG_WEIGHTS = 1.0 / np.arange(1, len(_TAGS) + 1) ** 1.2
_TAG_WEIGHTS /= _TAG_WEIGHTS.sum()
# Actions on an existing status; they become posts while there is none yet.
_NEEDS_TARGET = frozenset({"reply", "like", "retweet", "view"})


class Replay:
    """Draws `ACTION_MIX` actions and sends each through the API as a random account.

    Args:
        cfg: The workload (request count, population sizes).
        population: The registered accounts.
        rng: The demo's random generator (shared with the other phases).

    Attributes:
        public: ``(status id, author index)`` of every public status posted so far.
    """

    def __init__(self, cfg: DemoConfig, population: Population, rng: np.random.Generator) -> None:
        self.cfg = cfg
        self.population = population
        self.rng = rng
        self.public: list[tuple[str, int]] = []

    async def run(self, session: Session) -> None:
        """Send ``cfg.requests`` actions, ``cfg.concurrency`` at a time."""
        names = [a for a, _ in ACTION_MIX]
        shares = np.asarray([w for _, w in ACTION_MIX])
        plan = self.rng.choice(names, size=self.cfg.requests, p=shares / shares.sum()).tolist()

        def job(kind: str) -> Job:
            async def run() -> None:
                await self.act(session, kind)

            return run

        await session.run_all([job(k) for k in plan], "replaying workload")

    # --- what to send ----------------------------------------------------------------
    def text(self) -> str:
        """A status text: a few lesson words and zero to two Zipf-popular hashtags."""
        words = self.rng.choice(_WORDS, size=int(self.rng.integers(4, 9))).tolist()
        k = int(self.rng.choice([0, 1, 1, 2]))
        tags = self.rng.choice(_TAGS, size=k, replace=False, p=_TAG_WEIGHTS).tolist()
        return " ".join(words) + "".join(f" #{t}" for t in tags)

    def author(self) -> int:
        """A posting account; celebrities post more than ordinary users, as on Twitter."""
        n, ordinary = self.population.n_users, self.population.ordinary
        if self.rng.random() < 0.1:
            return int(self.rng.integers(ordinary, n)) if n > ordinary else 0
        return int(self.rng.integers(0, ordinary))

    def popular_status(self) -> str | None:
        """A public status, drawn in proportion to its author's followers (plus one)."""
        if not self.public:
            return None
        followers = self.population.followers
        weights = np.asarray([len(followers[a]) + 1.0 for _, a in self.public])
        i = int(self.rng.choice(len(self.public), p=weights / weights.sum()))
        return self.public[i][0]

    # --- sending it ------------------------------------------------------------------
    async def act(self, session: Session, kind: str) -> None:
        """Send one action of ``kind`` (a name from `ACTION_MIX`) as a random account."""
        user = int(self.rng.integers(0, self.population.n_users))
        target = self.popular_status()
        if target is None and kind in _NEEDS_TARGET:
            kind = "post"
        if kind == "post":
            await self._post(session)
        elif kind == "reply" and target is not None:
            await self._reply(session, user, target)
        elif kind in _NEEDS_TARGET and target is not None:
            await self._on_status(session, kind, user, target)
        elif kind == "home":
            self.population.active.add(user)
            await session.call(
                "GET /api/v1/timelines/home", "GET", "/api/v1/timelines/home", user=user
            )
        else:
            q = str(self.rng.choice(_WORDS))
            await session.call(
                "GET /api/v2/search", "GET", "/api/v2/search",
                params={"q": q, "type": "statuses"}, user=user,
            )  # fmt: skip

    async def _post(self, session: Session) -> None:
        author = self.author()
        private = self.rng.random() < 0.1
        reply = await session.call(
            "POST /api/v1/statuses",
            "POST",
            "/api/v1/statuses",
            user=author,
            data={"status": self.text(), "visibility": "private" if private else "public"},
        )
        if reply.is_success and not private:
            self.public.append((reply.json()["id"], author))

    async def _reply(self, session: Session, user: int, target: str) -> None:
        await session.call(
            "POST /api/v1/statuses (reply)",
            "POST",
            "/api/v1/statuses",
            user=user,
            data={"status": self.text(), "in_reply_to_id": target},
        )

    async def _on_status(self, session: Session, kind: str, user: int, target: str) -> None:
        """Like, retweet or view ``target``."""
        if kind == "view":
            await session.call(
                "GET /api/v1/statuses/:id", "GET", f"/api/v1/statuses/{target}", user=user
            )
            return
        action = "favourite" if kind == "like" else "reblog"
        await session.call(
            f"POST /api/v1/statuses/:id/{action}",
            "POST",
            f"/api/v1/statuses/{target}/{action}",
            user=user,
        )
