"""Media metadata on SQLite: `MediaStore`."""

from __future__ import annotations

from twitterdesign.reference_app.storage._records import MediaRecord, row_of
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection, qmarks

__all__ = ["MEDIA_COLS", "SQLiteMedia"]

MEDIA_COLS = (
    "id, account_id, sha256, content_type, size_bytes, width, height, description, status_id, "
    "created_at"
)


class SQLiteMedia(SQLiteConnection):
    """`MediaStore` over the shared connection: the ``media`` table."""

    def add_media(self, media: MediaRecord) -> None:
        """Store media metadata."""
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO media({MEDIA_COLS}) VALUES ({qmarks(10)})",
                row_of(media),
            )

    def get_media(self, media_id: int) -> MediaRecord | None:
        """Return one media record."""
        rows = self._q(f"SELECT {MEDIA_COLS} FROM media WHERE id = ?", (media_id,))
        return MediaRecord(*rows[0]) if rows else None

    def media_by_hash(self, sha256: str) -> MediaRecord | None:
        """Return any media record with these bytes."""
        rows = self._q(f"SELECT {MEDIA_COLS} FROM media WHERE sha256 = ? LIMIT 1", (sha256,))
        return MediaRecord(*rows[0]) if rows else None

    def update_media_description(self, media_id: int, description: str | None) -> None:
        """Change a media description."""
        with self._tx() as conn:
            conn.execute("UPDATE media SET description = ? WHERE id = ?", (description, media_id))
