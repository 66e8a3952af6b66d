"""Population setup: the follower graph, registering its accounts, following, warming up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twitterdesign.errors import TwitterDesignError
from twitterdesign.loadgen._config import DEMO_PASSWORD, DemoConfig
from twitterdesign.loadgen._session import Job, Session

__all__ = ["Population", "follow_edges", "register_accounts", "warm_up"]

_SCOPES = "read write follow"


@dataclass(slots=True)
class Population:
    """The synthetic accounts: a power-law graph of ordinary users plus celebrities.

    Accounts are numbered ``0 .. n_users - 1``: ordinary users first, then celebrities.

    Attributes:
        ordinary: Ordinary users (celebrities come after them).
        graph: The follower graph (a ``twitterdesign.timeline.FollowerGraph``).
        celebrity_follower_counts: Followers each celebrity was given.
        followers: Follower indices of each account.
        ids: Server-side account id of each account, once registered.
        active: Accounts that have read their home timeline (the fan-out pushes to them).
    """

    ordinary: int
    graph: Any
    celebrity_follower_counts: list[int]
    followers: list[list[int]]
    ids: list[str] = field(default_factory=list)
    active: set[int] = field(default_factory=set)

    @classmethod
    def generate(cls, cfg: DemoConfig) -> Population:
        """Draw the graph `cfg` describes (seeded by ``cfg.seed``).

        Examples:
            >>> pop = Population.generate(DemoConfig(users=20, mean_followees=2))
            >>> pop.n_users, pop.username(0), pop.username(20)
            (23, 'user00000', 'celebrity0')
        """
        from twitterdesign.timeline import add_celebrities, power_law_graph

        ordinary = cfg.users
        graph = power_law_graph(ordinary, mean_followees=cfg.mean_followees, rng=cfg.seed)
        counts = [round(f * ordinary) for f in cfg.celebrity_followers]
        graph = add_celebrities(graph, counts, rng=cfg.seed + 1)
        followers = [graph.followers_of(u).tolist() for u in range(graph.n_users)]
        return cls(ordinary, graph, counts, followers)

    @property
    def n_users(self) -> int:
        """Accounts in the population, celebrities included."""
        return int(self.graph.n_users)

    def username(self, i: int) -> str:
        """The username of account ``i``."""
        return f"user{i:05d}" if i < self.ordinary else f"celebrity{i - self.ordinary}"

    def celebrities(self) -> list[dict[str, Any]]:
        """``{"username", "followers"}`` of each celebrity."""
        return [
            {
                "username": self.username(self.ordinary + i),
                "followers": int(self.graph.follower_count(self.ordinary + i)),
            }
            for i in range(len(self.celebrity_follower_counts))
        ]


async def _app_token(session: Session) -> str:
    """Register the demo's OAuth app and return an app-only token (to create accounts)."""
    app = await session.client.post(
        "/api/v1/apps", data={"client_name": "twitterdesign demo", "scopes": _SCOPES}
    )
    if not app.is_success:
        raise TwitterDesignError(f"could not register the demo app: {app.text[:200]}")
    creds = app.json()
    tok = await session.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scope": _SCOPES,
        },
    )
    token: str = tok.json()["access_token"]
    return token


async def register_accounts(session: Session, population: Population) -> None:
    """Create every account through the API; fill ``session.tokens`` and ``population.ids``.

    Raises:
        TwitterDesignError: If the server refuses the app or a registration.
    """
    app_token = await _app_token(session)
    n = population.n_users
    session.tokens = [""] * n
    population.ids = [""] * n

    def job(i: int) -> Job:
        name = population.username(i)

        async def run() -> None:
            reply = await session.call(
                "POST /api/v1/accounts",
                "POST",
                "/api/v1/accounts",
                headers={"Authorization": f"Bearer {app_token}"},
                record=False,
                data={
                    "username": name,
                    "email": f"{name}@demo.invalid",
                    "password": DEMO_PASSWORD,
                    "agreement": "true",
                },
            )
            if not reply.is_success:
                raise TwitterDesignError(f"registration failed: {reply.text[:200]}")
            session.tokens[i] = reply.json()["access_token"]
            me = await session.call(
                "GET /api/v1/accounts/verify_credentials",
                "GET",
                "/api/v1/accounts/verify_credentials",
                user=i,
                record=False,
            )
            population.ids[i] = me.json()["id"]

        return run

    await session.run_all([job(i) for i in range(n)], "registering users")


async def follow_edges(session: Session, population: Population) -> None:
    """Create every edge of the graph through ``POST /api/v1/accounts/:id/follow``."""
    src, dst = population.graph.to_edges()

    def job(a: int, b: int) -> Job:
        async def run() -> None:
            await session.call(
                "POST /api/v1/accounts/:id/follow",
                "POST",
                f"/api/v1/accounts/{population.ids[b]}/follow",
                user=a,
                record=False,
            )

        return run

    edges = zip(src.tolist(), dst.tolist(), strict=True)
    await session.run_all([job(a, b) for a, b in edges], "following")


async def warm_up(session: Session, population: Population, rng: np.random.Generator) -> None:
    """Half the users read their home timeline once: they become "active" followers."""
    n = population.n_users
    readers = rng.choice(n, size=n // 2, replace=False).tolist()
    population.active = set(readers)

    def job(u: int) -> Job:
        async def run() -> None:
            await session.call(
                "GET /api/v1/timelines/home", "GET", "/api/v1/timelines/home",
                user=u, record=False,
            )  # fmt: skip

        return run

    await session.run_all([job(u) for u in readers], "warming caches")
