"""Bookmarks, markers, lists and followed tags on SQLite: `CurationStore`."""

from __future__ import annotations

from twitterdesign.reference_app.storage._curation_sql import CurationSQL
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection

__all__ = ["SQLiteCuration"]


class SQLiteCuration(SQLiteConnection, CurationSQL):
    """`CurationStore` over the shared connection (the statements are `CurationSQL`'s)."""

    _MARK = "?"
