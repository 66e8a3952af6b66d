"""The demo: a synthetic Twitter population replayed through the real HTTP API.

`run_demo` registers a population of accounts on a power-law follower graph from
`twitterdesign.timeline` (plus a few celebrities), then replays a workload against a
running server — posts with hashtags, replies, likes, retweets, views, home-timeline reads
and searches — and measures it from the client's side: requests per second, p50/p99
latency per endpoint, how long a post takes to reach an active follower's home timeline,
the server's fan-out counters, the top-k trends with their bounds, and what the same mix
would need at Twitter's scale (`twitterdesign.estimation.estimate`).

``twitterdesign demo`` starts a server on a free loopback port with a temporary data
directory and runs this against it.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twitterdesign._rng import as_generator
from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError, TwitterDesignError

__all__ = ["ACTION_MIX", "DEMO_PASSWORD", "DemoConfig", "DemoReport", "EndpointStats", "run_demo"]

ACTION_MIX: tuple[tuple[str, float], ...] = (
    ("post", 0.20),
    ("reply", 0.05),
    ("like", 0.15),
    ("retweet", 0.05),
    ("view", 0.20),
    ("home", 0.30),
    ("search", 0.05),
)
"""The replayed workload: each action and its share of the requests (read-heavy)."""

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
DEMO_PASSWORD = "demo password, not secret"
"""The password of every demo account (the demo server is for local experiments)."""


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """What the demo creates and replays.

    Attributes:
        users: Ordinary accounts on the power-law graph (the lesson's scale: ≥ 2,000).
        mean_followees: Mean accounts each ordinary user follows.
        celebrity_followers: One entry per celebrity: the fraction of ordinary users who
            follow it.
        requests: Requests in the replayed workload (setup requests not included).
        concurrency: Requests in flight at once.
        probes: Posts whose arrival in a follower's home timeline is timed.
        seed: Seed for the graph and the workload.

    Examples:
        >>> DemoConfig().users
        2000
        >>> DemoConfig(users=1)
        Traceback (most recent call last):
        ...
        twitterdesign.errors.InvalidParameterError: invalid users=1: expected an integer >= 10
    """

    users: int = 2000
    mean_followees: float = 8.0
    celebrity_followers: tuple[float, ...] = (0.75, 0.45, 0.3)
    requests: int = 5000
    concurrency: int = 16
    probes: int = 5
    seed: int = 7

    def __post_init__(self) -> None:
        check_int("users", self.users, minimum=10)
        check_number("mean_followees", self.mean_followees, minimum=0.5)
        if self.mean_followees > (self.users - 1) / 2:
            raise InvalidParameterError(
                "mean_followees", self.mean_followees, f"at most {(self.users - 1) / 2:g}"
            )
        for f in self.celebrity_followers:
            check_number("celebrity_followers", f, minimum=0.0, maximum=1.0)
        check_int("requests", self.requests, minimum=1)
        check_int("concurrency", self.concurrency, minimum=1, maximum=256)
        check_int("probes", self.probes, minimum=0, maximum=100)
        check_int("seed", self.seed, minimum=0)

    @property
    def fanout_threshold(self) -> int:
        """The server threshold the demo uses: half the users (a celebrity above it)."""
        return max(1, self.users // 2)


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Client-side measurements of one endpoint during the replay."""

    endpoint: str
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "endpoint": self.endpoint,
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
        }


@dataclass(frozen=True, slots=True)
class DemoReport:
    """Everything the demo measured.

    Attributes:
        users: Accounts registered (ordinary users plus celebrities).
        follows: Follow edges created.
        celebrities: ``{"username", "followers"}`` of each celebrity.
        fanout_threshold: Largest follower count the server still pushes to.
        setup_s: Seconds spent registering and following.
        replay_requests: Requests in the replay.
        replay_s: Seconds the replay took.
        requests_per_second: ``replay_requests / replay_s``.
        endpoints: Per-endpoint counts and latency quantiles, busiest first.
        fanout: The server's fan-out counters after the replay.
        delivery_delays_s: For each probe post, seconds until an active follower saw it
            in their home timeline (None if not within 10 s).
        trending_tags: Top hashtags with their bounds, from ``/lesson/v1/trends``.
        most_viewed: Most viewed tweets with their bounds and text.
        capacity: What the same mix needs at the lesson's scale (500M daily users), with
            this server's measured requests/s as the per-server capacity.
    """

    users: int
    follows: int
    celebrities: list[dict[str, Any]]
    fanout_threshold: int
    setup_s: float
    replay_requests: int
    replay_s: float
    requests_per_second: float
    endpoints: list[EndpointStats]
    fanout: dict[str, float]
    delivery_delays_s: list[float | None]
    trending_tags: list[dict[str, Any]]
    most_viewed: list[dict[str, Any]]
    capacity: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "users": self.users,
            "follows": self.follows,
            "celebrities": self.celebrities,
            "fanout_threshold": self.fanout_threshold,
            "setup_s": round(self.setup_s, 3),
            "replay_requests": self.replay_requests,
            "replay_s": round(self.replay_s, 3),
            "requests_per_second": round(self.requests_per_second, 1),
            "endpoints": [e.to_dict() for e in self.endpoints],
            "fanout": self.fanout,
            "delivery_delays_s": [
                None if d is None else round(d, 4) for d in self.delivery_delays_s
            ],
            "trending_tags": self.trending_tags,
            "most_viewed": self.most_viewed,
            "capacity": self.capacity,
        }


ProgressFn = Callable[[str, int, int], None]


class _Recorder:
    def __init__(self) -> None:
        self.latency_ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def add(self, endpoint: str, ms: float, ok: bool) -> None:
        self.latency_ms[endpoint].append(ms)
        if not ok:
            self.errors[endpoint] += 1

    def stats(self) -> list[EndpointStats]:
        out = []
        for name, values in self.latency_ms.items():
            arr = np.asarray(values)
            out.append(
                EndpointStats(
                    name,
                    len(values),
                    self.errors.get(name, 0),
                    float(np.percentile(arr, 50)),
                    float(np.percentile(arr, 99)),
                )
            )
        return sorted(out, key=lambda e: -e.requests)


def run_demo(
    base_url: str, config: DemoConfig | None = None, *, progress: ProgressFn | None = None
) -> DemoReport:
    """Populate a running server and replay the workload through its HTTP API.

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:8000``. Its rate limits must allow
            the load (the ``twitterdesign demo`` server turns them off).
        config: Population and workload; `DemoConfig` defaults when None.
        progress: Called as ``progress(phase, done, total)`` while the demo runs.

    Returns:
        The `DemoReport`.

    Raises:
        TwitterDesignError: If the server refuses the setup (e.g. registrations closed).
    """
    cfg = config or DemoConfig()
    return asyncio.run(_Demo(base_url, cfg, progress).run())


class _Demo:
    def __init__(self, base_url: str, cfg: DemoConfig, progress: ProgressFn | None) -> None:
        self.base = base_url.rstrip("/")
        self.cfg = cfg
        self.progress = progress or (lambda _p, _d, _t: None)
        self.rng = as_generator(cfg.seed)
        self.rec = _Recorder()
        self.tokens: list[str] = []
        self.ids: list[str] = []
        self.followers: list[list[int]] = []
        self.public: list[tuple[str, int]] = []  # (status id, author index)
        self.active: set[int] = set()

    # --- plumbing --------------------------------------------------------------------
    async def _call(
        self,
        client: Any,
        endpoint: str,
        method: str,
        url: str,
        *,
        user: int | None = None,
        record: bool = True,
        **kwargs: Any,
    ) -> Any:
        headers = kwargs.pop("headers", {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        start = time.perf_counter()
        reply = await client.request(method, url, headers=headers, **kwargs)
        if record:
            self.rec.add(endpoint, (time.perf_counter() - start) * 1000, reply.is_success)
        return reply

    async def _pool(self, jobs: list[Any], phase: str) -> None:
        total = len(jobs)
        done = 0
        queue: asyncio.Queue[Any] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker() -> None:
            nonlocal done
            while True:
                try:
                    job = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await job()
                done += 1
                if done % 25 == 0 or done == total:
                    self.progress(phase, done, total)

        await asyncio.gather(*(worker() for _ in range(self.cfg.concurrency)))

    # --- phases ----------------------------------------------------------------------
    async def run(self) -> DemoReport:
        import httpx

        from twitterdesign.timeline import add_celebrities, power_law_graph

        cfg = self.cfg
        ordinary = cfg.users
        graph = power_law_graph(ordinary, mean_followees=cfg.mean_followees, rng=cfg.seed)
        counts = [round(f * ordinary) for f in cfg.celebrity_followers]
        graph = add_celebrities(graph, counts, rng=cfg.seed + 1)
        n = graph.n_users
        self.followers = [graph.followers_of(u).tolist() for u in range(n)]
        limits = httpx.Limits(max_connections=cfg.concurrency + 4)
        async with httpx.AsyncClient(base_url=self.base, timeout=60.0, limits=limits) as client:
            setup_start = time.perf_counter()
            await self._register(client, n)
            followers_idx, followees_idx = graph.to_edges()
            await self._follow(client, followers_idx.tolist(), followees_idx.tolist())
            setup_s = time.perf_counter() - setup_start
            await self._warm_up(client, n)
            replay_start = time.perf_counter()
            await self._replay(client, n)
            replay_s = time.perf_counter() - replay_start
            replay_requests = sum(len(v) for v in self.rec.latency_ms.values())
            delays = await self._probes(client, n)
            await self._wait_idle(client)
            fanout = await self._fanout_metrics(client)
            tags, viewed = await self._trends(client)
        celebs = [
            {"username": f"celebrity{i}", "followers": int(graph.follower_count(ordinary + i))}
            for i in range(len(counts))
        ]
        rps = replay_requests / replay_s if replay_s > 0 else 0.0
        return DemoReport(
            users=n,
            follows=int(graph.n_edges),
            celebrities=celebs,
            fanout_threshold=cfg.fanout_threshold,
            setup_s=setup_s,
            replay_requests=replay_requests,
            replay_s=replay_s,
            requests_per_second=rps,
            endpoints=self.rec.stats(),
            fanout=fanout,
            delivery_delays_s=delays,
            trending_tags=tags,
            most_viewed=viewed,
            capacity=_capacity(rps),
        )

    async def _register(self, client: Any, n: int) -> None:
        app = await client.post(
            "/api/v1/apps",
            data={"client_name": "twitterdesign demo", "scopes": "read write follow"},
        )
        if not app.is_success:
            raise TwitterDesignError(f"could not register the demo app: {app.text[:200]}")
        creds = app.json()
        tok = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "scope": "read write follow",
            },
        )
        app_token = tok.json()["access_token"]
        self.tokens = [""] * n
        self.ids = [""] * n
        ordinary = self.cfg.users

        def job(i: int) -> Callable[[], Any]:
            name = f"user{i:05d}" if i < ordinary else f"celebrity{i - ordinary}"

            async def run() -> None:
                reply = await self._call(
                    client,
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
                self.tokens[i] = reply.json()["access_token"]
                me = await self._call(
                    client,
                    "GET /api/v1/accounts/verify_credentials",
                    "GET",
                    "/api/v1/accounts/verify_credentials",
                    user=i,
                    record=False,
                )
                self.ids[i] = me.json()["id"]

            return run

        await self._pool([job(i) for i in range(n)], "registering users")

    async def _follow(self, client: Any, src: list[int], dst: list[int]) -> None:
        def job(a: int, b: int) -> Callable[[], Any]:
            async def run() -> None:
                await self._call(
                    client,
                    "POST /api/v1/accounts/:id/follow",
                    "POST",
                    f"/api/v1/accounts/{self.ids[b]}/follow",
                    user=a,
                    record=False,
                )

            return run

        await self._pool([job(a, b) for a, b in zip(src, dst, strict=True)], "following")

    async def _warm_up(self, client: Any, n: int) -> None:
        # Half the users read their home timeline once: they become "active" followers.
        readers = self.rng.choice(n, size=n // 2, replace=False).tolist()
        self.active = set(readers)

        def job(u: int) -> Callable[[], Any]:
            async def run() -> None:
                await self._call(
                    client, "GET /api/v1/timelines/home", "GET", "/api/v1/timelines/home",
                    user=u, record=False,
                )  # fmt: skip

            return run

        await self._pool([job(u) for u in readers], "warming caches")

    def _text(self) -> str:
        words = self.rng.choice(_WORDS, size=int(self.rng.integers(4, 9))).tolist()
        k = int(self.rng.choice([0, 1, 1, 2]))
        # Zipf-like tag popularity, so a few tags clearly trend.
        weights = 1.0 / np.arange(1, len(_TAGS) + 1) ** 1.2
        tags = self.rng.choice(_TAGS, size=k, replace=False, p=weights / weights.sum()).tolist()
        return " ".join(words) + "".join(f" #{t}" for t in tags)

    def _author(self, n: int) -> int:
        # Celebrities post more than ordinary users, as on Twitter.
        if self.rng.random() < 0.1:
            return int(self.rng.integers(self.cfg.users, n)) if n > self.cfg.users else 0
        return int(self.rng.integers(0, self.cfg.users))

    def _popular_status(self) -> str | None:
        if not self.public:
            return None
        weights = np.asarray([len(self.followers[a]) + 1.0 for _, a in self.public])
        i = int(self.rng.choice(len(self.public), p=weights / weights.sum()))
        return self.public[i][0]

    async def _replay(self, client: Any, n: int) -> None:
        names = [a for a, _ in ACTION_MIX]
        shares = np.asarray([w for _, w in ACTION_MIX])
        plan = self.rng.choice(names, size=self.cfg.requests, p=shares / shares.sum()).tolist()

        def job(kind: str) -> Callable[[], Any]:
            async def run() -> None:
                await self._action(client, kind, n)

            return run

        await self._pool([job(k) for k in plan], "replaying workload")

    async def _action(self, client: Any, kind: str, n: int) -> None:
        user = int(self.rng.integers(0, n))
        target = self._popular_status()
        if kind in {"reply", "like", "retweet", "view"} and target is None:
            kind = "post"
        if kind == "post":
            author = self._author(n)
            private = self.rng.random() < 0.1
            reply = await self._call(
                client,
                "POST /api/v1/statuses",
                "POST",
                "/api/v1/statuses",
                user=author,
                data={"status": self._text(), "visibility": "private" if private else "public"},
            )
            if reply.is_success and not private:
                self.public.append((reply.json()["id"], author))
        elif kind == "reply":
            await self._call(
                client,
                "POST /api/v1/statuses (reply)",
                "POST",
                "/api/v1/statuses",
                user=user,
                data={"status": self._text(), "in_reply_to_id": target},
            )
        elif kind == "like":
            await self._call(
                client, "POST /api/v1/statuses/:id/favourite", "POST",
                f"/api/v1/statuses/{target}/favourite", user=user,
            )  # fmt: skip
        elif kind == "retweet":
            await self._call(
                client, "POST /api/v1/statuses/:id/reblog", "POST",
                f"/api/v1/statuses/{target}/reblog", user=user,
            )  # fmt: skip
        elif kind == "view":
            await self._call(
                client, "GET /api/v1/statuses/:id", "GET", f"/api/v1/statuses/{target}",
                user=user,
            )  # fmt: skip
        elif kind == "home":
            self.active.add(user)
            await self._call(
                client, "GET /api/v1/timelines/home", "GET", "/api/v1/timelines/home",
                user=user,
            )  # fmt: skip
        else:
            q = str(self.rng.choice(_WORDS))
            await self._call(
                client, "GET /api/v2/search", "GET", "/api/v2/search",
                params={"q": q, "type": "statuses"}, user=user,
            )  # fmt: skip

    async def _probes(self, client: Any, n: int) -> list[float | None]:
        """Time how long posts take to reach an active follower's home timeline."""
        out: list[float | None] = []
        threshold = self.cfg.fanout_threshold
        candidates = [
            a
            for a in range(self.cfg.users)
            if 0 < len(self.followers[a]) <= threshold
            and any(f in self.active for f in self.followers[a])
        ]
        for _ in range(min(self.cfg.probes, len(candidates))):
            author = int(self.rng.choice(candidates))
            reader = next(f for f in self.followers[author] if f in self.active)
            posted = await self._call(
                client, "POST /api/v1/statuses", "POST", "/api/v1/statuses",
                user=author, record=False, data={"status": "probe: does fan-out keep up?"},
            )  # fmt: skip
            sid = posted.json()["id"]
            start = time.perf_counter()
            seen: float | None = None
            while time.perf_counter() - start < 10.0:
                home = await self._call(
                    client, "GET /api/v1/timelines/home", "GET", "/api/v1/timelines/home",
                    user=reader, record=False, params={"limit": 40},
                )  # fmt: skip
                if any(s["id"] == sid for s in home.json()):
                    seen = time.perf_counter() - start
                    break
                await asyncio.sleep(0.02)
            out.append(seen)
        return out

    async def _wait_idle(self, client: Any) -> None:
        for _ in range(300):
            health = (await client.get("/healthz")).json()
            if health.get("fanout_queue_depth", 0) == 0:
                return
            await asyncio.sleep(0.1)

    async def _fanout_metrics(self, client: Any) -> dict[str, float]:
        from prometheus_client.parser import text_string_to_metric_families

        text = (await client.get("/metrics")).text
        wanted = {
            "twitterdesign_fanout_statuses_pushed": "statuses_pushed",
            "twitterdesign_fanout_statuses_pulled": "statuses_pulled",
            "twitterdesign_fanout_deliveries": "deliveries",
            "twitterdesign_timeline_caches": "active_caches",
            "twitterdesign_fanout_queue_depth": "queue_depth",
            "twitterdesign_sketch_bytes": "sketch_bytes",
        }
        out: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in wanted:
                    out[wanted[sample.name]] = float(sample.value)
        return out

    async def _trends(self, client: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        trends = (await client.get("/lesson/v1/trends", params={"k": 5})).json()
        viewed = []
        for entry in trends["most_viewed"]:
            status = (await client.get(f"/api/v1/statuses/{entry['status_id']}")).json()
            viewed.append({**entry, "author": status["account"]["username"]})
        return list(trends["tags"]), viewed


def _capacity(measured_rps: float) -> dict[str, Any]:
    """The demo's request mix at the lesson's scale, with our measured server speed."""
    from twitterdesign.estimation import Workload, estimate

    shares = dict(ACTION_MIX)
    requests_per_day = 20.0  # the lesson's requests per daily user
    writes = shares["post"] + shares["reply"] + shares["retweet"]
    viewed = shares["home"] * 20 + shares["view"] + shares["search"] * 20
    workload = Workload(
        500e6,
        requests_per_user_per_day=requests_per_day,
        tweets_per_user_per_day=requests_per_day * writes,
        tweets_viewed_per_user_per_day=requests_per_day * viewed,
        requests_per_server_per_second=max(measured_rps, 1.0),
    )
    report = estimate(workload)
    return {
        "daily_active_users": 500e6,
        "tweets_per_user_per_day": round(requests_per_day * writes, 2),
        "tweets_viewed_per_user_per_day": round(requests_per_day * viewed, 2),
        "requests_per_server_per_second": round(measured_rps, 1),
        "tweets_per_day": report.tweets_per_day,
        "requests_per_second": report.requests_per_second,
        "peak_requests_per_second": report.peak_requests_per_second,
        "storage_bytes_per_day": report.storage_bytes_per_day,
        "outgoing_bits_per_second": report.outgoing_bits_per_second,
        "servers_at_average_load": report.servers_at_average_load,
        "servers_at_peak": report.servers_at_peak,
    }
