"""One HTTP client shared by every phase: authenticated calls, recording, a worker pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from twitterdesign.loadgen._recorder import Recorder

__all__ = ["Job", "ProgressFn", "Session"]

ProgressFn = Callable[[str, int, int], None]
"""Called as ``progress(phase, done, total)`` while a phase runs."""

Job = Callable[[], Awaitable[None]]
"""One unit of work for `Session.run_all`: a coroutine function of no arguments."""


class Session:
    """An ``httpx.AsyncClient`` plus the accounts' tokens and the latency recorder.

    Args:
        client: The HTTP client, with ``base_url`` set to the server.
        concurrency: Jobs in flight at once in `run_all`.
        progress: Progress callback, or None.
    """

    def __init__(self, client: Any, *, concurrency: int, progress: ProgressFn | None) -> None:
        self.client = client
        self.concurrency = concurrency
        self.progress: ProgressFn = progress or (lambda _p, _d, _t: None)
        self.recorder = Recorder()
        self.tokens: list[str] = []

    async def call(
        self,
        endpoint: str,
        method: str,
        url: str,
        *,
        user: int | None = None,
        record: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Send one request, as account ``user`` if given; record it under ``endpoint``.

        Args:
            endpoint: The label the latency is recorded under (a route template).
            method: HTTP method.
            url: Path on the server.
            user: Index of the account whose token authorizes the request.
            record: False for setup requests, which the report does not count.
            **kwargs: Passed to ``httpx.AsyncClient.request`` (``data``, ``params``…).

        Returns:
            The ``httpx.Response``.
        """
        headers = kwargs.pop("headers", {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        start = time.perf_counter()
        reply = await self.client.request(method, url, headers=headers, **kwargs)
        if record:
            elapsed_ms = (time.perf_counter() - start) * 1000
            self.recorder.add(endpoint, elapsed_ms, ok=reply.is_success)
        return reply

    async def run_all(self, jobs: list[Job], phase: str) -> None:
        """Run ``jobs`` with `concurrency` workers, reporting progress as ``phase``."""
        total = len(jobs)
        done = 0
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker() -> None:
            nonlocal done
            while True:
                try:
                    job = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await job()
                done += 1
                if done % 25 == 0 or done == total:
                    self.progress(phase, done, total)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
