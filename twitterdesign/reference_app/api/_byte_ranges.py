"""Serve bytes held in memory with HTTP range requests, as Starlette's FileResponse does.

Media used to be served with `starlette.responses.FileResponse` straight from the blob
directory; now the bytes come from a `BlobStore`. This keeps what a client saw then:
``Accept-Ranges: bytes``, ``206 Partial Content`` for ranges (``bytes=a-b``, ``a-``,
``-n``), ``416`` when the range starts past the end, ``400`` for a malformed header, and
``If-Range`` honoured against the ETag or Last-Modified, several ranges merged and sent as
``multipart/byteranges`` — with Starlette's parsing rules and messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from secrets import token_hex

from fastapi.responses import PlainTextResponse, Response

__all__ = ["byte_range_response"]

_MAX_RANGES = 100  # more than this and the whole body is sent (as Starlette does)


class _Malformed(Exception):
    pass


def _parse(header: str, size: int) -> list[tuple[int, int]]:
    """Return the requested ``(start, end)`` spans (end exclusive), merged and sorted.

    An empty list means "send everything". Raises `_Malformed` with the message for a
    400 and returns spans starting past the end as they are (the caller answers 416).
    """
    units, sep, specs = header.partition("=")
    if not sep:
        raise _Malformed("Malformed range header.")
    if units.strip().lower() != "bytes":
        raise _Malformed("Only support bytes range")
    if specs.count(",") + 1 > _MAX_RANGES:
        return []
    spans: list[tuple[int, int]] = []
    for part in (p.strip() for p in specs.split(",")):
        if not part or part == "-" or "-" not in part:
            continue  # ignored, as Starlette ignores it
        first, last = (t.strip() for t in part.split("-", 1))
        try:
            start = int(first) if first else max(size - int(last), 0)
            end = int(last) + 1 if first and last and int(last) < size else size
        except ValueError:
            continue
        spans.append((start, end))
    if not spans:
        raise _Malformed("Range header: range must be requested")
    return spans


def byte_range_response(
    data: bytes,
    *,
    media_type: str,
    headers: Mapping[str, str],
    range_header: str | None,
    if_range: str | None,
) -> Response:
    """Return ``data`` whole, or the ranges asked for.

    Args:
        data: The body.
        media_type: Its content type.
        headers: Headers of every answer (must include ``ETag`` and ``Last-Modified`` if
            ``If-Range`` is to match them).
        range_header: The request's ``Range`` header, if any.
        if_range: The request's ``If-Range`` header, if any.
    """
    out = {**headers, "Accept-Ranges": "bytes"}
    whole = Response(data, media_type=media_type, headers=out)
    if range_header is None:
        return whole
    if if_range is not None and (
        if_range.startswith("W/") or if_range not in (out.get("ETag"), out.get("Last-Modified"))
    ):
        return whole  # the client's copy is stale: send everything
    size = len(data)
    try:
        spans = _parse(range_header, size)
    except _Malformed as exc:
        return PlainTextResponse(str(exc), status_code=400)
    if not spans:
        return whole
    if any(not 0 <= start < size for start, _ in spans):
        return PlainTextResponse(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    if any(start >= end for start, end in spans):
        return PlainTextResponse("Range header: start must be less than end", status_code=400)
    if len(spans) == 1:
        start, end = spans[0]
        out["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        return Response(data[start:end], status_code=206, media_type=media_type, headers=out)
    merged = [sorted(spans)[0]]
    for start, end in sorted(spans)[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    boundary = token_hex(13)
    parts = [
        f"--{boundary}\r\nContent-Type: {media_type}\r\n"
        f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n".encode("latin-1")
        + data[start:end]
        + b"\r\n"
        for start, end in merged
    ]
    body = b"".join(parts) + f"--{boundary}--".encode("latin-1")
    return Response(
        body,
        status_code=206,
        media_type=f"multipart/byteranges; boundary={boundary}",
        headers=out,
    )
