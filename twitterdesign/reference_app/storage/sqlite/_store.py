"""`SQLiteStore`: every area's SQLite mixin composed into one `Store`."""

from __future__ import annotations

from twitterdesign.reference_app.storage._protocols import Store
from twitterdesign.reference_app.storage.sqlite._accounts import SQLiteAccounts
from twitterdesign.reference_app.storage.sqlite._auth import SQLiteAuth
from twitterdesign.reference_app.storage.sqlite._bulk import SQLiteBulk
from twitterdesign.reference_app.storage.sqlite._curation import SQLiteCuration
from twitterdesign.reference_app.storage.sqlite._edits import SQLiteStatusEdits
from twitterdesign.reference_app.storage.sqlite._engagement import SQLiteEngagement
from twitterdesign.reference_app.storage.sqlite._filters import SQLiteFilters
from twitterdesign.reference_app.storage.sqlite._graph import SQLiteGraph
from twitterdesign.reference_app.storage.sqlite._media import SQLiteMedia
from twitterdesign.reference_app.storage.sqlite._notifications import SQLiteNotifications
from twitterdesign.reference_app.storage.sqlite._outbox import SQLiteOutbox
from twitterdesign.reference_app.storage.sqlite._relations import SQLiteBlocksMutes
from twitterdesign.reference_app.storage.sqlite._search import SQLiteSearch
from twitterdesign.reference_app.storage.sqlite._sketches import SQLiteSketches
from twitterdesign.reference_app.storage.sqlite._statuses import SQLiteStatuses

__all__ = ["SQLiteStore"]


class SQLiteStore(
    SQLiteAccounts,
    SQLiteAuth,
    SQLiteGraph,
    SQLiteBlocksMutes,
    SQLiteFilters,
    SQLiteStatusEdits,
    SQLiteStatuses,
    SQLiteEngagement,
    SQLiteMedia,
    SQLiteSearch,
    SQLiteNotifications,
    SQLiteOutbox,
    SQLiteSketches,
    SQLiteCuration,
    SQLiteBulk,
):
    """A `Store` on one SQLite file (WAL mode, FTS5 search, versioned migrations).

    Every area lives in its own mixin over the shared `SQLiteConnection`; each write is
    one transaction, so each protocol's units of work hold.

    Args:
        path: The database file (created with its directory if missing).
        synchronous: ``"FULL"`` (durable on power loss) or ``"NORMAL"``.

    Examples:
        >>> import tempfile, pathlib
        >>> d = tempfile.mkdtemp()
        >>> store = SQLiteStore(pathlib.Path(d) / "db.sqlite3")
        >>> store.create_user(1, "ada", "ada@example.org", "hash", 0).username
        'ada'
        >>> store.integrity_ok()
        True
        >>> store.close()
    """

    blocking_io: bool = False
    """An embedded engine: a call returns in microseconds, cheaper than a thread hop."""


def _implements_store(store: SQLiteStore) -> Store:
    return store  # mypy checks here that SQLiteStore satisfies every protocol
