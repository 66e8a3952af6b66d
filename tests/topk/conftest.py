"""Run the packed and hash-grouped batch paths on the small batches tests generate.

The production thresholds (`_packed.MIN_PACKED`, `_packed.MIN_GROUPED`,
`_base._INT_GROUPED`) only choose between two exact paths by speed; lowered here, the
property tests drive both paths: batches of 16 or more items take the vectorized one,
smaller and mixed batches the dict and sort ones. HeavyKeeper's batch replay likewise
runs its numpy rounds down to two buckets (`_hk_rows._MIN_ROUND`), then its loop.
`test_packed.py` checks the production thresholds themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from twitterdesign.topk import _base, _hk_rows, _packed

LOW = 16


@pytest.fixture(autouse=True, scope="package")
def small_batches_take_the_vectorized_paths() -> Iterator[None]:
    saved = (_packed.MIN_PACKED, _packed.MIN_GROUPED, _base._INT_GROUPED, _hk_rows._MIN_ROUND)
    _packed.MIN_PACKED = _packed.MIN_GROUPED = _base._INT_GROUPED = LOW
    _hk_rows._MIN_ROUND = 2
    yield
    _packed.MIN_PACKED, _packed.MIN_GROUPED, _base._INT_GROUPED, _hk_rows._MIN_ROUND = saved
