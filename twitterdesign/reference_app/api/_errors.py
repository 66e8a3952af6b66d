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
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
)
from twitterdesign.reference_app.storage._outage import outage_kind

__all__ = ["HTTP_STATUS", "RETRY_AFTER_S", "http_status", "unavailable_error"]

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
    ServiceUnavailable: 503,
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


RETRY_AFTER_S = 1
"""``Retry-After`` sent with a 503: a dropped connection is replaced within a second."""


def unavailable_error(exc: BaseException) -> ServiceUnavailable | None:
    """Return a `ServiceUnavailable` if ``exc`` means the database or cache went away.

    That is PostgreSQL's `DatabaseUnavailableError`, or psycopg's ``OperationalError``
    (a connection dropped by a server restart or ``pg_terminate_backend``, a pool
    timeout). The pool replaces broken connections, so the request can simply be retried.
    The same for Redis: `RedisUnavailableError`, or redis-py's connection and timeout
    errors (the classification is `storage._outage.outage_kind`'s, shared with the
    background loops).

    Examples:
        >>> unavailable_error(ValueError("no")) is None
        True
    """
    if isinstance(exc, ServiceUnavailable):
        return exc
    kind = outage_kind(exc)
    if kind == "database":
        return ServiceUnavailable()
    if kind == "cache":
        return ServiceUnavailable("the cache is unavailable; retry shortly")
    return None
