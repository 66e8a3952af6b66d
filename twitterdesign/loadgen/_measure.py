"""Measurement after the replay: delivery probes, the server's fan-out counters, trends."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from twitterdesign.loadgen._population import Population
from twitterdesign.loadgen._session import Session

__all__ = ["delivery_delays", "fanout_metrics", "trends", "wait_idle"]

_PROBE_TIMEOUT_S = 10.0
_PROBE_POLL_S = 0.02
# Prometheus sample name -> key in DemoReport.fanout.
_FANOUT_SAMPLES = {
    "twitterdesign_fanout_statuses_pushed": "statuses_pushed",
    "twitterdesign_fanout_statuses_pulled": "statuses_pulled",
    "twitterdesign_fanout_deliveries": "deliveries",
    "twitterdesign_timeline_caches": "active_caches",
    "twitterdesign_fanout_queue_depth": "queue_depth",
    "twitterdesign_sketch_bytes": "sketch_bytes",
}


def _probe_authors(population: Population, threshold: int) -> list[int]:
    """Ordinary users whose posts are pushed and who have an active follower."""
    return [
        a
        for a in range(population.ordinary)
        if 0 < len(population.followers[a]) <= threshold
        and any(f in population.active for f in population.followers[a])
    ]


async def _seconds_until_seen(session: Session, reader: int, status_id: str) -> float | None:
    """Poll ``reader``'s home timeline until ``status_id`` is in it; None after 10 s."""
    start = time.perf_counter()
    while time.perf_counter() - start < _PROBE_TIMEOUT_S:
        home = await session.call(
            "GET /api/v1/timelines/home", "GET", "/api/v1/timelines/home",
            user=reader, record=False, params={"limit": 40},
        )  # fmt: skip
        if any(s["id"] == status_id for s in home.json()):
            return time.perf_counter() - start
        await asyncio.sleep(_PROBE_POLL_S)
    return None


async def delivery_delays(
    session: Session,
    population: Population,
    rng: np.random.Generator,
    *,
    probes: int,
    threshold: int,
) -> list[float | None]:
    """Time how long posts take to reach an active follower's home timeline.

    Args:
        session: The demo's session.
        population: The registered accounts (``active`` filled by the warm-up and replay).
        rng: The demo's random generator.
        probes: Posts to time (fewer if fewer authors qualify).
        threshold: The server's fan-out threshold: only pushed authors are probed.

    Returns:
        Seconds per probe post, None where it did not arrive within 10 s.
    """
    candidates = _probe_authors(population, threshold)
    out: list[float | None] = []
    for _ in range(min(probes, len(candidates))):
        author = int(rng.choice(candidates))
        reader = next(f for f in population.followers[author] if f in population.active)
        posted = await session.call(
            "POST /api/v1/statuses", "POST", "/api/v1/statuses",
            user=author, record=False, data={"status": "probe: does fan-out keep up?"},
        )  # fmt: skip
        out.append(await _seconds_until_seen(session, reader, posted.json()["id"]))
    return out


async def wait_idle(client: Any, *, polls: int = 300, interval_s: float = 0.1) -> None:
    """Wait until the server's fan-out queue is empty (``/healthz``), at most 30 s."""
    for _ in range(polls):
        health = (await client.get("/healthz")).json()
        if health.get("fanout_queue_depth", 0) == 0:
            return
        await asyncio.sleep(interval_s)


async def fanout_metrics(client: Any) -> dict[str, float]:
    """Read the server's fan-out and sketch counters from ``/metrics``."""
    from prometheus_client.parser import text_string_to_metric_families

    text = (await client.get("/metrics")).text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in _FANOUT_SAMPLES:
                out[_FANOUT_SAMPLES[sample.name]] = float(sample.value)
    return out


async def trends(client: Any, *, k: int = 5) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the top ``k`` tags and most-viewed statuses (with authors) and their bounds."""
    found = (await client.get("/lesson/v1/trends", params={"k": k})).json()
    viewed = []
    for entry in found["most_viewed"]:
        status = (await client.get(f"/api/v1/statuses/{entry['status_id']}")).json()
        viewed.append({**entry, "author": status["account"]["username"]})
    return list(found["tags"]), viewed
