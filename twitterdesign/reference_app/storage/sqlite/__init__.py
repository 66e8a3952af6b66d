"""The embedded default store: SQLite in WAL mode, with FTS5 full-text search.

Only `SQLiteStore` is public; the modules inside are one per storage area (accounts,
auth, graph, statuses, engagement, search, notifications, outbox, media, sketches) over
one shared connection base, plus the schema migrations.
"""

from __future__ import annotations

from twitterdesign.reference_app.storage.sqlite._store import SQLiteStore

__all__ = ["SQLiteStore"]
