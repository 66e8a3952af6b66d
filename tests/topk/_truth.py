"""Independent truth for the top-k tests: plain dictionaries, no code under test."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def true_counts(stream: Iterable[tuple[Any, int]]) -> dict[Any, int]:
    """Sum weights per item with a plain dict."""
    out: dict[Any, int] = {}
    for item, w in stream:
        out[item] = out.get(item, 0) + int(w)
    return out


def feed(sketch: Any, stream: list[tuple[Any, int]], *, batch: int) -> None:
    """Feed ``stream`` per item (batch == 0) or in update_many chunks of ``batch``."""
    if batch == 0:
        for item, w in stream:
            sketch.update(item, w)
        return
    for i in range(0, len(stream), batch):
        chunk = stream[i : i + batch]
        sketch.update_many([x for x, _ in chunk], [w for _, w in chunk])
