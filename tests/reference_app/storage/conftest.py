"""Fixtures of the storage contract suites: a fresh store of every engine in `ENGINES`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.reference_app.storage._registry import ENGINES
from twitterdesign.reference_app.storage import Store


@pytest.fixture(params=sorted(ENGINES))
def make_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Store]]:
    """Return a function that opens a fresh, empty store (disposed of after the test)."""
    engine = ENGINES[request.param]
    opened: list[Store] = []

    def make() -> Store:
        store = engine.open(tmp_path_factory.mktemp(request.param))
        opened.append(store)
        return store

    yield make
    for store in opened:
        engine.dispose(store)


@pytest.fixture
def store(make_store: Callable[[], Store]) -> Store:
    """A fresh, empty store of each registered engine."""
    return make_store()
