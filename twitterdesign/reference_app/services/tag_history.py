"""Per-day hashtag history: uses, and distinct accounts counted with HyperLogLog sketches.

Mastodon's Tag ``history`` has, per day, how many statuses used the tag (``uses``) and
how many *different* accounts did (``accounts``). A viral tag has millions of users, so
the accounts are not kept in a set: each (day, tag) has an Apache DataSketches HLL sketch
of the account ids (``lg_k = 11``, HLL_4: at most 1,128 bytes, relative standard error
1.04 / sqrt(2^11) = 2.3%; exact while a tag has few users, when the sketch is still a
list of coupons). Sketches merge without double counting (a union), so each app instance
keeps its own, publishes it with the trend sketches, and a read merges them: an account
that used a tag on two instances counts once.

Memory is bounded: ``days`` days (7, as Mastodon's history) of at most ``max_tags`` tags
each. When a day is full, a new tag evicts the day's least used one, so the day keeps the
most used tags (the ones that trend); an evicted tag that comes back starts again from
zero, so its history under-reports, never over-reports. Worst case:
``days * max_tags * 1,128`` bytes of sketches (7.7 MiB for 7 days of 1,000 tags).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

from datasketches import hll_sketch, hll_union, tgt_hll_type

from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError

__all__ = ["LG_K", "RELATIVE_STANDARD_ERROR", "TagDay", "TagHistory"]

LG_K = 11
"""log2 of the HLL sketches' register count."""

RELATIVE_STANDARD_ERROR = 1.04 / (1 << LG_K) ** 0.5
"""One standard deviation of a sketch's estimate, relative to the true count (2.3%)."""

_DAY_MS = 86_400_000
_MAGIC = b"TDTH"
_VERSION = 1
_HEADER = struct.Struct("<4sBBHII")  # magic, version, lg_k, days, max_tags, entries
_ENTRY = struct.Struct("<qQHI")  # day, uses, name bytes, sketch bytes


@dataclass(frozen=True, slots=True)
class TagDay:
    """One day of a hashtag's history.

    Attributes:
        day_s: The day's start, Unix seconds (UTC midnight).
        uses: Public statuses that used the tag that day.
        accounts: Distinct accounts that used it (the sketch's estimate, rounded).
        accounts_lower: Lower bound of ``accounts`` at 2 standard deviations.
        accounts_upper: Upper bound of ``accounts`` at 2 standard deviations.
    """

    day_s: int
    uses: int
    accounts: int
    accounts_lower: int
    accounts_upper: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "day_s": self.day_s,
            "uses": self.uses,
            "accounts": self.accounts,
            "accounts_lower": self.accounts_lower,
            "accounts_upper": self.accounts_upper,
        }


class _Entry:
    __slots__ = ("sketch", "uses")

    def __init__(self, uses: int, sketch: hll_sketch) -> None:
        self.uses = uses
        self.sketch = sketch


class TagHistory:
    """Uses and distinct accounts per hashtag per day, bounded and mergeable.

    Args:
        days: Days kept, today included.
        max_tags: Most tags kept per day (the least used one is evicted past that).

    Raises:
        InvalidParameterError: For ``days`` or ``max_tags`` below 1.

    Examples:
        >>> h = TagHistory()
        >>> for _ in range(10):
        ...     h.update(["python"], account_id=7, at_ms=0)
        >>> h.update(["python"], account_id=8, at_ms=1)
        >>> today = h.history("python", now_ms=2)[0]
        >>> (today.day_s, today.uses, today.accounts)
        (0, 11, 2)
    """

    def __init__(self, *, days: int = 7, max_tags: int = 1000) -> None:
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise InvalidParameterError("days", days, "an integer >= 1")
        if isinstance(max_tags, bool) or not isinstance(max_tags, int) or max_tags < 1:
            raise InvalidParameterError("max_tags", max_tags, "an integer >= 1")
        self.days = days
        self.max_tags = max_tags
        self._by_day: dict[int, dict[str, _Entry]] = {}

    def update(self, tags: Iterable[str], *, account_id: int, at_ms: int) -> None:
        """Count one use of each tag by ``account_id`` at ``at_ms`` (Unix milliseconds)."""
        day = at_ms // _DAY_MS
        self._forget_before(day - self.days + 1)
        if self._by_day and day < max(self._by_day) - self.days + 1:
            return  # older than the days kept
        entries = self._by_day.setdefault(day, {})
        for tag in tags:
            entry = entries.get(tag)
            if entry is None:
                if len(entries) >= self.max_tags:
                    del entries[min(entries, key=lambda t: (entries[t].uses, t))]
                entry = entries[tag] = _Entry(0, hll_sketch(LG_K, tgt_hll_type.HLL_4))
            entry.uses += 1
            entry.sketch.update(account_id)

    def merge(self, other: TagHistory) -> Self:
        """Add ``other``'s counts into this one (in place) and return self.

        Uses add up; accounts are the union of both sketches (an account counted by both
        counts once). A merged history may hold up to both histories' tags per day.

        Raises:
            IncompatibleError: If ``other`` keeps a different number of days.
        """
        if other.days != self.days:
            raise IncompatibleError(f"cannot merge {other.days}-day history into {self.days}")
        for day, entries in other._by_day.items():
            mine = self._by_day.setdefault(day, {})
            for tag, entry in entries.items():
                found = mine.get(tag)
                if found is None:
                    copy = hll_sketch.deserialize(entry.sketch.serialize_updatable())
                    mine[tag] = _Entry(entry.uses, copy)
                    continue
                union = hll_union(LG_K)
                union.update(found.sketch)
                union.update(entry.sketch)
                found.uses += entry.uses
                found.sketch = union.get_result(tgt_hll_type.HLL_4)
        if self._by_day:
            self._forget_before(max(self._by_day) - self.days + 1)
        return self

    def history(self, tag: str, *, now_ms: int) -> list[TagDay]:
        """Return ``tag``'s last ``days`` days, today first (days without a use: zeros)."""
        today = now_ms // _DAY_MS
        out: list[TagDay] = []
        for day in range(today, today - self.days, -1):
            entry = self._by_day.get(day, {}).get(tag)
            if entry is None:
                out.append(TagDay(day * 86_400, 0, 0, 0, 0))
                continue
            s = entry.sketch
            out.append(
                TagDay(
                    day * 86_400,
                    entry.uses,
                    round(s.get_estimate()),
                    int(s.get_lower_bound(2)),
                    math.ceil(s.get_upper_bound(2)),
                )
            )
        return out

    @property
    def nbytes(self) -> int:
        """Bytes the sketches take when serialized (an estimate of their memory)."""
        return sum(
            e.sketch.get_updatable_serialization_bytes() + len(tag)
            for entries in self._by_day.values()
            for tag, e in entries.items()
        )

    def _forget_before(self, first_day: int) -> None:
        for day in [d for d in self._by_day if d < first_day]:
            del self._by_day[day]

    def _check(self) -> None:
        """Assert the invariants: days kept, tags per day, counts positive."""
        if self._by_day:
            assert max(self._by_day) - min(self._by_day) < self.days
        for entries in self._by_day.values():
            for entry in entries.values():
                assert entry.uses >= 1
                assert not entry.sketch.is_empty()

    def to_bytes(self) -> bytes:
        """Serialize (versioned header, then one record per day and tag)."""
        parts = []
        count = 0
        for day, entries in self._by_day.items():
            for tag, entry in entries.items():
                name = tag.encode("utf-8")
                sketch = entry.sketch.serialize_compact()
                parts.append(_ENTRY.pack(day, entry.uses, len(name), len(sketch)) + name + sketch)
                count += 1
        header = _HEADER.pack(_MAGIC, _VERSION, LG_K, self.days, self.max_tags, count)
        return header + b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> TagHistory:
        """Load what `to_bytes` wrote.

        Raises:
            CorruptDataError: For bytes that are not a whole history of this version.
        """
        try:
            magic, version, lg_k, days, max_tags, count = _HEADER.unpack_from(data, 0)
            if magic != _MAGIC or version != _VERSION or lg_k != LG_K:
                raise CorruptDataError("not a tag history of this version")
            out = cls(days=days, max_tags=max_tags)
            at = _HEADER.size
            for _ in range(count):
                day, uses, name_len, sketch_len = _ENTRY.unpack_from(data, at)
                at += _ENTRY.size
                name = bytes(data[at : at + name_len]).decode("utf-8")
                at += name_len
                blob = bytes(data[at : at + sketch_len])
                if len(blob) != sketch_len or uses < 1:
                    raise CorruptDataError("truncated tag history")
                at += sketch_len
                sketch = hll_sketch.deserialize(blob)
                out._by_day.setdefault(day, {})[name] = _Entry(uses, sketch)
            if at != len(data):
                raise CorruptDataError("trailing bytes after the tag history")
        except CorruptDataError:
            raise
        except (struct.error, UnicodeDecodeError, RuntimeError, ValueError) as exc:
            raise CorruptDataError(f"unreadable tag history: {exc}") from exc
        return out
