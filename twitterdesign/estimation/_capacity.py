"""How many requests one server handles per second, derived the two ways the lesson does."""

from __future__ import annotations

from typing import Literal

from twitterdesign._validate import check_choice, check_fraction, check_number

__all__ = ["peak_factor", "server_capacity", "server_capacity_from_mix"]


def server_capacity(
    *,
    clock_hz: float = 3.5e9,
    cores: int | float = 64,
    instructions_per_request: float = 3.5e6,
    cycles_per_instruction: float = 1.0,
) -> float:
    """Return the requests per second a CPU-bound server handles.

    One core runs ``clock_hz / cycles_per_instruction`` instructions per second, so it
    finishes ``clock_hz / (cycles_per_instruction * instructions_per_request)`` requests
    per second; the cores work in parallel. The defaults are the lesson's server: a
    3.5 GHz, 64-core machine at one cycle per instruction, 3.5 million instructions per
    request, which gives 1,000 requests/s per core and 64,000 per server.

    Args:
        clock_hz: Clock rate in hertz (> 0).
        cores: Number of cores (> 0).
        instructions_per_request: Instructions one request executes (> 0).
        cycles_per_instruction: Average clock cycles per instruction, CPI (> 0).

    Returns:
        Requests per second for the whole server.

    Raises:
        InvalidParameterError: If any argument is not a positive finite number.

    Examples:
        >>> server_capacity()
        64000.0
        >>> server_capacity(cores=8, cycles_per_instruction=2)
        4000.0
    """
    clock = check_number("clock_hz", clock_hz, minimum=0.0, min_inclusive=False)
    n_cores = check_number("cores", cores, minimum=0.0, min_inclusive=False)
    instructions = check_number(
        "instructions_per_request", instructions_per_request, minimum=0.0, min_inclusive=False
    )
    cpi = check_number(
        "cycles_per_instruction", cycles_per_instruction, minimum=0.0, min_inclusive=False
    )
    return n_cores * clock / (cpi * instructions)


def server_capacity_from_mix(
    cpu_bound_per_second: float = 360.0,
    memory_bound_per_second: float = 16_000.0,
    *,
    cpu_bound_fraction: float = 0.5,
    method: Literal["lesson", "harmonic"] = "lesson",
) -> float:
    """Return a server's requests per second for a mix of CPU- and memory-bound requests.

    The lesson's earlier version averages the two throughputs, weighted by the share of
    each kind: half CPU-bound at 360/s and half memory-bound at 16,000/s gives
    ``0.5 * 360 + 0.5 * 16,000 = 8,180``, which it rounds to 8,000 (``method="lesson"``).

    That average overstates what the server sustains: a CPU-bound request occupies the
    server 44 times longer than a memory-bound one, so the time per request is the
    weighted mean of ``1 / throughput``, and the throughput is the weighted *harmonic*
    mean ``1 / (f / cpu + (1 - f) / memory)`` — about 704/s for the same mix
    (``method="harmonic"``). Use the harmonic value when you size a real system.

    Args:
        cpu_bound_per_second: Throughput if every request were CPU-bound (> 0).
        memory_bound_per_second: Throughput if every request were memory-bound (> 0).
        cpu_bound_fraction: Share of requests that are CPU-bound, in [0, 1].
        method: ``"lesson"`` (weighted arithmetic mean) or ``"harmonic"``.

    Returns:
        Requests per second for the mix.

    Raises:
        InvalidParameterError: If a throughput is not positive, the fraction is outside
            [0, 1], or ``method`` is unknown.

    Examples:
        >>> server_capacity_from_mix()
        8180.0
        >>> round(server_capacity_from_mix(method="harmonic"), 1)
        704.2

    References:
        R. Jain, *The Art of Computer Systems Performance Analysis*, Wiley, 1991 — on
        summarizing measured rates: average them with the harmonic mean when each rate
        is measured for a fixed amount of work.
    """
    cpu = check_number(
        "cpu_bound_per_second", cpu_bound_per_second, minimum=0.0, min_inclusive=False
    )
    memory = check_number(
        "memory_bound_per_second", memory_bound_per_second, minimum=0.0, min_inclusive=False
    )
    share = check_fraction("cpu_bound_fraction", cpu_bound_fraction)
    check_choice("method", method, ["lesson", "harmonic"])
    if method == "lesson":
        return share * cpu + (1.0 - share) * memory
    return 1.0 / (share / cpu + (1.0 - share) / memory)


def peak_factor(share_of_requests: float = 0.8, share_of_day: float = 0.2) -> float:
    """Return the peak-to-average ratio when a share of requests arrives in a share of the day.

    If 80% of a day's requests arrive within 20% of the day (4.8 hours), the request
    rate in those hours is ``0.8 / 0.2 = 4`` times the daily average — the lesson's
    80/20 rule, used as ``Workload.peak_to_average``.

    Args:
        share_of_requests: Share of the day's requests in the busy window, in (0, 1].
        share_of_day: Length of the busy window as a share of the day, in (0, 1], not
            larger than ``share_of_requests`` (so the factor is at least 1).

    Returns:
        The ratio of the busy-window rate to the daily average rate.

    Raises:
        InvalidParameterError: If a share is outside (0, 1] or the window is longer
            than the share of requests it holds.

    Examples:
        >>> peak_factor()
        4.0
        >>> peak_factor(0.5, 0.25)
        2.0
    """
    requests = check_number(
        "share_of_requests", share_of_requests, minimum=0.0, maximum=1.0, min_inclusive=False
    )
    day = check_number(
        "share_of_day", share_of_day, minimum=0.0, maximum=requests, min_inclusive=False
    )
    return requests / day
