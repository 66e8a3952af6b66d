"""Keep the app processes of ``serve --workers N`` running: reap, back off, restart.

A process that dies (a crash, the kernel's OOM killer, a stray ``kill -9``) is reaped at
once, so no zombie is left, and taken out of the front's balancer. It is restarted after
a delay that doubles with every crash in a row, up to a cap, so a process that cannot
start (a bad setting, a full disk) costs one start every ``max_s`` seconds instead of a
spinning CPU. The delay goes back to the first step once a process has stayed up for
``stable_after_s``. A restarted process rejoins the balancer only when it answers its
health check (``/healthz``, which reads the database).

This is the supervision Erlang/OTP and systemd do (``Restart=``, ``RestartSec=``), with
the exponential backoff of Kubernetes' CrashLoopBackOff (10 s doubling to 5 min, reset
after 10 min of running) scaled down for a laptop.

References:
    Kubernetes, "Pod Lifecycle: Container restart policy",
    https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from twitterdesign._validate import check_int, check_number

__all__ = ["RestartBackoff", "SupervisedProcess", "WorkerSupervisor"]

_log = logging.getLogger("twitterdesign.front")


@dataclass(frozen=True, slots=True)
class RestartBackoff:
    """How long to wait before restarting a process that keeps crashing.

    The n-th restart of a crash streak waits ``min(max_s, initial_s * factor ** (n-1))``
    seconds; a process that ran for at least ``stable_after_s`` before it died starts a
    new streak.

    Attributes:
        initial_s: Delay before the first restart of a streak (seconds, > 0).
        factor: Growth of the delay per crash in a row (>= 1).
        max_s: Cap on the delay (seconds, >= ``initial_s``).
        stable_after_s: Uptime that forgives the earlier crashes (seconds, >= 0).

    Raises:
        InvalidParameterError: If a field is out of range.

    Examples:
        >>> backoff = RestartBackoff(initial_s=0.5, factor=2.0, max_s=30.0)
        >>> [backoff.delay_s(n) for n in range(1, 9)]
        [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    """

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0
    stable_after_s: float = 30.0

    def __post_init__(self) -> None:
        check_number(
            "initial_s", self.initial_s, minimum=0.0, maximum=86_400.0, min_inclusive=False
        )
        check_number("factor", self.factor, minimum=1.0, maximum=1e6)
        check_number("max_s", self.max_s, minimum=self.initial_s, maximum=86_400.0)
        check_number("stable_after_s", self.stable_after_s, minimum=0.0, maximum=86_400.0)

    def delay_s(self, crashes: int) -> float:
        """Return the delay before restart number ``crashes`` (1-based) of a streak.

        Args:
            crashes: How many times in a row the process has died, at least 1.

        Returns:
            Seconds to wait, between ``initial_s`` and ``max_s``; never decreasing in
            ``crashes``.

        Raises:
            InvalidParameterError: If ``crashes`` is not a positive integer.
        """
        n = check_int("crashes", crashes, minimum=1)
        if self.factor == 1.0:
            return self.initial_s
        # Compare exponents, not powers: factor ** n overflows a float long before the
        # streak of a process that crash-loops for days ends.
        if (n - 1) * math.log(self.factor) >= math.log(self.max_s / self.initial_s):
            return self.max_s
        return min(self.max_s, self.initial_s * self.factor ** (n - 1))


class SupervisedProcess(Protocol):
    """What `WorkerSupervisor` needs of a process (`ServerProcess` is one)."""

    @property
    def base_url(self) -> str:
        """Where the process serves once it is ready."""
        ...

    @property
    def pid(self) -> int | None:
        """The operating system's process id, None before `spawn` and after `stop`."""
        ...

    def spawn(self) -> None:
        """Start the process without waiting for it to be ready."""
        ...

    def poll(self) -> int | None:
        """Return the exit code if the process has ended (reaping it), else None."""
        ...

    def is_ready(self) -> bool:
        """Return whether the process answers its health check now."""
        ...

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM) without waiting."""
        ...

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the process: SIGTERM, then SIGKILL after ``timeout_s``; reap it."""
        ...

    def log_text(self) -> str:
        """Return what the process wrote on stderr so far (empty once stopped)."""
        ...


@dataclass(slots=True)
class _Slot:
    process: SupervisedProcess
    state: str  # "running", "waiting" (dead, restart pending) or "starting"
    since: float  # when it became ready (running) or was spawned (starting)
    restart_at: float = 0.0
    crashes: int = 0
    restarts: int = 0


def _describe_exit(process: SupervisedProcess, code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    # It ended on its own: its last words usually say why (a bad setting, a full disk).
    lines = [line for line in process.log_text().splitlines() if line.strip()]
    last = f" ({lines[-1].strip()[:300]})" if lines else ""
    return f"exited with code {code}{last}"


class WorkerSupervisor:
    """Watch a fixed set of worker slots and keep a live, ready process in each.

    Slot ``i`` starts with ``workers[i]`` (already started and ready). When its process
    ends, the supervisor reaps it, calls ``on_down(i)``, waits the `RestartBackoff`
    delay, starts ``make_worker(i)`` and calls ``on_up(i, base_url)`` once the new process
    answers its health check. A process that dies while starting, or is not ready within
    ``startup_timeout_s``, counts as another crash. Restarts are logged on the
    ``twitterdesign.front`` logger.

    `tick` does one round of checks (tests drive it with their own clock); `start` runs
    it every ``interval_s`` on a daemon thread; `close` stops the thread, then every
    process.

    Args:
        workers: The running processes, one per slot.
        make_worker: Returns a new (not yet spawned) process for slot ``i``.
        on_down: Called with ``i`` when slot ``i``'s process is found dead.
        on_up: Called with ``i`` and the new base URL when a restarted process is ready.
        backoff: The restart delays.
        startup_timeout_s: How long a restarted process may take to become ready.
        interval_s: Seconds between rounds on the thread.
        clock: Monotonic time in seconds.
        label: What a process is, in log lines (``app process``, ``fan-out worker``).

    Raises:
        InvalidParameterError: For an empty ``workers`` or an out-of-range number.
    """

    def __init__(
        self,
        workers: Sequence[SupervisedProcess],
        *,
        make_worker: Callable[[int], SupervisedProcess],
        on_down: Callable[[int], None],
        on_up: Callable[[int, str], None],
        backoff: RestartBackoff | None = None,
        startup_timeout_s: float = 60.0,
        interval_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        label: str = "app process",
    ) -> None:
        check_int("workers", len(workers), minimum=1)
        self._label = label
        self._startup_timeout_s = check_number(
            "startup_timeout_s", startup_timeout_s, minimum=0.0, min_inclusive=False
        )
        self._interval_s = check_number("interval_s", interval_s, minimum=0.0, min_inclusive=False)
        self._make_worker = make_worker
        self._on_down = on_down
        self._on_up = on_up
        self._backoff = backoff if backoff is not None else RestartBackoff()
        self._clock = clock
        now = clock()
        self._slots = [_Slot(process=w, state="running", since=now) for w in workers]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what a caller (and a test) can see ----------------------------------------------
    def processes(self) -> list[SupervisedProcess]:
        """Return the current process of every slot (dead ones included)."""
        with self._lock:
            return [s.process for s in self._slots]

    def states(self) -> list[str]:
        """Return each slot's state: ``running``, ``waiting`` or ``starting``."""
        with self._lock:
            return [s.state for s in self._slots]

    def restarts(self) -> list[int]:
        """Return how many processes each slot has started after its first."""
        with self._lock:
            return [s.restarts for s in self._slots]

    # -- the supervision round -----------------------------------------------------------
    def tick(self) -> None:
        """Check every slot once: reap the dead, start due restarts, admit the ready."""
        with self._lock:
            for i, slot in enumerate(self._slots):
                if slot.state == "running":
                    self._check_running(i, slot)
                elif slot.state == "waiting":
                    self._maybe_restart(i, slot)
                else:
                    self._check_starting(i, slot)

    def _check_running(self, i: int, slot: _Slot) -> None:
        code = slot.process.poll()
        if code is None:
            return
        now = self._clock()
        self._on_down(i)
        self._crashed(
            i, slot, now, f"{_describe_exit(slot.process, code)} after {now - slot.since:.1f} s up"
        )

    def _maybe_restart(self, i: int, slot: _Slot) -> None:
        now = self._clock()
        if now < slot.restart_at:
            return
        slot.restarts += 1
        try:
            slot.process = self._make_worker(i)
            slot.process.spawn()
        except Exception as exc:  # a start that fails is one more crash, not the end
            self._crashed(i, slot, now, f"could not be started ({exc!r})")
            return
        slot.state = "starting"
        slot.since = self._clock()

    def _check_starting(self, i: int, slot: _Slot) -> None:
        process = slot.process
        code = process.poll()
        now = self._clock()
        if code is not None:
            self._crashed(i, slot, now, f"{_describe_exit(process, code)} while starting")
        elif process.is_ready():
            slot.state = "running"
            slot.since = self._clock()
            self._on_up(i, process.base_url)
            _log.warning(
                "%s %d is back: pid %s on %s (restart %d)",
                self._label,
                i,
                process.pid,
                process.base_url,
                slot.restarts,
            )
        elif now - slot.since > self._startup_timeout_s:
            process.stop(timeout_s=5.0)
            self._crashed(
                i, slot, now, f"did not answer /healthz within {self._startup_timeout_s:g} s"
            )

    def _crashed(self, i: int, slot: _Slot, now: float, why: str) -> None:
        uptime = now - slot.since if slot.state == "running" else 0.0
        pid = slot.process.pid
        slot.process.stop(timeout_s=5.0)  # reaped already; releases its log file
        if uptime >= self._backoff.stable_after_s:
            slot.crashes = 0
        slot.crashes += 1
        delay = self._backoff.delay_s(slot.crashes)
        slot.state = "waiting"
        slot.restart_at = now + delay
        _log.warning(
            "%s %d (pid %s) %s; restarting it in %.2f s (crash %d in a row)",
            self._label,
            i,
            pid,
            why,
            delay,
            slot.crashes,
        )

    # -- the thread ----------------------------------------------------------------------
    def start(self) -> None:
        """Run `tick` every ``interval_s`` on a daemon thread until `close`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.tick()
            except Exception:  # keep supervising; the next round tries again
                _log.exception("worker supervision round failed")

    def stop_supervising(self) -> None:
        """Stop the thread (no more restarts); the processes keep running."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def close(self, timeout_s: float = 15.0) -> None:
        """Stop supervising, then stop every process in parallel (SIGTERM, then SIGKILL).

        Args:
            timeout_s: How long the processes together get to shut down cleanly.
        """
        self.stop_supervising()
        with self._lock:
            processes = [s.process for s in self._slots]
        for process in processes:
            process.terminate()
        deadline = time.monotonic() + timeout_s
        for process in processes:
            process.stop(timeout_s=max(0.0, deadline - time.monotonic()))
