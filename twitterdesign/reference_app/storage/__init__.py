"""Storage: the ``Store`` protocol and its embedded SQLite implementation.

The services talk only to `Store`; `SQLiteStore` (WAL, FTS5, migrations) is
the default so ``twitterdesign serve`` needs nothing installed. Another engine plugs in by
implementing the same protocol.
"""

from __future__ import annotations

from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage._base import (
    VISIBILITIES,
    AccountRecord,
    AppRecord,
    AuthCodeRecord,
    MediaRecord,
    NotificationRecord,
    Page,
    StatusRecord,
    Store,
    TokenRecord,
)
from twitterdesign.reference_app.storage._sqlite import SQLiteStore, fts_query
from twitterdesign.reference_app.storage.blobs import BlobStore, FileBlobStore, InMemoryBlobStore
from twitterdesign.reference_app.storage.counters import ViewCounterStore
from twitterdesign.reference_app.storage.timelines import InProcessTimelineStore, TimelineStore

__all__ = [
    "VISIBILITIES",
    "AccountRecord",
    "AppRecord",
    "AuthCodeRecord",
    "BlobStore",
    "ConflictError",
    "FileBlobStore",
    "InMemoryBlobStore",
    "InProcessTimelineStore",
    "MediaRecord",
    "NotificationRecord",
    "Page",
    "SQLiteStore",
    "StatusRecord",
    "Store",
    "TimelineStore",
    "TokenRecord",
    "ViewCounterStore",
    "fts_query",
]
