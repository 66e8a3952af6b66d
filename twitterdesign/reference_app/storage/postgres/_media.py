"""Media metadata (the bytes live in the blob store, addressed by their SHA-256)."""

from __future__ import annotations

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage._records import MediaRecord, row_of
from twitterdesign.reference_app.storage.postgres._connection import Connected, has_nul

__all__ = ["MEDIA_COLS", "MediaMixin"]

MEDIA_COLS = (
    "id, account_id, sha256, content_type, size_bytes, width, height, description, status_id, "
    "created_at"
)


class MediaMixin(Connected):
    """Media records."""

    def add_media(self, media: MediaRecord) -> None:
        """Store media metadata."""
        if has_nul(media.description):
            raise InvalidParameterError(
                "description", media.description, "text without NUL characters"
            )
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO media({MEDIA_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                row_of(media),
            )

    def get_media(self, media_id: int) -> MediaRecord | None:
        """Return one media record."""
        rows = self._q(f"SELECT {MEDIA_COLS} FROM media WHERE id = %s", (media_id,))
        return MediaRecord(*rows[0]) if rows else None

    def media_by_hash(self, sha256: str) -> MediaRecord | None:
        """Return any media record with these bytes (the oldest)."""
        if has_nul(sha256):
            return None
        rows = self._q(
            f"SELECT {MEDIA_COLS} FROM media WHERE sha256 = %s ORDER BY id LIMIT 1", (sha256,)
        )
        return MediaRecord(*rows[0]) if rows else None

    def update_media_description(self, media_id: int, description: str | None) -> None:
        """Change a media description."""
        if has_nul(description):
            raise InvalidParameterError("description", description, "text without NUL characters")
        with self._tx() as conn:
            conn.execute("UPDATE media SET description = %s WHERE id = %s", (description, media_id))
