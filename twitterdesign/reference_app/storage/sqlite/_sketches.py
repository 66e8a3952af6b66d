"""Serialized top-k sketches on SQLite: `SketchStore`."""

from __future__ import annotations

from twitterdesign.reference_app.storage._sql import like_prefix
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection

__all__ = ["SQLiteSketches"]


class SQLiteSketches(SQLiteConnection):
    """`SketchStore` over the shared connection: the ``blobs`` table (its name from v1)."""

    def save_sketch(self, name: str, data: bytes, now_ms: int) -> None:
        """Persist (or replace) a named serialized sketch."""
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO blobs(name, data, updated_at) VALUES (?, ?, ?)",
                (name, data, now_ms),
            )

    def load_sketch(self, name: str) -> bytes | None:
        """Return a named sketch saved before, if any."""
        rows = self._q("SELECT data FROM blobs WHERE name = ?", (name,))
        return bytes(rows[0][0]) if rows else None

    def sketch_names(self, prefix: str) -> list[str]:
        """Return the names of saved sketches that start with ``prefix``, sorted."""
        like = like_prefix(prefix)
        rows = self._q("SELECT name FROM blobs WHERE name LIKE ? ESCAPE '\\'", (like,))
        return sorted(str(r[0]) for r in rows)
