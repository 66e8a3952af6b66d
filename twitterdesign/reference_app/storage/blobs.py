"""The blob seam: content-addressed, immutable media bytes.

`BlobStore` is the lesson's blob store: bytes go in, their SHA-256 (hex) comes out as the
key, and a key's bytes never change, so anything in front of it (a CDN, a browser) may
cache them forever. `FileBlobStore` keeps them in a local directory in the layout the app
has always used (``<directory>/ab/cd/<sha256>``), so existing data directories keep
working; `InMemoryBlobStore` is for tests. An object store (S3 and the like) implements
the same five methods; when it can serve the bytes itself, `BlobStore.url` gives the
public address and the app redirects there instead of serving them.

Every key argument is checked: anything but 64 lowercase hex digits (a path like
``../../etc/passwd`` included) raises `twitterdesign.errors.InvalidParameterError`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from twitterdesign.errors import InvalidParameterError

__all__ = [
    "BlobStore",
    "FileBlobStore",
    "InMemoryBlobStore",
    "blob_key",
    "check_blob_key",
    "is_blob_key",
]

_HEX = frozenset("0123456789abcdef")


def blob_key(data: bytes) -> str:
    """Return the key ``data`` is stored under: its SHA-256, in lowercase hex.

    Examples:
        >>> blob_key(b"")[:16]
        'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def is_blob_key(key: object) -> bool:
    """Return True if ``key`` is a well-formed blob key (64 lowercase hex digits)."""
    return isinstance(key, str) and len(key) == 64 and _HEX.issuperset(key)


def check_blob_key(key: object) -> str:
    """Return ``key`` if it is a well-formed blob key, else raise.

    Raises:
        InvalidParameterError: If ``key`` is not 64 lowercase hex digits (so no path
            separator, ``..`` or other path trick ever reaches a file system).

    Examples:
        >>> try:
        ...     check_blob_key("../../etc/passwd")
        ... except ValueError as exc:
        ...     print(exc.args[0][:33])
        invalid key='../../etc/passwd': e
    """
    if not is_blob_key(key):
        raise InvalidParameterError("key", key, "a SHA-256 digest: 64 lowercase hex digits")
    assert isinstance(key, str)
    return key


@runtime_checkable
class BlobStore(Protocol):
    """Immutable bytes under their SHA-256: put, get, exists, delete, and a public URL.

    Every key argument is validated (`check_blob_key`); a malformed key raises
    `twitterdesign.errors.InvalidParameterError`, a well-formed unknown key is simply
    absent.
    """

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its key (`blob_key`).

        Idempotent: storing the same bytes again returns the same key and writes nothing
        new. Atomic: a concurrent `get` sees either nothing or all the bytes, never a
        partial blob, even if the writer dies half way.
        """
        ...

    def get(self, key: str) -> bytes | None:
        """Return the bytes stored under ``key``, or None if there are none."""
        ...

    def exists(self, key: str) -> bool:
        """Return True if bytes are stored under ``key``."""
        ...

    def delete(self, key: str) -> bool:
        """Delete the bytes under ``key``; True if there were any."""
        ...

    def url(self, key: str) -> str | None:
        """Return a public URL the bytes can be fetched from, or None if the app serves them."""
        ...


class FileBlobStore:
    """Blobs as files under a local directory: ``<directory>/ab/cd/<sha256>``.

    Args:
        directory: The root directory; created if missing.

    Examples:
        >>> import tempfile
        >>> blobs = FileBlobStore(tempfile.mkdtemp())
        >>> key = blobs.put(b"pixels")
        >>> blobs.get(key), blobs.path(key).parent.name == key[2:4]
        (b'pixels', True)
        >>> blobs.delete(key), blobs.get(key)
        (True, None)
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """Return the file the blob with this key lives in (whether or not it exists)."""
        k = check_blob_key(key)
        return self.directory / k[:2] / k[2:4] / k

    def put(self, data: bytes) -> str:
        """Write ``data`` once, atomically (temporary file, fsync, rename); return its key."""
        key = blob_key(data)
        path = self.path(key)
        if path.exists():
            return key
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
        return key

    def get(self, key: str) -> bytes | None:
        """Return the blob's bytes, or None if it is not stored."""
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def exists(self, key: str) -> bool:
        """Return True if the blob is stored."""
        return self.path(key).is_file()

    def delete(self, key: str) -> bool:
        """Delete the blob's file; True if there was one."""
        path = self.path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def url(self, key: str) -> str | None:
        """Return None: local files are served by the app itself."""
        check_blob_key(key)
        return None


class InMemoryBlobStore:
    """Blobs in a dict, for tests and throwaway apps; ``base_url`` makes `url` return links.

    Args:
        base_url: If set, `url` returns ``base_url + key`` (as an object store behind a
            CDN would); if None the app serves the bytes.

    Examples:
        >>> blobs = InMemoryBlobStore(base_url="https://cdn.example/")
        >>> key = blobs.put(b"x")
        >>> blobs.url(key) == "https://cdn.example/" + key
        True
    """

    def __init__(self, *, base_url: str | None = None) -> None:
        self.base_url = base_url
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes) -> str:
        """Keep ``data`` once; return its key."""
        key = blob_key(data)
        with self._lock:
            self._blobs.setdefault(key, bytes(data))
        return key

    def get(self, key: str) -> bytes | None:
        """Return the blob's bytes, or None."""
        return self._blobs.get(check_blob_key(key))

    def exists(self, key: str) -> bool:
        """Return True if the blob is held."""
        return check_blob_key(key) in self._blobs

    def delete(self, key: str) -> bool:
        """Forget the blob; True if it was held."""
        k = check_blob_key(key)
        with self._lock:
            return self._blobs.pop(k, None) is not None

    def url(self, key: str) -> str | None:
        """Return ``base_url + key`` if a base URL was given, else None."""
        k = check_blob_key(key)
        return None if self.base_url is None else self.base_url + k
