"""Media upload (the blob store) and serving with CDN-style cache headers."""

from __future__ import annotations

# ruff: noqa: B008  (FastAPI declares dependencies as parameter defaults)
import base64
from email.utils import formatdate
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from twitterdesign.reference_app.api._byte_ranges import byte_range_response
from twitterdesign.reference_app.api._deps import (
    Params,
    User,
    base_url,
    params,
    parse_id,
    require,
    services,
)
from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.api._schemas import body_doc
from twitterdesign.reference_app.services import NotFound, Unprocessable
from twitterdesign.reference_app.services.media import EXTENSIONS

__all__ = ["router"]

router = APIRouter()

_IMMUTABLE = "public, max-age=31536000, immutable"
# Served bytes are images: the browser must not guess another type, and should a stored
# blob ever hold something else, nothing in it may run or load anything.
_BLOB_HEADERS = {
    "Cache-Control": _IMMUTABLE,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
# A 1x1 grey PNG used as every account's avatar and header.
_AVATAR = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="
)
_UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "description": {"type": "string", "maxLength": 1500},
                    },
                }
            }
        },
    }
}


async def _upload(request: Request, p: Params, auth: User) -> dict[str, Any]:
    upload = p.files.get("file")
    if upload is None:
        raise Unprocessable("file is required (multipart/form-data)")
    s = services(request)
    data = await upload.read(s.settings.media_max_bytes + 1)
    record = await run_in_threadpool(
        s.media.upload, auth.account_id, data, p.text("description", max_len=1500)
    )
    return Renderer(s, base_url(request), auth.account_id).media(record)


@router.post("/api/v2/media", tags=["media"], summary="Upload an image", openapi_extra=_UPLOAD_DOC)
async def upload_v2(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:media")),
) -> dict[str, Any]:
    """Upload an image; attach it to a status by its id.

    The type is checked by the bytes, the size in bytes and pixels is limited, and the
    image is decoded and encoded again so that only its pixels are stored (no metadata;
    EXIF orientation applied; animations kept). Anything else answers 422.
    """
    return await _upload(request, p, auth)


@router.post(
    "/api/v1/media", tags=["media"], summary="Upload an image (v1)", openapi_extra=_UPLOAD_DOC
)
async def upload_v1(
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:media")),
) -> dict[str, Any]:
    """Same as ``POST /api/v2/media``."""
    return await _upload(request, p, auth)


@router.get("/api/v1/media/{media_id}", tags=["media"], summary="One of your uploads")
def get_media(
    media_id: str, request: Request, auth: User = Depends(require("write:media"))
) -> dict[str, Any]:
    """Return a media attachment the caller uploaded."""
    s = services(request)
    record = s.media.get(parse_id(media_id), auth.account_id)
    return Renderer(s, base_url(request), auth.account_id).media(record)


@router.put(
    "/api/v1/media/{media_id}",
    tags=["media"],
    summary="Change a media description",
    openapi_extra=body_doc("MediaUpdate"),
)
def update_media(
    media_id: str,
    request: Request,
    p: Params = Depends(params),
    auth: User = Depends(require("write:media")),
) -> dict[str, Any]:
    """Set the description of a media attachment the caller uploaded."""
    s = services(request)
    record = s.media.update_description(
        auth.account_id, parse_id(media_id), p.text("description", max_len=1500)
    )
    return Renderer(s, base_url(request), auth.account_id).media(record)


@router.get(
    "/media/{name}",
    tags=["media"],
    summary="Serve a stored image (CDN-style)",
    response_class=Response,
    responses={
        200: {"content": {t: {} for t in EXTENSIONS}, "description": "The image bytes"},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
    },
)
def serve_media(name: str, request: Request) -> Response:
    """Serve blob bytes by content hash with immutable caching and an ETag."""
    sha, _, ext = name.partition(".")
    if ext not in set(EXTENSIONS.values()):
        raise NotFound("Record not found")
    etag = f'"{sha}"'
    inm = request.headers.get("if-none-match", "")
    not_modified = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    # A 304 needs no bytes: the service then only checks that they exist.
    blob = services(request).media.find_blob(sha, with_data=not not_modified)
    if blob.url is not None:
        # The blob store serves the bytes itself (an object store or a CDN in front).
        return RedirectResponse(blob.url, status_code=302)
    headers = {**_BLOB_HEADERS, "ETag": etag}
    if blob.data is None:  # bytes are fetched exactly when the answer is not a 304
        return Response(status_code=304, headers=headers)
    return byte_range_response(
        blob.data,
        media_type=blob.content_type,
        headers={**headers, "Last-Modified": formatdate(blob.created_at_ms / 1000, usegmt=True)},
        range_header=request.headers.get("range"),
        if_range=request.headers.get("if-range"),
    )


@router.get("/avatars/missing.png", tags=["media"], include_in_schema=False)
def avatar() -> Response:
    """The default avatar image."""
    return Response(_AVATAR, media_type="image/png", headers=_BLOB_HEADERS)
