"""Error types raised by twitterdesign.

Every error the library raises on purpose derives from `TwitterDesignError`, so
callers can catch the whole family with one ``except``. The concrete types also derive
from `ValueError` where the cause is a bad value, so code written against the
standard library keeps working.

Examples:
    >>> from twitterdesign.errors import InvalidParameterError
    >>> try:
    ...     raise InvalidParameterError("k", 0, "an integer >= 1")
    ... except ValueError as exc:
    ...     print(exc)
    invalid k=0: expected an integer >= 1
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CorruptDataError",
    "IncompatibleError",
    "InvalidParameterError",
    "MissingDependencyError",
    "NoBackendAvailable",
    "NotFoundError",
    "TwitterDesignError",
]


class TwitterDesignError(Exception):
    """Root of every error raised on purpose by twitterdesign."""


class InvalidParameterError(TwitterDesignError, ValueError):
    """An argument is outside what the function accepts.

    The message names the parameter, the value received and what is allowed.

    Args:
        name: The parameter's name, as the caller spells it.
        value: The value received.
        allowed: What would have been accepted, e.g. ``"a float in [0, 1]"``.
    """

    def __init__(self, name: str, value: Any, allowed: str) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid {name}={_short_repr(value)}: expected {allowed}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.value, self.allowed))


class IncompatibleError(TwitterDesignError, ValueError):
    """Two objects cannot be combined (e.g. merging sketches of different shapes)."""


class CorruptDataError(TwitterDesignError, ValueError):
    """Bytes or a file failed validation while being deserialized."""


class NotFoundError(TwitterDesignError, KeyError):
    """A named thing (preset, node, topic, ...) does not exist.

    Derives from `KeyError` for lookups, but prints its message plainly.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MissingDependencyError(TwitterDesignError, ImportError):
    """An optional dependency is not installed; the message names the extra to install.

    Examples:
        >>> print(MissingDependencyError("dask", "dask"))
        this needs dask: pip install "twitterdesign[dask]"
    """

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(f'this needs {package}: pip install "twitterdesign[{extra}]"')

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.package, self.extra))


class NoBackendAvailable(TwitterDesignError, RuntimeError):
    """A load balancer has no healthy backend left to send a request to."""


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
