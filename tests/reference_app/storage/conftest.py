"""The storage contract suite's engines: every engine registered here runs every contract.

Adding an engine is one line in `ENGINES`: a name, a function that opens a new, empty
store whose files (if any) live under the directory it is given, and a function that
disposes of it (close connections, drop the database).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from twitterdesign.reference_app.storage import SQLiteStore, Store


@dataclass(frozen=True)
class Engine:
    """How the contract suite gets a fresh store of one implementation, and disposes of it."""

    open: Callable[[Path], Store]
    dispose: Callable[[Store], None]


def _open_sqlite(tmp: Path) -> Store:
    return SQLiteStore(tmp / "db.sqlite3")


def _close(store: Store) -> None:
    store.close()


ENGINES: dict[str, Engine] = {
    "sqlite": Engine(open=_open_sqlite, dispose=_close),
}
"""Every implementation of `Store` the contract suite runs against."""


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
