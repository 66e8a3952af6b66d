"""The `BlobStore` contract: every implementation in the registry passes all of it."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.storage._registry import BLOB_STORES
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage import BlobStore, FileBlobStore

stores = pytest.mark.parametrize("name", sorted(BLOB_STORES))

_UNKNOWN = "0" * 64
_BAD_KEYS = [
    "",
    "../" * 8 + "etc/passwd",
    "ab/../../../../etc/passwd",
    "/etc/passwd",
    "..",
    "a" * 63,
    "a" * 65,
    "A" * 64,  # upper case: not how keys are spelled
    "g" * 64,
    "a" * 32 + "/" + "a" * 31,
    "a" * 63 + "\x00",
    "a" * 62 + "..",
]


@stores
def test_implements_the_protocol(name: str, tmp_path: Path) -> None:
    store = BLOB_STORES[name](tmp_path)
    assert isinstance(store, BlobStore)


@stores
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2048))
def test_put_is_content_addressed_and_idempotent(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = BLOB_STORES[name](Path(tmp))
        key = store.put(data)
        assert key == hashlib.sha256(data).hexdigest()
        assert store.put(data) == key
        assert store.exists(key)
        assert store.get(key) == data
        url = store.url(key)
        assert url is None or (isinstance(url, str) and key in url)


@stores
def test_unknown_key_is_absent(name: str, tmp_path: Path) -> None:
    store = BLOB_STORES[name](tmp_path)
    assert store.get(_UNKNOWN) is None
    assert not store.exists(_UNKNOWN)
    assert not store.delete(_UNKNOWN)


@stores
def test_delete_removes_only_that_blob(name: str, tmp_path: Path) -> None:
    store = BLOB_STORES[name](tmp_path)
    a, b = store.put(b"first"), store.put(b"second")
    assert store.delete(a)
    assert store.get(a) is None
    assert not store.exists(a)
    assert not store.delete(a)
    assert store.get(b) == b"second"
    assert store.put(b"first") == a  # stored again after a delete
    assert store.get(a) == b"first"


@stores
@pytest.mark.parametrize("key", _BAD_KEYS)
def test_path_tricks_are_refused(name: str, key: str, tmp_path: Path) -> None:
    store = BLOB_STORES[name](tmp_path)
    for call in (store.get, store.exists, store.delete, store.url):
        with pytest.raises(InvalidParameterError, match="SHA-256"):
            call(key)


@stores
def test_concurrent_puts_of_the_same_bytes_store_one_blob(name: str, tmp_path: Path) -> None:
    store = BLOB_STORES[name](tmp_path)
    data = bytes(range(256)) * 1024
    keys: list[str] = []
    barrier = threading.Barrier(6)

    def put() -> None:
        barrier.wait()
        keys.append(store.put(data))

    threads = [threading.Thread(target=put) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert store.get(keys[0]) == data


def test_file_store_keeps_the_ab_cd_layout(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "media")
    key = store.put(b"pixels")
    path = tmp_path / "media" / key[:2] / key[2:4] / key
    assert path.read_bytes() == b"pixels"
    assert store.path(key) == path
    leftovers = [p for p in (tmp_path / "media").rglob("*") if p.name.startswith(".upload-")]
    assert leftovers == []  # the temporary file was renamed into place


def test_file_store_reads_blobs_written_before_it_existed(tmp_path: Path) -> None:
    data = b"written by an older version"
    key = hashlib.sha256(data).hexdigest()
    old = tmp_path / "media" / key[:2] / key[2:4] / key
    old.parent.mkdir(parents=True)
    old.write_bytes(data)
    store = FileBlobStore(tmp_path / "media")
    assert store.exists(key)
    assert store.get(key) == data
    assert store.put(data) == key
    assert old.read_bytes() == data
