"""The PostgreSQL `Store`: the reference app on a database several processes share.

Install with ``pip install "twitterdesign[cluster]"``. The layout mirrors the SQLite
store: a connection module (pool, transactions, migrations), versioned migrations, and one
mixin per area (accounts, auth, graph, statuses, engagement, timelines, search,
notifications, outbox, media, sketches, idempotency) assembled into `PostgresStore`.
"""

from __future__ import annotations

from twitterdesign.reference_app.storage.postgres._connection import (
    DatabaseUnavailableError,
    mask_password,
)
from twitterdesign.reference_app.storage.postgres._store import PostgresStore

__all__ = ["DatabaseUnavailableError", "PostgresStore", "mask_password"]
