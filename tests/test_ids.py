"""Tests for twitterdesign.ids (Snowflake)."""

from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.errors import InvalidParameterError
from twitterdesign.ids import (
    DEFAULT_EPOCH_MS,
    ClockMovedBackwardsError,
    Snowflake,
    decode,
    first_id_at,
)


class FakeClock:
    """A scripted clock: returns the listed times, then the last one plus sleeps."""

    def __init__(self, times: list[int]) -> None:
        self.times = list(times)
        self.now = self.times[0]
        self.sleeps = 0

    def __call__(self) -> int:
        if self.times:
            self.now = self.times.pop(0)
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps += 1
        self.now += 1  # each pause lets one millisecond pass


@given(
    worker=st.integers(0, 1023),
    steps=st.lists(st.integers(-3, 3), min_size=1, max_size=300),
)
def test_ids_strictly_increase_and_decode_for_any_clock_jitter(
    worker: int, steps: list[int]
) -> None:
    # A clock that wanders a few ms back and forth; backward steps are small enough to wait.
    t = DEFAULT_EPOCH_MS + 10_000
    times = []
    for s in steps:
        t += s
        times.append(t)
    clock = FakeClock(times)
    gen = Snowflake(worker, clock=clock, sleep=clock.sleep, max_backward_ms=1_000)
    ids = [gen.next_id() for _ in steps]
    assert all(a < b for a, b in itertools.pairwise(ids))
    max_seen = max(times)
    for i in ids:
        parts = decode(i)
        assert parts.worker_id == worker
        assert 0 <= parts.sequence <= 4095
        # The timestamp never runs ahead of what the clock has shown (plus waits).
        assert DEFAULT_EPOCH_MS <= parts.timestamp_ms <= max_seen + clock.sleeps
        assert i < 2**63


@given(ts=st.integers(0, 2**41 - 1), worker=st.integers(0, 1023), seq=st.integers(0, 4095))
def test_decode_round_trips_the_bit_layout(ts: int, worker: int, seq: int) -> None:
    # Build the id by hand from the documented layout: 41 | 10 | 12 bits.
    value = ts * 2**22 + worker * 2**12 + seq
    parts = decode(value, epoch_ms=5)
    assert (parts.timestamp_ms, parts.worker_id, parts.sequence) == (ts + 5, worker, seq)
    assert parts.to_dict() == {"timestamp_ms": ts + 5, "worker_id": worker, "sequence": seq}


def test_sequence_overflow_waits_for_the_next_millisecond() -> None:
    clock = FakeClock([DEFAULT_EPOCH_MS + 50])  # frozen clock until a sleep advances it
    gen = Snowflake(3, clock=clock, sleep=clock.sleep)
    ids = [gen.next_id() for _ in range(4097)]
    assert decode(ids[4095]).sequence == 4095
    last = decode(ids[4096])
    assert last.timestamp_ms == DEFAULT_EPOCH_MS + 51
    assert last.sequence == 0
    assert clock.sleeps >= 1
    assert len(set(ids)) == 4097


def test_small_backward_step_is_waited_out_and_never_reissues() -> None:
    base = DEFAULT_EPOCH_MS + 1_000
    clock = FakeClock([base, base - 5])
    gen = Snowflake(0, clock=clock, sleep=clock.sleep, max_backward_ms=10)
    a = gen.next_id()
    b = gen.next_id()
    assert b > a
    assert clock.sleeps >= 5  # waited until the clock was back at `base`


def test_large_backward_step_raises_clearly() -> None:
    base = DEFAULT_EPOCH_MS + 100_000
    clock = FakeClock([base, base - 60_000])
    gen = Snowflake(0, clock=clock, sleep=clock.sleep, max_backward_ms=1_000)
    gen.next_id()
    with pytest.raises(ClockMovedBackwardsError, match="60000 ms"):
        gen.next_id()


def test_after_guards_against_reuse_after_a_restart() -> None:
    base = DEFAULT_EPOCH_MS + 7_000
    first = Snowflake(2, clock=lambda: base)
    old = first.next_id()
    clock = FakeClock([base])
    restarted = Snowflake(2, clock=clock, sleep=clock.sleep, after=old)
    assert restarted.next_id() > old


def test_workers_never_collide() -> None:
    base = DEFAULT_EPOCH_MS + 123
    a = Snowflake(1, clock=lambda: base)
    b = Snowflake(2, clock=lambda: base)
    ids_a = {a.next_id() for _ in range(100)}
    ids_b = {b.next_id() for _ in range(100)}
    assert not ids_a & ids_b


def test_thread_safe_under_contention() -> None:
    gen = Snowflake(9)
    out: list[list[int]] = [[] for _ in range(4)]

    def work(i: int) -> None:
        out[i].extend(gen.next_id() for _ in range(2_000))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for chunk in out for i in chunk]
    assert len(set(every)) == 8_000
    for chunk in out:  # each thread sees increasing ids
        assert chunk == sorted(chunk)


def test_first_id_at_is_a_time_cursor() -> None:
    base = DEFAULT_EPOCH_MS + 999
    gen = Snowflake(1023, clock=lambda: base)
    value = gen.next_id()
    assert first_id_at(base) <= value < first_id_at(base + 1)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"worker_id": 1024}, "worker_id"),
        ({"worker_id": -1}, "worker_id"),
        ({"max_backward_ms": -1}, "max_backward_ms"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict[str, int], name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        Snowflake(**kwargs)


def test_decode_rejects_out_of_range() -> None:
    with pytest.raises(InvalidParameterError, match="snowflake_id"):
        decode(-1)
    with pytest.raises(InvalidParameterError, match="snowflake_id"):
        decode(2**63)


def test_clock_before_epoch_is_rejected() -> None:
    gen = Snowflake(0, clock=lambda: DEFAULT_EPOCH_MS - 1)
    with pytest.raises(InvalidParameterError, match="clock"):
        gen.next_id()
