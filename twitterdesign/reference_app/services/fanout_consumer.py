"""The fan-out consumer: one member of the log's consumer group, pushing into timelines.

Each `FanoutConsumer` in any worker process reads entries from the `FanoutLog` group,
applies each with `apply_event` (the same hybrid-policy write side as the in-process
`FanoutWorker`) and acknowledges the batch only *after* its pushes. A consumer killed
before the ack leaves the batch pending; another consumer (or the same name after a
restart) takes it over with `FanoutLog.claim_stale` once it has been idle for
``claim_idle_ms`` and pushes it again. Pushes are idempotent, so the timelines end up
as if every event had been applied exactly once.

Order is not kept across consumers: a push whose follower list was read before an
unfollow may land after that unfollow's drop, leaving a stale id in the follower's
cached timeline. Readers already tolerate that (`TimelineService.home_ids` returns
candidates that the caller checks, "a follow may have ended"); partitioning the log by
follower would remove it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from twitterdesign._validate import check_int
from twitterdesign.reference_app.log import FanoutLog, LogEntry
from twitterdesign.reference_app.services.fanout import FanoutOutcome, apply_event
from twitterdesign.reference_app.storage import Store, TimelineStore
from twitterdesign.timeline import HybridThreshold

__all__ = ["FanoutConsumer"]


class FanoutConsumer:
    """Read, apply and acknowledge fan-out log entries as one consumer of the group.

    Args:
        store: Where follower counts and followers are read.
        timelines: Where status ids are pushed.
        log: The fan-out log.
        policy: Which authors are pushed (at most ``threshold`` followers).
        consumer: This consumer's name in the group (stable across restarts, so a
            restart resumes its own pending entries at once).
        batch: Entries read per step.
        claim_idle_ms: Another consumer's entries pending this long are taken over.
        max_deliveries: An entry delivered this many times without success (it fails
            every time, or kills every consumer that takes it) is acknowledged unapplied
            and counted in ``dead_lettered``: a timeline is a cache, rebuilt from storage,
            so one lost push costs less than a poison entry retried forever.

    Attributes:
        on_entry: Called with each entry and its outcome after it is applied (before
            the batch is acknowledged): a hook for metrics and tests.
        on_dead_letter: Called with each entry given up on.
    """

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        log: FanoutLog,
        *,
        policy: HybridThreshold,
        consumer: str,
        batch: int = 100,
        claim_idle_ms: int = 30_000,
        max_deliveries: int = 10,
    ) -> None:
        self._store = store
        self._timelines = timelines
        self._log = log
        self.policy = policy
        self.consumer = consumer
        self.batch = check_int("batch", batch, minimum=1)
        self.claim_idle_ms = check_int("claim_idle_ms", claim_idle_ms, minimum=0)
        self.max_deliveries = check_int("max_deliveries", max_deliveries, minimum=1)
        self.last_received = 0  # entries the last step read or claimed
        self._resumed = False
        self.applied = self.acked = self.failed = self.claimed = self.dead_lettered = 0
        self.on_entry: Callable[[LogEntry, FanoutOutcome], None] | None = None
        self.on_dead_letter: Callable[[LogEntry], None] | None = None

    def step(self, *, block_ms: int = 0) -> int:
        """Process one batch; return how many entries were acknowledged.

        Order of sources: this consumer's own pending entries (once, after a restart),
        then entries of dead consumers idle past ``claim_idle_ms``, then new entries
        (waiting up to ``block_ms`` for one).
        """
        entries: list[LogEntry] = []
        if not self._resumed:
            entries = self._log.read_own_pending(self.consumer, count=self.batch)
            self._resumed = len(entries) < self.batch
        if not entries:
            entries = self._log.claim_stale(
                self.consumer, min_idle_ms=self.claim_idle_ms, count=self.batch
            )
            self.claimed += len(entries)
        if entries:  # redelivered: give up on the poison ones first
            self.last_received = len(entries)
            given_up, entries = self._give_up_on_poison(entries)
            return given_up + self._apply(entries)
        entries = self._log.read(self.consumer, count=self.batch, block_ms=block_ms)
        self.last_received = len(entries)
        return self._apply(entries)

    def _give_up_on_poison(self, entries: list[LogEntry]) -> tuple[int, list[LogEntry]]:
        """Acknowledge entries delivered too often; return (how many, the others)."""
        counts = self._log.delivery_counts([e.entry_id for e in entries])
        keep: list[LogEntry] = []
        poison: list[str] = []
        for entry in entries:
            if counts.get(entry.entry_id, 0) <= self.max_deliveries:
                keep.append(entry)
                continue
            poison.append(entry.entry_id)
            self.dead_lettered += 1
            if self.on_dead_letter is not None:
                self.on_dead_letter(entry)
        return self._log.ack(poison), keep

    def _apply(self, entries: list[LogEntry]) -> int:
        done: list[str] = []
        tally: Counter[str] = Counter()
        for entry in entries:
            try:
                outcome = apply_event(
                    self._store, self._timelines, self.policy, entry.status_id, entry.account_id
                )
            except Exception:  # left pending: claimed and retried after claim_idle_ms
                self.failed += 1
                continue
            self.applied += 1
            if outcome.kind == "pushed":
                tally["statuses_pushed"] += 1
                tally["deliveries"] += outcome.deliveries
            elif outcome.kind == "pulled":
                tally["statuses_pulled"] += 1
            if self.on_entry is not None:
                self.on_entry(entry, outcome)
            done.append(entry.entry_id)
        # Acknowledge only after the pushes: a crash before this line redelivers them.
        acked = self._log.ack(done)
        self.acked += acked
        if tally:  # the cluster's totals, which the app processes' /metrics show
            self._log.add_counts(tally)
        return acked

    def drain(self, *, max_batches: int = 1_000_000) -> int:
        """Process batches until none is left to read or claim; return how many were acked.

        An entry that keeps failing is claimed again only after ``claim_idle_ms``, and
        given up after ``max_deliveries``, so this ends.
        """
        total = 0
        for _ in range(max_batches):
            total += self.step()
            if self.last_received == 0 and self._resumed:
                break
        return total
