"""A memo of rendered JSON fragments, checked against what each fragment was built from.

Rendering a status as Mastodon JSON (HTML with hashtag and mention links, ISO dates,
nested lists) costs far more than reading it, and the home timeline renders the same
statuses over and over. `RenderCache` keeps the serialized JSON of the parts that
rarely change — a status without its counts, an account — and hands them back only when
the *signature* (every input the fragment was built from, taken from records just read
from storage) is equal to the stored one. A favourite, a follow, a profile edit or a
deletion changes what storage returns, hence the signature, hence the fragment is built
again: nothing has to remember to invalidate it. Counts, view totals and the viewer's own
flags are never cached; they are spliced in fresh on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from twitterdesign._validate import check_int

__all__ = ["RenderCache"]


class RenderCache:
    """A bounded LRU memo of JSON fragments, validated by signature on every hit.

    Args:
        capacity: Fragments kept; the least recently used one is dropped beyond it.

    Raises:
        InvalidParameterError: If ``capacity`` is not an integer of at least 1.

    Examples:
        >>> cache = RenderCache(capacity=2)
        >>> cache.get(("status", 1), ("hello", "public"), lambda: '{"content":"hello"}')
        '{"content":"hello"}'
        >>> cache.get(("status", 1), ("hello", "public"), lambda: "never built")
        '{"content":"hello"}'
        >>> cache.get(("status", 1), ("hello", "private"), lambda: '{"v":"private"}')
        '{"v":"private"}'
        >>> cache.hits, cache.misses
        (1, 2)
    """

    def __init__(self, *, capacity: int = 20_000) -> None:
        self.capacity = check_int("capacity", capacity, minimum=1)
        self._entries: OrderedDict[Hashable, tuple[Hashable, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, signature: Hashable, build: Callable[[], str]) -> str:
        """Return the fragment stored under ``key`` if it was built from ``signature``.

        Otherwise call ``build`` (outside the lock), store its result with ``signature``
        and return it.

        Args:
            key: What the fragment renders, e.g. ``("status", base_url, status_id)``.
            signature: Every input of ``build`` that can change, compared with ``==``.
            build: Renders the fragment.

        Returns:
            The fragment ``build`` returns for ``signature``.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == signature:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        fragment = build()
        with self._lock:
            self._entries[key] = (signature, fragment)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return fragment

    def clear(self) -> None:
        """Drop every fragment."""
        with self._lock:
            self._entries.clear()

    def _check(self) -> None:
        """Check the invariants (for tests): within capacity, every entry a (signature, str).

        Raises:
            AssertionError: An invariant does not hold (raised, not ``assert``-ed, so the
                check also runs under ``python -O``).
        """
        with self._lock:
            if len(self._entries) > self.capacity:
                raise AssertionError(f"{len(self._entries)} entries > capacity {self.capacity}")
            for entry in self._entries.values():
                if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str)):
                    raise AssertionError(f"malformed entry {entry!r}")
