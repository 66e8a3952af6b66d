"""Media: the lesson's blob store, content-addressed, and the CDN-style headers it needs.

Uploads are checked by their *bytes* (magic numbers), never by the client's declared type
or file name, limited in size, and then **decoded and encoded again** with Pillow, so what
is stored is only the pixels: a PNG with a PHP script or an HTML page after it, a GIF
header in front of anything, comments, text chunks, colour profiles and EXIF data
(including GPS positions) are all left behind. The EXIF orientation is applied first, so
photos stay upright; animated GIF, PNG and WebP images stay animated. The image's size
is checked from its header *before* any pixel is decoded, against ``max_pixels`` for one
frame and for all frames together (and animations at ``MAX_FRAMES``), so a small file
that would decode to gigabytes (a decompression bomb) is refused. Blobs are stored once
per distinct content under their SHA-256 (``media/ab/cd/<sha256>``); a stored blob never
changes, so it is served with ``Cache-Control: public, max-age=31536000, immutable`` and
its hash as ``ETag``. The bytes live in a `BlobStore` (a local directory by default, an
object store in cluster mode); this module only ever calls its protocol.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageSequence

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import NotFound, Unprocessable
from twitterdesign.reference_app.storage import BlobStore, MediaRecord, Store
from twitterdesign.reference_app.storage.blobs import is_blob_key

__all__ = [
    "EXTENSIONS",
    "MAX_FRAMES",
    "MAX_PIXELS",
    "Blob",
    "CleanImage",
    "MediaService",
    "clean_image",
    "sniff_image_type",
]

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
"""Accepted content types and the file extension each is served under."""

MAX_PIXELS = 16_777_216
"""Default pixel limit of an image (4096 x 4096), Mastodon's ``image_matrix_limit``."""

MAX_FRAMES = 1_000
"""Most frames of an animated image (tiny frames cost little in pixels but much in time)."""

_PILLOW_FORMAT = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
_ORIENTATION = 0x0112  # the EXIF tag
# EXIF orientation -> the transpose that makes the image upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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


@dataclass(frozen=True, slots=True)
class CleanImage:
    """An image decoded and encoded again: pixels only, upright.

    Attributes:
        data: The encoded bytes to store.
        content_type: Its type, the same as the upload's.
        width: Width in pixels, after the EXIF orientation was applied.
        height: Height in pixels, after the EXIF orientation was applied.
    """

    data: bytes
    content_type: str
    width: int
    height: int


def clean_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """Decode an uploaded image and encode its pixels again, with nothing else.

    Args:
        data: The uploaded bytes.
        max_pixels: Most pixels of one frame, and of all frames of an animation together.

    Returns:
        The re-encoded image (same format), without metadata, upright.

    Raises:
        Unprocessable: Not a PNG, JPEG, GIF or WebP image; undecodable (truncated,
            corrupt); or larger than ``max_pixels``.

    Examples:
        >>> from PIL import Image
        >>> buf = io.BytesIO()
        >>> Image.new("RGB", (3, 2), "red").save(buf, "PNG")
        >>> clean = clean_image(buf.getvalue() + b"<?php echo 1; ?>")
        >>> (clean.content_type, clean.width, clean.height, b"<?php" in clean.data)
        ('image/png', 3, 2, False)
    """
    content_type = sniff_image_type(data)
    if content_type is None:
        raise Unprocessable("file type not supported: upload a PNG, JPEG, GIF or WebP image")
    try:
        # Only the decoder of the sniffed format may read the bytes.
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[content_type]]) as im:
            return _reencode(im, content_type, max_pixels)
    except Unprocessable:
        raise
    except Image.DecompressionBombError:  # Pillow's own, far higher, limit
        raise Unprocessable(_too_large(max_pixels)) from None
    except Exception as exc:
        # Hostile bytes reach many decoder errors: Pillow reports corrupt input as
        # OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error... by
        # decoder; all mean the same thing to the client.
        raise Unprocessable(
            f"file is not a valid {content_type.split('/')[1].upper()} image ({type(exc).__name__})"
        ) from None


def _too_large(max_pixels: int) -> str:
    return f"image is too large: at most {max_pixels} pixels (all frames together)"


def _reencode(im: Image.Image, content_type: str, max_pixels: int) -> CleanImage:
    width, height = im.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise Unprocessable(_too_large(max_pixels))
    upright = _UPRIGHT.get(int(im.getexif().get(_ORIENTATION, 1) or 1))
    frames: list[Image.Image] = []
    durations: list[int] = []
    for index, frame in enumerate(ImageSequence.Iterator(im)):
        # Checked before each frame is decoded: an animation is refused as soon as it
        # passes either budget, without walking the rest of the file.
        if index >= MAX_FRAMES:
            raise Unprocessable(f"animation has too many frames: at most {MAX_FRAMES}")
        if (index + 1) * width * height > max_pixels:
            raise Unprocessable(_too_large(max_pixels))
        frame.load()
        pixels = frame.copy()
        # Only what draws the pixels survives: no EXIF, ICC, XMP, comments or text.
        kept: dict[str | tuple[int, int], Any] = {}
        if "transparency" in frame.info:
            kept["transparency"] = frame.info["transparency"]
        if upright is not None:
            pixels = pixels.transpose(upright)
        pixels.info = kept
        frames.append(pixels)
        durations.append(int(frame.info.get("duration", 100) or 100))
    out = io.BytesIO()
    first, rest = frames[0], frames[1:]
    fmt = _PILLOW_FORMAT[content_type]
    options: dict[str, object] = {}
    if rest:
        options = {
            "save_all": True,
            "append_images": rest,
            "duration": durations,
            "loop": int(im.info.get("loop", 0) or 0),
        }
    if fmt == "JPEG":
        if first.mode not in ("L", "RGB", "CMYK"):
            first = first.convert("RGB")
        options.update(quality=90)
    elif fmt == "WEBP":
        options.update(quality=90)
    first.save(out, fmt, **options)
    return CleanImage(out.getvalue(), content_type, first.width, first.height)


@dataclass(frozen=True, slots=True)
class Blob:
    """A stored blob as the media route serves it.

    Attributes:
        sha256: The content hash (the blob's key and its ``ETag``).
        content_type: The image type recorded at upload.
        data: The bytes, or None when ``url`` is set (the bytes are not fetched then).
        url: A public URL the blob store serves the bytes from, or None.
        created_at_ms: When the content was first uploaded (its ``Last-Modified``).
    """

    sha256: str
    content_type: str
    data: bytes | None
    url: str | None
    created_at_ms: int


class MediaService:
    """Accept, store and find uploaded images.

    Args:
        store: Where media metadata lives.
        ids: Snowflake ids.
        blobs: Where the image bytes live.
        max_bytes: Largest upload accepted.
        clock_ms: Current Unix time in milliseconds.
        max_pixels: Most pixels of an image (of all its frames, if animated).
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        blobs: BlobStore,
        *,
        max_bytes: int,
        clock_ms: Callable[[], int],
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        self._store = store
        self._ids = ids
        self.blobs = blobs
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self._now = clock_ms

    def upload(self, account_id: int, data: bytes, description: str | None = None) -> MediaRecord:
        """Check, clean (`clean_image`), store (once per content) and record an image.

        Raises:
            Unprocessable: Empty, too many bytes or pixels, not a PNG/JPEG/GIF/WebP
                image, or not decodable as one.
        """
        if not data:
            raise Unprocessable("file is empty")
        if len(data) > self.max_bytes:
            raise Unprocessable(f"file is larger than the {self.max_bytes} byte limit")
        if description is not None and len(description) > 1500:
            raise Unprocessable("description must be at most 1500 characters")
        image = clean_image(data, max_pixels=self.max_pixels)
        digest = self.blobs.put(image.data)
        record = MediaRecord(
            id=self._ids.next_id(),
            account_id=account_id,
            sha256=digest,
            content_type=image.content_type,
            size_bytes=len(image.data),
            width=image.width,
            height=image.height,
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

    def update_description(
        self, account_id: int, media_id: int, description: str | None
    ) -> MediaRecord:
        """Change the description of one of the account's own media; return it updated.

        Raises:
            NotFound: The media does not exist or belongs to another account.
        """
        record = self.get(media_id, account_id)
        self._store.update_media_description(record.id, description)
        return self.get(record.id, account_id)

    def find_blob(self, sha256: str, *, with_data: bool = True) -> Blob:
        """Return a recorded blob: its URL if the blob store has one, else its bytes.

        Args:
            sha256: The content hash from the media URL (anything else is not found).
            with_data: False to check existence only (a conditional request that will
                answer 304 needs no bytes).

        Raises:
            NotFound: A malformed hash, no media record with it, or no stored bytes.
        """
        if not is_blob_key(sha256):
            raise NotFound("Record not found")
        record = self._store.media_by_hash(sha256)
        if record is None:
            raise NotFound("Record not found")
        url = self.blobs.url(sha256)
        data: bytes | None = None
        if url is None:
            if with_data:
                data = self.blobs.get(sha256)
                found = data is not None
            else:
                found = self.blobs.exists(sha256)
            if not found:
                raise NotFound("Record not found")
        return Blob(sha256, record.content_type, data, url, record.created_at_ms)
