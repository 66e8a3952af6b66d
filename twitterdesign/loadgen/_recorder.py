"""Client-side latency per endpoint, summarized as `EndpointStats`."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from twitterdesign.loadgen._report import EndpointStats

__all__ = ["Recorder"]


class Recorder:
    """Latencies and error counts per endpoint label, as the client saw them.

    Examples:
        >>> rec = Recorder()
        >>> rec.add("GET /a", 2.0, ok=True); rec.add("GET /a", 4.0, ok=False)
        >>> rec.add("GET /b", 1.0, ok=True)
        >>> rec.requests
        3
        >>> [(e.endpoint, e.requests, e.errors, e.p50_ms) for e in rec.stats()]
        [('GET /a', 2, 1, 3.0), ('GET /b', 1, 0, 1.0)]
    """

    def __init__(self) -> None:
        self.latency_ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def add(self, endpoint: str, ms: float, *, ok: bool) -> None:
        """Record one request to ``endpoint`` that took ``ms`` milliseconds."""
        self.latency_ms[endpoint].append(ms)
        if not ok:
            self.errors[endpoint] += 1

    @property
    def requests(self) -> int:
        """Requests recorded so far, over every endpoint."""
        return sum(len(v) for v in self.latency_ms.values())

    def stats(self) -> list[EndpointStats]:
        """Return count, errors, p50 and p99 per endpoint, busiest first."""
        out = []
        for name, values in self.latency_ms.items():
            arr = np.asarray(values)
            out.append(
                EndpointStats(
                    name,
                    len(values),
                    self.errors.get(name, 0),
                    float(np.percentile(arr, 50)),
                    float(np.percentile(arr, 99)),
                )
            )
        return sorted(out, key=lambda e: -e.requests)
