"""`run_demo`: set up the population, replay the workload, measure, report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

from twitterdesign._rng import as_generator
from twitterdesign.errors import TwitterDesignError
from twitterdesign.loadgen._capacity import capacity_at_scale
from twitterdesign.loadgen._config import DemoConfig
from twitterdesign.loadgen._measure import delivery_delays, fanout_metrics, trends, wait_idle
from twitterdesign.loadgen._population import (
    Population,
    follow_edges,
    register_accounts,
    warm_up,
)
from twitterdesign.loadgen._report import DemoReport
from twitterdesign.loadgen._session import ProgressFn, Session
from twitterdesign.loadgen._workload import Replay

__all__ = ["run_demo"]


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
        TwitterDesignError: If the server refuses the setup (e.g. registrations closed), or
            the connection to it fails (the message names the server and the error).
    """
    import httpx

    cfg = config or DemoConfig()
    try:
        return asyncio.run(_run(base_url.rstrip("/"), cfg, progress))
    except httpx.TransportError as exc:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise TwitterDesignError(f"the demo lost its connection to {base_url} ({what})") from exc


async def _seconds(work: Awaitable[None]) -> float:
    """Await ``work``; return how long it took."""
    start = time.perf_counter()
    await work
    return time.perf_counter() - start


async def _set_up(session: Session, population: Population) -> None:
    await register_accounts(session, population)
    await follow_edges(session, population)


async def _run(base_url: str, cfg: DemoConfig, progress: ProgressFn | None) -> DemoReport:
    import httpx

    rng = as_generator(cfg.seed)
    population = Population.generate(cfg)
    # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive timeout: at
    # equal timeouts a request sent on a connection the server is just closing fails
    # with a ReadError (seen on a loaded machine between two setup phases).
    limits = httpx.Limits(max_connections=cfg.concurrency + 4, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        session = Session(client, concurrency=cfg.concurrency, progress=progress)
        setup_s = await _seconds(_set_up(session, population))
        await warm_up(session, population, rng)
        replay_s = await _seconds(Replay(cfg, population, rng).run(session))
        replay_requests = session.recorder.requests
        delays = await delivery_delays(
            session, population, rng, probes=cfg.probes, threshold=cfg.fanout_threshold
        )
        await wait_idle(client)
        fanout = await fanout_metrics(client)
        tags, viewed = await trends(client)
    rps = replay_requests / replay_s if replay_s > 0 else 0.0
    return DemoReport(
        users=population.n_users,
        follows=int(population.graph.n_edges),
        celebrities=population.celebrities(),
        fanout_threshold=cfg.fanout_threshold,
        setup_s=setup_s,
        replay_requests=replay_requests,
        replay_s=replay_s,
        requests_per_second=rps,
        endpoints=session.recorder.stats(),
        fanout=fanout,
        delivery_delays_s=delays,
        trending_tags=tags,
        most_viewed=viewed,
        capacity=capacity_at_scale(rps),
    )
