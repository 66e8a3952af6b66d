"""Answers that hold for one request: read a viewer's filters once, not once per use.

A request that hides statuses by the viewer's filters and then renders the rest with the
filters' warnings reads the same filters twice; `memoized` keeps the first answer for the
rest of the request. Outside a `request_scope` (background threads: the streaming
dispatcher, the fan-out worker) nothing is kept, so a change is never served stale
beyond the request that read it.

The scope lives in a `contextvars.ContextVar`: each request runs in a context of its own
(an asyncio task; a thread-pool hop copies the context), so two requests never share it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["memoized", "request_scope"]

_T = TypeVar("_T")
_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("td_request_memo", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Keep `memoized` answers until the block ends.

    Examples:
        >>> calls = []
        >>> def read() -> int:
        ...     calls.append(1)
        ...     return 42
        >>> with request_scope():
        ...     memoized("k", read), memoized("k", read)
        (42, 42)
        >>> memoized("k", read), len(calls)  # outside a scope: computed every time
        (42, 2)
    """
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def memoized(key: Hashable, compute: Callable[[], _T]) -> _T:
    """Return ``compute()``, computed once per request scope for ``key``."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]
