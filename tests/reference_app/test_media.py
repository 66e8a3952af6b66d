"""Uploads are decoded and re-encoded: only pixels are stored, and served with nosniff."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.reference_app._images import (
    animated_gif,
    encode,
    gif,
    halves,
    png,
    png_header_only,
)
from tests.reference_app.conftest import Api
from twitterdesign.reference_app.services import Unprocessable
from twitterdesign.reference_app.services.media import EXTENSIONS, clean_image

_PHP = b"<?php system($_GET['c']); ?>"
_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _upload(api: Api, user: Any, data: bytes, name: str = "f.png") -> Any:
    return api.client.post(
        "/api/v2/media", headers=user.headers, files={"file": (name, data, "image/png")}
    )


def _served(api: Api, media: dict[str, Any]) -> Any:
    reply = api.client.get(media["url"].split("testserver", 1)[1])
    assert reply.status_code == 200, reply.text
    return reply


def test_polyglot_png_is_stored_as_pixels_only(api: Api) -> None:
    ada = api.register()
    original = png(4, 3, text=_HTML)
    up = _upload(api, ada, original + _PHP + _HTML)
    assert up.status_code == 200, up.text
    served = _served(api, up.json())
    for payload in (b"<?php", b"<html", b"<script", b"Comment"):
        assert payload not in served.content
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    with Image.open(io.BytesIO(served.content)) as img:
        assert img.format == "PNG"
        assert img.size == (4, 3)
        assert img.convert("L").tobytes() == bytes(12)
        assert "Comment" not in img.info


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a" + b"\x10\x00\x10\x00" + _HTML,
        b"GIF87a" + _PHP,
        b"\x89PNG\r\n\x1a\n" + _HTML,
        b"\xff\xd8\xff\xe0" + _PHP,
        b"RIFF\x00\x00\x00\x00WEBP" + _HTML,
        png(50, 50)[:48],  # cut inside the pixel data
    ],
    ids=["gif-html", "gif-php", "png-html", "jpeg-php", "webp-html", "truncated-png"],
)
def test_image_header_with_something_else_after_it_is_422(api: Api, data: bytes) -> None:
    ada = api.register()
    reply = _upload(api, ada, data)
    assert reply.status_code == 422, reply.text
    assert set(reply.json()) == {"error"}
    assert "not a valid" in reply.json()["error"]


def test_exif_is_stripped_after_turning_the_photo_upright(api: Api) -> None:
    ada = api.register()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo: latitude
    photo = encode(halves(40, 20), "JPEG", exif=exif.tobytes(), quality=95)
    with Image.open(io.BytesIO(photo)) as check:  # the test image does carry its EXIF
        assert check.getexif()[0x0112] == 6
    up = _upload(api, ada, photo, "photo.jpg")
    assert up.status_code == 200, up.text
    assert up.json()["meta"]["original"]["size"] == "20x40"
    served = _served(api, up.json())
    assert served.headers["content-type"] == "image/jpeg"
    assert b"SecretCam" not in served.content
    with Image.open(io.BytesIO(served.content)) as img:
        assert not img.getexif()
        assert "exif" not in img.info
        assert img.size == (20, 40)
        # Turned clockwise, the left (red) half is now on top, the blue half below.
        top = img.convert("RGB").getpixel((10, 5))
        bottom = img.convert("RGB").getpixel((10, 35))
        assert isinstance(top, tuple)
        assert isinstance(bottom, tuple)
        assert top[0] > 200
        assert top[2] < 60
        assert bottom[2] > 200
        assert bottom[0] < 60


def test_decompression_bombs_are_refused_before_decoding(app_factory) -> None:  # type: ignore[no-untyped-def]
    api = app_factory(media_max_pixels=10_000)
    ada = api.register()
    for data in (
        png_header_only(100_000, 100_000),  # 10^10 pixels claimed in a few bytes
        png_header_only(65_535, 1),
        png(101, 100),  # 10,100 pixels: just over the limit
        animated_gif([(255, 0, 0), (0, 255, 0), (0, 0, 255)], size=(60, 60)),  # 3 x 3,600
    ):
        reply = _upload(api, ada, data)
        assert reply.status_code == 422, reply.text
        assert "too large" in reply.json()["error"]
        assert "10000 pixels" in reply.json()["error"]
    many = animated_gif([(i % 2 * 255, 0, 0) for i in range(1_001)], size=(1, 1))
    reply = _upload(api, ada, many, "many.gif")
    assert reply.status_code == 422, reply.text
    assert "at most 1000" in reply.json()["error"]
    assert _upload(api, ada, png(100, 100)).status_code == 200
    instance = api.client.get("/api/v2/instance").json()
    assert instance["configuration"]["media_attachments"]["image_matrix_limit"] == 10_000


def test_animated_gif_stays_animated(api: Api) -> None:
    ada = api.register()
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    up = _upload(api, ada, animated_gif(colors), "a.gif")
    assert up.status_code == 200, up.text
    served = _served(api, up.json())
    assert served.headers["content-type"] == "image/gif"
    with Image.open(io.BytesIO(served.content)) as img:
        assert img.n_frames == 3
        assert img.info.get("loop") == 0
        for i, color in enumerate(colors):
            img.seek(i)
            assert img.convert("RGB").getpixel((4, 3)) == color
            assert img.info["duration"] == 70


def test_every_api_response_says_nosniff(app_factory) -> None:  # type: ignore[no-untyped-def]
    api = app_factory(rate_limits_enabled=True, rate_limit_per_ip=3, max_request_bytes=1_000)
    for reply in (
        api.client.get("/api/v1/instance"),
        api.client.get("/api/v1/statuses/1"),  # 404 JSON error
        api.client.post("/api/v1/statuses", content=b"x" * 2_000),  # 413 from the gateway
        api.client.get("/avatars/missing.png"),
        api.client.get("/api/v1/timelines/public"),  # 429 from the gateway
    ):
        assert reply.headers["x-content-type-options"] == "nosniff", reply.status_code
    assert reply.status_code == 429
    assert len(reply.headers.get_list("x-content-type-options")) == 1


# --- fuzz: whatever the bytes, 422 or a clean image ----------------------------------
def _seeds() -> list[bytes]:
    still = halves(9, 7)
    exif = Image.Exif()
    exif[0x0112] = 3
    return [
        png(6, 4, text=b"<b>x</b>"),
        gif(5, 3),
        animated_gif([(255, 0, 0), (0, 0, 255)], size=(5, 4)),
        encode(still, "JPEG", exif=exif.tobytes()),
        encode(still, "WEBP"),
        encode(still.convert("RGBA"), "PNG"),
    ]


_SEEDS = _seeds()


@st.composite
def _mangled(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    action = draw(st.sampled_from(["truncate", "flip", "append", "overwrite"]))
    if action == "truncate":
        del data[draw(st.integers(1, len(data))) :]
    elif action == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
    elif action == "append":
        data += draw(st.binary(max_size=64)) + draw(st.sampled_from([_PHP, _HTML, b""]))
    else:
        i = draw(st.integers(0, len(data) - 1))
        patch = draw(st.binary(min_size=1, max_size=8))
        data[i : i + len(patch)] = patch
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mangled())
def test_any_upload_is_refused_or_stored_as_a_clean_image(data: bytes) -> None:
    try:
        clean = clean_image(data, max_pixels=10_000)
    except Unprocessable as exc:
        refused: Unprocessable | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.message  # a reason for the client, never another exception
        return
    assert clean.content_type in EXTENSIONS
    assert _PHP not in clean.data
    assert _HTML not in clean.data
    with Image.open(io.BytesIO(clean.data)) as img:
        assert Image.MIME[str(img.format)] == clean.content_type
        assert img.size == (clean.width, clean.height)
        assert not img.getexif()
        for key in ("exif", "icc_profile", "comment", "xmp", "Comment"):
            assert key not in img.info
        img.load()
