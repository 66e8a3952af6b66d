"""Settings URLs and the one factory that opens the stores behind `Services`."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.reference_app._images import png
from tests.reference_app.conftest import FAST, Api, make_settings
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app import Settings, create_app
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.services._factory import (
    open_blob_store,
    open_store,
    open_timeline_store,
)
from twitterdesign.reference_app.storage import (
    FileBlobStore,
    InMemoryBlobStore,
    InProcessTimelineStore,
    SQLiteStore,
)


def test_defaults_resolve_inside_the_data_dir(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert (s.database_url, s.cache_url, s.blob_url) == (None, "memory://", None)
    assert s.resolved_database_url == f"sqlite:///{tmp_path}/twitterdesign.sqlite3"
    assert s.resolved_cache_url == "memory://"
    assert s.resolved_blob_url == f"file://{tmp_path}/media"
    assert s.database_path == tmp_path / "twitterdesign.sqlite3"
    assert s.media_dir == tmp_path / "media"


def test_urls_come_from_the_environment_and_round_trip(tmp_path: Path) -> None:
    env = {
        "TWITTERDESIGN_DATA_DIR": str(tmp_path),
        "TWITTERDESIGN_DATABASE_URL": f"sqlite:///{tmp_path}/elsewhere.db",
        "TWITTERDESIGN_CACHE_URL": "memory://",
        "TWITTERDESIGN_BLOB_URL": f"file://{tmp_path}/blobs",
    }
    s = Settings.from_env(env)
    assert s.database_url == env["TWITTERDESIGN_DATABASE_URL"]
    assert s.database_path == tmp_path / "elsewhere.db"
    assert s.media_dir == tmp_path / "blobs"
    assert Settings.from_env(s.to_env()) == s
    default = Settings(data_dir=tmp_path)
    assert "TWITTERDESIGN_DATABASE_URL" not in default.to_env()  # None stays unset
    assert Settings.from_env(default.to_env()) == default


def test_a_value_that_is_not_a_url_is_refused_by_settings() -> None:
    with pytest.raises(InvalidParameterError, match="blob_url"):
        Settings(blob_url="/var/media")


@pytest.mark.parametrize(
    ("setting", "url", "named"),
    [
        ("database_url", "mysql://tw:hunter2@db/tw", "postgresql://"),
        ("database_url", "mysql://db/tw", "sqlite://"),
        ("cache_url", "memcached://localhost:11211", "redis://"),
        ("blob_url", "s3://bucket/media", "s3://"),
        ("blob_url", "ftp://host/media", "file://"),
    ],
)
def test_unknown_scheme_names_the_setting_value_and_supported_schemes(
    tmp_path: Path, setting: str, url: str, named: str
) -> None:
    settings = make_settings(tmp_path, **{setting: url})
    with pytest.raises(InvalidParameterError) as caught:
        Services(settings)
    message = str(caught.value)
    assert caught.value.name == setting
    assert setting in message
    assert named in message
    assert "not supported by this version" in message
    assert "hunter2" not in message  # a password never reaches an error message or a log
    assert not (tmp_path / "twitterdesign.sqlite3").exists()  # checked before opening


def test_open_functions_build_the_embedded_stores(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/x.db")
    assert isinstance(store, SQLiteStore)
    store.close()
    assert (tmp_path / "x.db").exists()
    timelines = open_timeline_store("memory://", capacity=3, inactive_after_s=None)
    assert isinstance(timelines, InProcessTimelineStore)
    assert timelines.capacity == 3
    assert isinstance(open_blob_store(f"file://{tmp_path}/m"), FileBlobStore)
    assert isinstance(open_blob_store("memory://"), InMemoryBlobStore)
    with pytest.raises(InvalidParameterError, match="sqlite:///<path"):
        open_store("sqlite:///")


def test_services_use_the_urls_and_injected_stores(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/db/tw.sqlite3",
        blob_url=f"file://{tmp_path}/blobs",
        **FAST,
    )
    (tmp_path / "db").mkdir()
    services = Services(settings)
    try:
        assert (tmp_path / "db" / "tw.sqlite3").exists()
        assert isinstance(services.blob_store, FileBlobStore)
        assert services.blob_store.directory == tmp_path / "blobs"
    finally:
        services.close()
    timelines, blobs = InProcessTimelineStore(5), InMemoryBlobStore()
    injected = Services(
        Settings(data_dir=tmp_path / "data2", **FAST),
        store=SQLiteStore(tmp_path / "own.db"),
        timeline_store=timelines,
        blob_store=blobs,
    )
    try:
        assert injected.timeline_store is timelines
        assert injected.timelines.timeline_store is timelines
        assert injected.blob_store is blobs
        assert not (tmp_path / "data2" / "twitterdesign.sqlite3").exists()
    finally:
        injected.close()


def _upload(api: Api) -> tuple[str, bytes]:
    ada = api.register()
    reply = api.client.post(
        "/api/v2/media", headers=ada.headers, files={"file": ("a.png", png(3, 2), "image/png")}
    )
    assert reply.status_code == 200, reply.text
    path = reply.json()["url"].split("testserver", 1)[1]
    served = api.client.get(path)
    assert served.status_code == 200
    return path, served.content


def test_media_written_in_the_old_layout_is_still_served(app_factory: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    path, data = _upload(app_factory(data_dir=data_dir))
    sha = hashlib.sha256(data).hexdigest()
    blob = data_dir / "media" / sha[:2] / sha[2:4] / sha
    assert blob.read_bytes() == data
    # Rewrite the file by hand, as an older version left it, and serve it from a new app.
    blob.unlink()
    blob.write_bytes(data)
    again = app_factory(data_dir=data_dir)
    served = again.client.get(path)
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["etag"] == f'"{sha}"'
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert again.client.get(path, headers={"If-None-Match": f'"{sha}"'}).status_code == 304
    assert again.client.get(path, headers={"If-None-Match": "*"}).status_code == 304
    blob.unlink()
    assert again.client.get(path).status_code == 404  # record without bytes: not found


def test_a_blob_store_with_urls_is_redirected_to(tmp_path: Path) -> None:
    blobs = InMemoryBlobStore(base_url="https://cdn.example/m/")
    services = Services(make_settings(tmp_path), blob_store=blobs)
    with TestClient(create_app(services=services)) as client:
        api = Api(client)
        ada = api.register()
        reply = client.post(
            "/api/v2/media",
            headers=ada.headers,
            files={"file": ("a.png", png(3, 2), "image/png")},
        )
        assert reply.status_code == 200, reply.text
        path = reply.json()["url"].split("testserver", 1)[1]
        sha = path.rsplit("/", 1)[1].split(".")[0]
        served = client.get(path, follow_redirects=False)
        assert served.status_code == 302
        assert served.headers["location"] == "https://cdn.example/m/" + sha
        assert blobs.get(sha) is not None
