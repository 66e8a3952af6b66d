"""The implementations every storage contract suite runs against.

Adding an implementation (Redis timelines, an S3 blob store) is one entry here; the
contract suites beside this module then run it through every guarantee.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from twitterdesign.reference_app.storage import (
    BlobStore,
    FileBlobStore,
    InMemoryBlobStore,
    InProcessTimelineStore,
    TimelineStore,
)

TimelineStoreFactory = Callable[[Path, int, "float | None"], TimelineStore]
"""Build an empty store: (scratch directory, capacity, inactivity window in seconds)."""

BlobStoreFactory = Callable[[Path], BlobStore]
"""Build an empty blob store in a scratch directory."""

TIMELINE_STORES: dict[str, TimelineStoreFactory] = {
    "in-process": lambda tmp, capacity, window: InProcessTimelineStore(
        capacity, inactive_after_s=window
    ),
}

BLOB_STORES: dict[str, BlobStoreFactory] = {
    "file": lambda tmp: FileBlobStore(tmp / "media"),
    "memory": lambda tmp: InMemoryBlobStore(),
    "memory-with-url": lambda tmp: InMemoryBlobStore(base_url="https://cdn.example/media/"),
}
