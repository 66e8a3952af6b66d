"""The `ViewCounterStore` contract: flushed batches add up, from any number of flushers."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.reference_app.storage._registry import VIEW_COUNTERS
from twitterdesign.reference_app.storage import ViewCounterStore

counters = pytest.mark.parametrize("name", sorted(VIEW_COUNTERS))


@counters
def test_batches_add_up_and_unknown_ids_are_ignored(name: str, tmp_path: Path) -> None:
    fx = VIEW_COUNTERS[name](tmp_path)
    try:
        assert isinstance(fx.counter, ViewCounterStore)
        a, b, *_ = fx.status_ids
        fx.counter.add_views({})
        fx.counter.add_views({a: 3, b: 1})
        fx.counter.add_views({a: 2, 999_999_999: 5})
        totals = fx.totals()
        assert (totals[a], totals[b]) == (5, 1)
        assert sum(totals.values()) == 6
    finally:
        fx.close()


@counters
def test_concurrent_flushers_lose_nothing(name: str, tmp_path: Path) -> None:
    fx = VIEW_COUNTERS[name](tmp_path)
    try:
        expected: Counter[int] = Counter()
        batches = [
            dict.fromkeys(fx.status_ids[worker % 2 :: 2], (worker + i) % 3 + 1)
            for worker in range(4)
            for i in range(10)
        ]
        for batch in batches:
            expected.update(batch)

        def flush(mine: list[dict[int, int]]) -> None:
            for batch in mine:
                fx.counter.add_views(batch)

        threads = [threading.Thread(target=flush, args=(batches[w::4],)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert fx.totals() == {sid: expected[sid] for sid in fx.status_ids}
    finally:
        fx.close()
