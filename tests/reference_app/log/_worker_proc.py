"""A fan-out worker process for the crash tests: PostgreSQL, a Redis log, recorded pushes.

Run as ``python -m tests.reference_app.log._worker_proc SCHEMA PREFIX CONSUMER DELAY_S
CLAIM_IDLE_MS``. It is `LogWorker` as ``twitterdesign worker`` runs it, over the real
`RedisTimelineStore` (so another process can check the timelines), wrapped to count every
push of (status, user) and sleep ``DELAY_S`` per call, so the test can kill the process
with a batch half pushed and not acknowledged.
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
from twitterdesign.reference_app.storage.redis import RedisTimelineStore
from twitterdesign.timeline import HybridThreshold


class RedisRecordingTimelines(RedisTimelineStore):
    """The real `RedisTimelineStore` (everyone active), counting and slowing every push."""

    def __init__(self, prefix: str, delay_s: float) -> None:
        super().__init__(REDIS_URL, prefix=prefix, capacity=800)
        self._counts = redis.Redis.from_url(REDIS_URL)
        self._delay_s = delay_s

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        time.sleep(self._delay_s)
        users = list(users)
        pipe = self._counts.pipeline(transaction=True)
        for u in users:
            pipe.hincrby(f"{self.prefix}pushes", f"{status_id}:{u}", 1)
        pipe.execute()
        return super().push(status_id, users, now_s=now_s)

    def drop(self, user: int) -> bool:
        time.sleep(self._delay_s)
        return super().drop(user)

    def close(self) -> None:
        self._counts.close()
        super().close()


def main(schema: str, prefix: str, consumer: str, delay_s: str, claim_idle_ms: str) -> None:
    store = PostgresStore(POSTGRES_URL, schema=schema)
    log = RedisStreamLog(REDIS_URL, prefix=prefix)
    timelines = RedisRecordingTimelines(prefix, float(delay_s))
    worker = LogWorker(
        store,
        timelines,
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
