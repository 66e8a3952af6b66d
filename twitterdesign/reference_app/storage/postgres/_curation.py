"""Bookmarks, markers, lists and followed tags on PostgreSQL: `CurationStore`."""

from __future__ import annotations

from twitterdesign.reference_app.storage._curation_sql import CurationSQL
from twitterdesign.reference_app.storage.postgres._connection import Connected

__all__ = ["CurationMixin"]


class CurationMixin(Connected, CurationSQL):
    """`CurationStore` on the pool (the statements are `CurationSQL`'s, with ``%s`` marks)."""

    _MARK = "%s"
    _SHARE_LOCK = " FOR SHARE"
