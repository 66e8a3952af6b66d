"""Named binary sketches (serialized top-k and count-min state) saved between restarts."""

from __future__ import annotations

from twitterdesign.reference_app.storage._sql import like_prefix
from twitterdesign.reference_app.storage.postgres._connection import Connected, has_nul

__all__ = ["SketchesMixin"]


class SketchesMixin(Connected):
    """``save_sketch``, ``load_sketch``, ``sketch_names``."""

    def save_sketch(self, name: str, data: bytes, now_ms: int) -> None:
        """Persist a named sketch, replacing any previous one of that name."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO sketches(name, data, updated_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, "
                "updated_at = EXCLUDED.updated_at",
                (name, data, now_ms),
            )

    def load_sketch(self, name: str) -> bytes | None:
        """Return a named sketch saved before, if any."""
        if has_nul(name):
            return None
        rows = self._q("SELECT data FROM sketches WHERE name = %s", (name,))
        return bytes(rows[0][0]) if rows else None

    def sketch_names(self, prefix: str) -> list[str]:
        """Return the names of saved sketches that start with ``prefix``, sorted."""
        if has_nul(prefix):
            return []
        rows = self._q(
            "SELECT name FROM sketches WHERE name LIKE %s ESCAPE '\\'", (like_prefix(prefix),)
        )
        return sorted(str(r[0]) for r in rows)
