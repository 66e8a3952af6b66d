"""Media served from a `BlobStore` answers range requests as the old FileResponse did."""

from __future__ import annotations

import pytest

from tests.reference_app._images import png
from tests.reference_app.conftest import Api
from twitterdesign.reference_app.api._byte_ranges import byte_range_response

_DATA = bytes(range(100))
_HEADERS = {"ETag": '"abc"', "Last-Modified": "Thu, 03 Dec 2026 12:00:00 GMT"}


def _answer(range_header: str | None, if_range: str | None = None) -> tuple[int, bytes, dict]:
    r = byte_range_response(
        _DATA,
        media_type="image/png",
        headers=_HEADERS,
        range_header=range_header,
        if_range=if_range,
    )
    return r.status_code, bytes(r.body), dict(r.headers)


@pytest.mark.parametrize(
    ("header", "status", "body"),
    [
        (None, 200, _DATA),
        ("bytes=0-9", 206, _DATA[:10]),
        ("bytes=-5", 206, _DATA[-5:]),
        ("bytes=95-", 206, _DATA[95:]),
        ("bytes=90-500", 206, _DATA[90:]),
        ("bytes=100-", 416, b""),
        ("items=0-1", 400, b"Only support bytes range"),
        ("bytes=abc", 400, b"Range header: range must be requested"),
        ("bytes=9-3", 400, b"Range header: start must be less than end"),
    ],
)
def test_one_range(header: str | None, status: int, body: bytes) -> None:
    got_status, got_body, headers = _answer(header)
    assert (got_status, got_body) == (status, body)
    if status == 206:
        assert headers["content-range"].endswith("/100")
        assert headers["accept-ranges"] == "bytes"


def test_several_ranges_are_merged_into_multipart() -> None:
    status, body, headers = _answer("bytes=0-1, 1-3, 10-11")
    assert status == 206
    boundary = headers["content-type"].split("boundary=")[1]
    assert body.count(f"--{boundary}".encode()) == 3
    assert b"Content-Range: bytes 0-3/100" in body
    assert b"Content-Range: bytes 10-11/100" in body
    assert body.endswith(f"--{boundary}--".encode())
    assert int(headers["content-length"]) == len(body)


def test_if_range_sends_everything_when_stale() -> None:
    assert _answer("bytes=0-9", '"abc"')[0] == 206
    assert _answer("bytes=0-9", _HEADERS["Last-Modified"])[0] == 206
    assert _answer("bytes=0-9", '"old"')[:2] == (200, _DATA)
    assert _answer("bytes=0-9", 'W/"abc"')[:2] == (200, _DATA)


def test_served_media_keeps_range_and_last_modified_headers(api: Api) -> None:
    ada = api.register()
    reply = api.client.post(
        "/api/v2/media", headers=ada.headers, files={"file": ("a.png", png(20, 20), "image/png")}
    )
    path = reply.json()["url"].split("testserver", 1)[1]
    whole = api.client.get(path)
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["last-modified"].endswith("GMT")
    part = api.client.get(path, headers={"Range": "bytes=0-7"})
    assert part.status_code == 206
    assert part.content == whole.content[:8] == b"\x89PNG\r\n\x1a\n"
