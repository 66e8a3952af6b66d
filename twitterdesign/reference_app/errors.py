"""The reference app's errors: one tree under `twitterdesign.errors.TwitterDesignError`.

Every layer raises these — storage (`ConflictError`), services (`NotFound`, `Forbidden`,
…) and the API's own request parsing (`BadRequest`, `PayloadTooLarge`). None of them
knows HTTP: the API maps each class to a status code in one table
(``twitterdesign.reference_app.api._errors.http_status``), so a service can be called
from a worker, a CLI or a test without pretending to be a web server.

Examples:
    >>> from twitterdesign.errors import TwitterDesignError
    >>> err = NotFound("Record not found")
    >>> isinstance(err, AppError) and isinstance(err, TwitterDesignError)
    True
    >>> err.message
    'Record not found'
"""

from __future__ import annotations

from twitterdesign.errors import TwitterDesignError

__all__ = [
    "AppError",
    "BadRequest",
    "ConflictError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "Unprocessable",
]


class AppError(TwitterDesignError):
    """A request the app refuses; ``message`` is safe to show to the client.

    Args:
        message: The human-readable reason (the API sends it as ``{"error": message}``).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(AppError):
    """Malformed input: a body that is not JSON, a parameter of the wrong type."""


class Unauthorized(AppError):
    """No valid access token, or wrong credentials."""


class Forbidden(AppError):
    """Authenticated but not allowed, e.g. a token without the needed scope."""


class NotFound(AppError):
    """The thing does not exist, or the caller may not see it."""


class ConflictError(AppError):
    """A uniqueness rule was violated (a username or email already taken)."""


class Unprocessable(AppError):
    """Well-formed but invalid input, e.g. a status over the length limit."""


class PayloadTooLarge(AppError):
    """A request body over the configured limit."""

    def __init__(self, message: str = "request body is too large") -> None:
        super().__init__(message)


class RateLimited(AppError):
    """Too many requests in the current window."""


class ServiceUnavailable(AppError):
    """A backing service (the database) cannot be reached right now; retry shortly.

    Not raised by the services: the API turns a lost database connection into this
    error (``twitterdesign.reference_app.api._errors.unavailable_error``).
    """

    def __init__(self, message: str = "the database is unavailable; retry shortly") -> None:
        super().__init__(message)
