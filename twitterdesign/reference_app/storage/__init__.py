"""Storage: small protocols by area, the records they return, and the SQLite engine.

The services talk only to the protocols (`Store` is all of them together, plus
``close``); `SQLiteStore` (WAL, FTS5, migrations) is the default so
``twitterdesign serve`` needs nothing installed. Another engine plugs in by implementing
the same protocols and passing the contract suite in ``tests/reference_app/storage``.
Each protocol's docstring states its units of work; `Page` states the paging contract.
"""

from __future__ import annotations

from twitterdesign.reference_app.storage._curation import (
    MARKER_TIMELINES,
    REPLIES_POLICIES,
    BookmarkStore,
    CurationStore,
    FavouriteListStore,
    ListRecord,
    ListStore,
    MarkerRecord,
    MarkerStore,
    TagDay,
    TagFollowStore,
)
from twitterdesign.reference_app.storage._protocols import (
    AccountStore,
    AuthStore,
    BlockMuteStore,
    FilterStore,
    GraphStore,
    IdempotencyStore,
    MediaStore,
    NotificationStore,
    OutboxStore,
    ProfileStore,
    SearchStore,
    SketchStore,
    StatusEditStore,
    StatusStore,
    Store,
)
from twitterdesign.reference_app.storage._records import (
    VISIBILITIES,
    AccountRecord,
    AccountRelations,
    AppRecord,
    AuthCodeRecord,
    FilterKeywordRecord,
    FilterRecord,
    MediaRecord,
    NotificationRecord,
    Page,
    StatusEditRecord,
    StatusRecord,
    TokenRecord,
)
from twitterdesign.reference_app.storage.blobs import BlobStore, FileBlobStore, InMemoryBlobStore
from twitterdesign.reference_app.storage.counters import (
    COUNTER_FIELDS,
    CounterDeltas,
    CounterEvent,
    DeferredCounterStore,
    ViewCounterStore,
    counter_key_prefixes,
)
from twitterdesign.reference_app.storage.sqlite import SQLiteStore
from twitterdesign.reference_app.storage.timelines import (
    HomeRead,
    InProcessTimelineStore,
    TimelineStore,
)

__all__ = [
    "COUNTER_FIELDS",
    "MARKER_TIMELINES",
    "REPLIES_POLICIES",
    "VISIBILITIES",
    "AccountRecord",
    "AccountRelations",
    "AccountStore",
    "AppRecord",
    "AuthCodeRecord",
    "AuthStore",
    "BlobStore",
    "BlockMuteStore",
    "BookmarkStore",
    "CounterDeltas",
    "CounterEvent",
    "CurationStore",
    "DeferredCounterStore",
    "FavouriteListStore",
    "FileBlobStore",
    "FilterKeywordRecord",
    "FilterRecord",
    "FilterStore",
    "GraphStore",
    "HomeRead",
    "IdempotencyStore",
    "InMemoryBlobStore",
    "InProcessTimelineStore",
    "ListRecord",
    "ListStore",
    "MarkerRecord",
    "MarkerStore",
    "MediaRecord",
    "MediaStore",
    "NotificationRecord",
    "NotificationStore",
    "OutboxStore",
    "Page",
    "ProfileStore",
    "SQLiteStore",
    "SearchStore",
    "SketchStore",
    "StatusEditRecord",
    "StatusEditStore",
    "StatusRecord",
    "StatusStore",
    "Store",
    "TagDay",
    "TagFollowStore",
    "TimelineStore",
    "TokenRecord",
    "ViewCounterStore",
    "counter_key_prefixes",
]
