"""WorkerSupervisor and RestartBackoff, driven by a fake clock and fake processes."""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.supervisor import RestartBackoff, WorkerSupervisor


@dataclass
class FakeProcess:
    """A process whose exit and readiness the test decides."""

    base_url: str
    pid: int | None = None
    exit_code: int | None = None
    ready: bool = False
    spawned: bool = False
    terminated: bool = False
    stopped: bool = False
    crash_on_spawn: bool = False
    stderr: str = ""

    def spawn(self) -> None:
        self.spawned = True
        if self.crash_on_spawn:
            self.exit_code = 1

    def poll(self) -> int | None:
        return self.exit_code

    def is_ready(self) -> bool:
        return self.ready

    def terminate(self) -> None:
        self.terminated = True

    def stop(self, timeout_s: float = 15.0) -> None:
        self.stopped = True
        if self.exit_code is None:
            self.exit_code = -15

    def log_text(self) -> str:
        return "" if self.stopped else self.stderr


@dataclass
class Harness:
    """A supervisor over fake processes, with a clock the test moves."""

    backoff: RestartBackoff = field(default_factory=RestartBackoff)
    crash_on_spawn: bool = False
    now: float = 0.0
    made: list[FakeProcess] = field(default_factory=list)
    events: list[tuple[str, int, str]] = field(default_factory=list)
    supervisor: WorkerSupervisor | None = None

    def __post_init__(self) -> None:
        first = [FakeProcess(f"http://w{i}-0", pid=100 + i, ready=True) for i in range(2)]
        self.supervisor = WorkerSupervisor(
            first,
            make_worker=self._make,
            on_down=lambda i: self.events.append(("down", i, "")),
            on_up=lambda i, url: self.events.append(("up", i, url)),
            backoff=self.backoff,
            startup_timeout_s=20.0,
            clock=lambda: self.now,
        )

    def _make(self, i: int) -> FakeProcess:
        proc = FakeProcess(
            f"http://w{i}-{len(self.made) + 1}",
            pid=200 + len(self.made),
            crash_on_spawn=self.crash_on_spawn,
            stderr="starting\nERROR: database is locked\n\n",
        )
        self.made.append(proc)
        return proc

    def process(self, i: int) -> FakeProcess:
        """The current process of slot ``i``."""
        proc = self.sup.processes()[i]
        assert isinstance(proc, FakeProcess)
        return proc

    @property
    def sup(self) -> WorkerSupervisor:
        assert self.supervisor is not None
        return self.supervisor


def test_a_dead_worker_is_reaped_taken_out_restarted_after_the_delay_and_put_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(backoff=RestartBackoff(initial_s=0.5, factor=2.0, max_s=8.0))
    dead = h.process(1)
    h.now = 3.0
    h.sup.tick()
    assert h.events == []
    assert h.sup.states() == ["running", "running"]
    dead.exit_code = -9  # SIGKILL
    with caplog.at_level(logging.WARNING, logger="twitterdesign.front"):
        h.sup.tick()
    assert h.events == [("down", 1, "")]
    assert dead.stopped  # reaped, its log released
    assert h.sup.states() == ["running", "waiting"]
    assert "SIGKILL" in caplog.text
    assert "restarting it in 0.50 s" in caplog.text
    h.now = 3.4
    h.sup.tick()
    assert h.made == []  # still backing off
    h.now = 3.5
    h.sup.tick()
    assert [p.spawned for p in h.made] == [True]
    assert h.sup.states() == ["running", "starting"]
    h.now = 5.0
    h.sup.tick()
    assert h.events == [("down", 1, "")]  # not back before it answers its health check
    h.made[0].ready = True
    with caplog.at_level(logging.WARNING, logger="twitterdesign.front"):
        h.sup.tick()
    assert h.events == [("down", 1, ""), ("up", 1, "http://w1-1")]
    assert h.sup.states() == ["running", "running"]
    assert h.sup.restarts() == [0, 1]
    assert "app process 1 is back: pid 200" in caplog.text


def test_a_worker_that_exits_while_starting_is_logged_with_its_last_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(backoff=RestartBackoff(initial_s=1.0), crash_on_spawn=True)
    h.process(0).exit_code = -9
    h.sup.tick()
    h.now = 1.0
    h.sup.tick()  # spawned; it dies at once
    with caplog.at_level(logging.WARNING, logger="twitterdesign.front"):
        h.sup.tick()
    assert "exited with code 1 (ERROR: database is locked) while starting" in caplog.text
    assert "restarting it in 2.00 s (crash 2 in a row)" in caplog.text


def test_a_worker_that_never_answers_is_stopped_and_counts_as_a_crash() -> None:
    h = Harness(backoff=RestartBackoff(initial_s=1.0, factor=3.0, max_s=100.0))
    h.process(0).exit_code = 1
    h.sup.tick()
    h.now = 1.0
    h.sup.tick()
    assert h.sup.states()[0] == "starting"
    h.now = 21.5  # past startup_timeout_s without a ready answer
    h.sup.tick()
    assert h.made[0].stopped
    assert h.sup.states()[0] == "waiting"
    h.now = 21.5 + 2.9
    h.sup.tick()
    assert len(h.made) == 1  # second crash in a row: 3 s
    h.now = 21.5 + 3.0
    h.sup.tick()
    assert len(h.made) == 2


def test_close_stops_every_process_including_one_still_starting() -> None:
    h = Harness(backoff=RestartBackoff(initial_s=0.1))
    first = [h.process(0), h.process(1)]
    first[0].exit_code = -9
    h.sup.tick()
    h.now = 1.0
    h.sup.tick()
    h.sup.start()
    h.sup.close(timeout_s=1.0)
    current = [h.process(0), h.process(1)]
    assert current[0] is h.made[0]
    assert all(p.terminated and p.stopped for p in current)
    assert first[0].stopped  # the dead one was reaped when found


def test_a_worker_that_cannot_be_started_is_retried_with_backoff() -> None:
    h = Harness(backoff=RestartBackoff(initial_s=1.0, factor=2.0, max_s=10.0))
    failures = iter([OSError("fork failed"), RuntimeError("no free port"), None])

    def flaky(i: int) -> FakeProcess:
        error = next(failures)
        if error is not None:
            raise error
        return FakeProcess("http://w0-new", pid=300, ready=True)

    h.sup._make_worker = flaky
    h.process(0).exit_code = 1
    h.sup.tick()
    restarted_at = []
    while h.sup.states()[0] != "running":
        before = h.sup.restarts()[0]
        h.sup.tick()
        if h.sup.restarts()[0] > before:
            restarted_at.append(h.now)
        h.now += 0.5
    assert restarted_at == [1.0, 3.0, 7.0]  # waits of 1, 2 and 4 s: no tight loop
    assert h.events == [("down", 0, ""), ("up", 0, "http://w0-new")]


# --- the backoff policy ------------------------------------------------------------------
backoffs = st.builds(
    lambda initial, factor, span, stable: RestartBackoff(
        initial_s=initial, factor=factor, max_s=initial * span, stable_after_s=stable
    ),
    initial=st.floats(min_value=0.01, max_value=10.0),
    factor=st.floats(min_value=1.0, max_value=10.0),
    span=st.floats(min_value=1.0, max_value=1000.0),
    stable=st.floats(min_value=0.0, max_value=100.0),
)


@given(backoff=backoffs, n=st.integers(min_value=1, max_value=10_000))
def test_restart_delays_start_at_initial_grow_by_factor_and_are_capped(
    backoff: RestartBackoff, n: int
) -> None:
    assert backoff.delay_s(1) == backoff.initial_s
    d, following = backoff.delay_s(n), backoff.delay_s(n + 1)
    assert backoff.initial_s <= d <= backoff.max_s
    assert following == pytest.approx(min(backoff.max_s, d * backoff.factor), rel=1e-9)
    if backoff.factor > 1.0:
        # The cap is reached after log_factor(max / initial) doublings, and held.
        steps = math.log(backoff.max_s / backoff.initial_s) / math.log(backoff.factor)
        if n - 1 >= steps + 1e-9:
            assert d == backoff.max_s


@settings(deadline=None, max_examples=40)
@given(
    # Up to a minute between restarts, so a run is a few thousand rounds at most.
    backoff=st.builds(
        lambda initial, factor, span: RestartBackoff(
            initial_s=initial, factor=factor, max_s=min(60.0, initial * span)
        ),
        initial=st.floats(min_value=0.01, max_value=5.0),
        factor=st.floats(min_value=1.0, max_value=10.0),
        span=st.floats(min_value=1.0, max_value=1000.0),
    ),
    tick_s=st.floats(min_value=0.05, max_value=1.0),
    crashes=st.integers(min_value=1, max_value=12),
)
def test_a_crash_looping_worker_waits_longer_each_time_up_to_the_cap(
    backoff: RestartBackoff, tick_s: float, crashes: int
) -> None:
    # Every restarted process dies at once, as one with a fatal setting does. Between
    # restarts the supervisor must wait the backoff delay, never spin.
    h = Harness(backoff=backoff, crash_on_spawn=True)
    h.process(0).exit_code = 1
    died_at: list[float] = []
    spawned_at: list[float] = []
    previous = "running"
    rounds = 0
    while len(spawned_at) < crashes:
        h.now = rounds * tick_s
        rounds += 1
        h.sup.tick()
        state = h.sup.states()[0]
        if len(h.made) > len(spawned_at):
            spawned_at.append(h.now)
        if state == "waiting" and previous != "waiting":
            died_at.append(h.now)
        previous = state
    gaps = [s - d for s, d in zip(spawned_at, died_at, strict=False)]
    for k, gap in enumerate(gaps, start=1):
        expected = backoff.delay_s(k)
        assert expected - 1e-9 <= gap <= expected + tick_s + 1e-9
    assert all(b >= a - tick_s - 1e-9 for a, b in itertools.pairwise(gaps))
    assert all(g <= backoff.max_s + tick_s + 1e-9 for g in gaps)


def test_a_worker_that_stayed_up_long_enough_starts_a_new_streak() -> None:
    h = Harness(backoff=RestartBackoff(initial_s=1.0, factor=2.0, max_s=60.0, stable_after_s=30))

    def crash_and_restart(up_for: float) -> float:
        """Let slot 0 run ``up_for`` seconds, kill it, return the delay before its restart."""
        h.now += up_for
        h.process(0).exit_code = -9
        h.sup.tick()
        died = h.now
        before = len(h.made)
        while len(h.made) == before:
            h.now += 0.25
            h.sup.tick()
        h.made[-1].ready = True
        h.sup.tick()
        return h.now - died

    assert crash_and_restart(5.0) == 1.0
    assert crash_and_restart(5.0) == 2.0  # up for less than 30 s: the streak goes on
    assert crash_and_restart(5.0) == 4.0
    assert crash_and_restart(30.0) == 1.0  # stayed up: forgiven


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_s": 0.0},
        {"initial_s": float("nan")},
        {"factor": 0.5},
        {"max_s": 0.1},  # below initial_s
        {"max_s": float("inf")},
        {"stable_after_s": -1.0},
    ],
)
def test_bad_backoff_settings_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidParameterError):
        RestartBackoff(**kwargs)


@pytest.mark.parametrize("crashes", [0, -1, 1.5, True])
def test_delay_of_a_non_positive_crash_count_is_rejected(crashes: object) -> None:
    with pytest.raises(InvalidParameterError, match="crashes"):
        RestartBackoff().delay_s(crashes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"workers": []}, {"interval_s": 0.0}, {"startup_timeout_s": float("nan")}],
)
def test_bad_supervisor_settings_are_rejected(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {
        "workers": [FakeProcess("http://w")],
        "make_worker": lambda i: FakeProcess("http://new"),
        "on_down": lambda i: None,
        "on_up": lambda i, url: None,
        **kwargs,
    }
    with pytest.raises(InvalidParameterError):
        WorkerSupervisor(**arguments)  # type: ignore[arg-type]
