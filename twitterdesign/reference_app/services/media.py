"""Media: the lesson's blob store, content-addressed, and the CDN-style headers it needs.

Uploads are checked by their *bytes* (magic numbers), never by the client's declared type
or file name, limited in size, and stored once per distinct content under their SHA-256
(``media/ab/cd/<sha256>``). A stored blob never changes, so it is served with
``Cache-Control: public, max-age=31536000, immutable`` and its hash as ``ETag``.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.services._errors import NotFound, Unprocessable
from twitterdesign.reference_app.storage import MediaRecord, Store

__all__ = ["EXTENSIONS", "MediaService", "image_size", "sniff_image_type"]

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
"""Accepted content types and the file extension each is served under."""


def sniff_image_type(data: bytes) -> str | None:
    """Return the image content type recognised from the first bytes, or None.

    Examples:
        >>> sniff_image_type(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(20))
        'image/png'
        >>> sniff_image_type(b"<svg xmlns=...>") is None
        True
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_size(data: bytes, content_type: str) -> tuple[int, int] | None:
    """Return (width, height) read from the image header, or None if not found.

    Examples:
        >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00\\x00\\x00\\rIHDR" + (3).to_bytes(4, "big")
        >>> image_size(png + (2).to_bytes(4, "big"), "image/png")
        (3, 2)
    """
    try:
        if content_type == "image/png" and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if content_type == "image/gif":
            w, h = struct.unpack("<HH", data[6:10])
            return int(w), int(h)
        if content_type == "image/jpeg":
            return _jpeg_size(data)
        if content_type == "image/webp" and data[12:16] == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return w, h
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


class MediaService:
    """Accept, store and find uploaded images.

    Args:
        store: Where media metadata lives.
        ids: Snowflake ids.
        root: Blob store directory.
        max_bytes: Largest upload accepted.
        clock_ms: Current Unix time in milliseconds.
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        root: Path,
        *,
        max_bytes: int,
        clock_ms: Callable[[], int],
    ) -> None:
        self._store = store
        self._ids = ids
        self._root = Path(root)
        self._root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._now = clock_ms

    def blob_path(self, sha256: str) -> Path:
        """Return where the blob with this hash lives."""
        return self._root / sha256[:2] / sha256[2:4] / sha256

    def upload(self, account_id: int, data: bytes, description: str | None = None) -> MediaRecord:
        """Check, store (once per content) and record an image upload.

        Raises:
            Unprocessable: Empty, too large, or not a PNG/JPEG/GIF/WebP image.
        """
        if not data:
            raise Unprocessable("file is empty")
        if len(data) > self.max_bytes:
            raise Unprocessable(f"file is larger than the {self.max_bytes} byte limit")
        content_type = sniff_image_type(data)
        if content_type is None:
            raise Unprocessable("file type not supported: upload a PNG, JPEG, GIF or WebP image")
        if description is not None and len(description) > 1500:
            raise Unprocessable("description must be at most 1500 characters")
        digest = hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        size = image_size(data, content_type)
        record = MediaRecord(
            id=self._ids.next_id(),
            account_id=account_id,
            sha256=digest,
            content_type=content_type,
            size_bytes=len(data),
            width=size[0] if size else None,
            height=size[1] if size else None,
            description=description,
            status_id=None,
            created_at_ms=self._now(),
        )
        self._store.add_media(record)
        return record

    def get(self, media_id: int, account_id: int) -> MediaRecord:
        """Return one of the account's own media records, or raise NotFound."""
        record = self._store.get_media(media_id)
        if record is None or record.account_id != account_id:
            raise NotFound("Record not found")
        return record

    def find_blob(self, sha256: str) -> tuple[Path, str]:
        """Return (path, content type) of a stored blob, or raise NotFound."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFound("Record not found")
        record = self._store.media_by_hash(sha256)
        path = self.blob_path(sha256)
        if record is None or not path.exists():
            raise NotFound("Record not found")
        return path, record.content_type
