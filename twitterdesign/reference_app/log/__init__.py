"""The durable fan-out log: the lesson's pub-sub as a stream with consumer groups.

The outbox (`twitterdesign.reference_app.storage.OutboxStore`) is the source of truth:
an event exists if and only if its change was committed. A relay
(`twitterdesign.reference_app.services.relay.OutboxRelay`) copies it into a `FanoutLog`,
and fan-out consumers (`twitterdesign.reference_app.services.fanout_consumer.
FanoutConsumer`) in any number of worker processes share its entries through one
consumer group, acknowledging each entry only after its pushes.

Delivery is at least once: an entry is redelivered if its consumer dies before the ack
(another consumer claims it after an idle timeout) and the relay may publish an entry
twice. Timeline pushes are idempotent (a sorted-set add), so the effect is exactly once.

`RedisStreamLog` (``XADD`` / ``XREADGROUP`` / ``XACK`` / ``XAUTOCLAIM``) is the
implementation: Redis is already required for timelines and rate limits, so the log
adds no service to run. `InMemoryFanoutLog` gives the same guarantees inside one
process, for tests.
"""

from __future__ import annotations

from twitterdesign.reference_app.log._memory import InMemoryFanoutLog
from twitterdesign.reference_app.log._protocol import FanoutLog, LogEntry, OutboxEvent
from twitterdesign.reference_app.log._redis_streams import LogUnavailableError, RedisStreamLog

__all__ = [
    "FanoutLog",
    "InMemoryFanoutLog",
    "LogEntry",
    "LogUnavailableError",
    "OutboxEvent",
    "RedisStreamLog",
]
