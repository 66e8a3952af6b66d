"""A fan-out worker process for the crash tests: PostgreSQL, a Redis log, recorded pushes.

Run as ``python -m tests.reference_app.log._worker_proc SCHEMA PREFIX CONSUMER DELAY_S
CLAIM_IDLE_MS``. It is `LogWorker` as ``twitterdesign worker`` runs it, over a test-only
`TimelineStore` that keeps each timeline as a Redis sorted set (so another process can
check it), counts every push of (status, user) and sleeps ``DELAY_S`` per call, so the
test can kill the process with a batch half pushed and not acknowledged.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterable

import redis

from tests.reference_app.log._services import REDIS_URL
from tests.reference_app.storage_pg._postgres import POSTGRES_URL
from twitterdesign.reference_app.log import RedisStreamLog
from twitterdesign.reference_app.services.log_worker import LogWorker
from twitterdesign.reference_app.storage.postgres import PostgresStore
from twitterdesign.timeline import HybridThreshold


class RedisRecordingTimelines:
    """Timelines as Redis sorted sets (everyone active), with a push counter per pair."""

    capacity = 800

    def __init__(self, prefix: str, delay_s: float) -> None:
        self._r = redis.Redis.from_url(REDIS_URL)
        self._prefix = prefix
        self._delay_s = delay_s

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        time.sleep(self._delay_s)
        users = list(users)
        pipe = self._r.pipeline(transaction=True)
        for u in users:
            pipe.zadd(f"{self._prefix}tl:{u}", {str(status_id): status_id})
            pipe.hincrby(f"{self._prefix}pushes", f"{status_id}:{u}", 1)
        pipe.execute()
        return len(users)

    def drop(self, user: int) -> bool:
        time.sleep(self._delay_s)
        return bool(self._r.delete(f"{self._prefix}tl:{user}"))

    def mark_pulled(self, author: int) -> None:
        self._r.sadd(f"{self._prefix}pulled", author)

    def close(self) -> None:
        self._r.close()


def main(schema: str, prefix: str, consumer: str, delay_s: str, claim_idle_ms: str) -> None:
    store = PostgresStore(POSTGRES_URL, schema=schema)
    log = RedisStreamLog(REDIS_URL, prefix=prefix)
    timelines = RedisRecordingTimelines(prefix, float(delay_s))
    worker = LogWorker(
        store,
        timelines,  # type: ignore[arg-type]
        log,
        policy=HybridThreshold(25),
        consumer=consumer,
        batch=1000,
        claim_idle_ms=int(claim_idle_ms),
        block_ms=50,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    try:
        worker.run(stop)
    finally:
        log.close()
        timelines.close()
        store.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
