"""Small valid images for upload tests: PNG built byte by byte, the rest with Pillow."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int = 3, height: int = 2, *, text: bytes | None = None) -> bytes:
    """Return a valid grayscale PNG of the given size (with a ``tEXt`` chunk if given)."""
    raw = b"".join(b"\x00" + bytes(width) for _ in range(height))
    extra = _chunk(b"tEXt", b"Comment\x00" + text) if text is not None else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + extra
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG that *claims* a size, with a tiny (truncated) pixel stream."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(bytes(64)))
        + _chunk(b"IEND", b"")
    )


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    """Return ``image`` encoded in ``fmt`` by Pillow."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def gif(width: int = 4, height: int = 5) -> bytes:
    """Return a valid one-frame GIF of the given size."""
    return encode(Image.new("P", (width, height), 3), "GIF")


def animated_gif(colors: list[tuple[int, int, int]], *, size: tuple[int, int] = (8, 6)) -> bytes:
    """Return an animated GIF with one solid frame per colour, 70 ms each, looping."""
    frames = [Image.new("RGB", size, c) for c in colors]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=70, loop=0)


def halves(width: int, height: int) -> Image.Image:
    """Return an RGB image whose left half is red and right half blue."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image
