"""The one place where the app's errors become HTTP status codes."""

from __future__ import annotations

from twitterdesign.reference_app.errors import (
    AppError,
    BadRequest,
    ConflictError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unprocessable,
)

__all__ = ["HTTP_STATUS", "http_status"]

HTTP_STATUS: dict[type[AppError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    PayloadTooLarge: 413,
    # Mastodon answers a taken username or email with 422, not 409.
    ConflictError: 422,
    Unprocessable: 422,
    RateLimited: 429,
}
"""Status code per error class; a subclass inherits its nearest listed ancestor's code."""


def http_status(exc: AppError) -> int:
    """Return the HTTP status for an app error (400 for one not listed).

    Examples:
        >>> http_status(NotFound("Record not found"))
        404
        >>> class Gone(NotFound): ...
        >>> http_status(Gone("deleted"))
        404
    """
    for cls in type(exc).__mro__:
        code = HTTP_STATUS.get(cls)
        if code is not None:
            return code
    return 400
