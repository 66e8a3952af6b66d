"""Errors the services raise; the API turns each into an HTTP status and ``{"error": ...}``."""

from __future__ import annotations

__all__ = [
    "AppError",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "Unauthorized",
    "Unprocessable",
]


class AppError(Exception):
    """A request the service refuses, with the HTTP status that says why.

    Args:
        message: The human-readable reason, sent to the client as ``{"error": message}``.
    """

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(AppError):
    """No valid access token, or wrong credentials (401)."""

    status_code = 401


class Forbidden(AppError):
    """Authenticated but not allowed, e.g. deleting someone else's status (403)."""

    status_code = 403


class NotFound(AppError):
    """The thing does not exist or the caller may not see it (404)."""

    status_code = 404


class Unprocessable(AppError):
    """Well-formed but invalid input, e.g. a status over the length limit (422)."""

    status_code = 422


class RateLimited(AppError):
    """Too many requests in the current window (429)."""

    status_code = 429
