"""The workload: the handful of assumptions every capacity estimate starts from."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from typing import Any, Literal

from twitterdesign._validate import check_fraction, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.units import parse_bytes, parse_count

__all__ = ["FieldKind", "Workload", "field_range", "parse_overrides", "workload_fields"]

FieldKind = Literal["count", "bytes", "fraction", "factor", "years", "usd"]

# How each field is validated and how text for it is parsed (``--set`` in the CLI).
_KINDS: dict[str, FieldKind] = {
    "daily_active_users": "count",
    "total_users": "count",
    "tweets_per_user_per_day": "count",
    "requests_per_user_per_day": "count",
    "tweets_viewed_per_user_per_day": "count",
    "text_bytes_per_tweet": "bytes",
    "image_fraction": "fraction",
    "image_bytes": "bytes",
    "video_fraction": "fraction",
    "video_bytes": "bytes",
    "requests_per_server_per_second": "count",
    "peak_to_average": "factor",
    "replication_factor": "factor",
    "retention_years": "years",
    "cache_hot_fraction": "fraction",
    "cost_per_server_hour": "usd",
}
_OPTIONAL = frozenset({"total_users", "cost_per_server_hour"})

#: Largest value each field accepts: far beyond any real service, yet small enough that
#: every output of `estimate` stays a finite float. A peak can be at most a whole day of
#: requests in one second (86,400 × the average).
_MAX_USERS = 1e12
_MAX_PER_USER_PER_DAY = 1e6
_MAX_BYTES = 1e15
_MAXIMA: dict[str, float] = {
    "daily_active_users": _MAX_USERS,
    "total_users": _MAX_USERS,
    "tweets_per_user_per_day": _MAX_PER_USER_PER_DAY,
    "requests_per_user_per_day": _MAX_PER_USER_PER_DAY,
    "tweets_viewed_per_user_per_day": _MAX_PER_USER_PER_DAY,
    "text_bytes_per_tweet": _MAX_BYTES,
    "image_fraction": 1.0,
    "image_bytes": _MAX_BYTES,
    "video_fraction": 1.0,
    "video_bytes": _MAX_BYTES,
    "requests_per_server_per_second": 1e12,
    "peak_to_average": 86_400.0,
    "replication_factor": 1_000.0,
    "retention_years": 1_000.0,
    "cache_hot_fraction": 1.0,
    "cost_per_server_hour": 1e6,
}
#: Smallest value, and whether it is allowed itself (no daily users is no workload; a
#: server must handle at least one request per 1,000 seconds).
_MINIMA: dict[str, tuple[float, bool]] = {
    "daily_active_users": (0.0, False),
    "total_users": (0.0, False),
    "requests_per_server_per_second": (1e-3, True),
    "peak_to_average": (1.0, True),
    "replication_factor": (1.0, True),
}


@dataclass(frozen=True, slots=True)
class Workload:
    """The assumptions of a capacity estimate, each validated, with units in its name.

    Only ``daily_active_users`` is required; every other field defaults to the value the
    lesson's current resource-estimation example uses (replication, retention and cache
    share, which the lesson leaves open, default to common practice: 3 copies, 5 years,
    the hottest 20%).

    Attributes:
        daily_active_users: Users active on a given day.
        total_users: Registered users; optional, and when given at least the daily users.
        tweets_per_user_per_day: Tweets an active user posts per day.
        requests_per_user_per_day: Requests of any kind an active user sends per day.
        tweets_viewed_per_user_per_day: Tweets shown to an active user per day.
        text_bytes_per_tweet: Bytes of text and metadata per tweet, counted together as
            the lesson does.
        image_fraction: Share of tweets that carry an image, in [0, 1].
        image_bytes: Bytes of one image.
        video_fraction: Share of tweets that carry a video, in [0, 1].
        video_bytes: Bytes of one video.
        requests_per_server_per_second: Requests one server handles per second.
        peak_to_average: Peak request rate divided by the daily average (>= 1). The
            lesson's 80/20 rule — 80% of requests within 20% of the day — gives 4.
        replication_factor: Copies of every byte stored (>= 1).
        retention_years: Years new data is kept.
        cache_hot_fraction: Share of a day's new tweets hot enough to keep in memory.
        cost_per_server_hour: Dollars per server per hour; optional.

    Raises:
        InvalidParameterError: If a field is negative, NaN, infinite, not a number, a
            fraction outside [0, 1], a factor below 1, ``daily_active_users`` is 0,
            ``total_users`` is below ``daily_active_users``, or a field is above its
            limit (see `field_range`: 1e12 users, 1e6 tweets, requests or views per
            user per day, 1 PB per item, a peak of 86,400 × the average, 1,000 copies,
            1,000 years, 1e12 requests per server per second and at least 0.001). The
            limits keep every output finite. The error names the field.

    Examples:
        >>> w = Workload(500e6)
        >>> w.tweets_per_user_per_day, w.image_bytes
        (3.0, 200000.0)
        >>> w.with_(daily_active_users=250e6).daily_active_users
        250000000.0
        >>> Workload(-1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        twitterdesign.errors.InvalidParameterError: invalid daily_active_users=-1: ...
    """

    daily_active_users: float
    _: KW_ONLY
    total_users: float | None = None
    tweets_per_user_per_day: float = 3.0
    requests_per_user_per_day: float = 20.0
    tweets_viewed_per_user_per_day: float = 50.0
    text_bytes_per_tweet: float = 250.0
    image_fraction: float = 0.10
    image_bytes: float = 200e3
    video_fraction: float = 0.05
    video_bytes: float = 3e6
    requests_per_server_per_second: float = 64_000.0
    peak_to_average: float = 4.0
    replication_factor: float = 3.0
    retention_years: float = 5.0
    cache_hot_fraction: float = 0.2
    cost_per_server_hour: float | None = None

    def __post_init__(self) -> None:
        for name, kind in _KINDS.items():
            value = getattr(self, name)
            if value is None and name in _OPTIONAL:
                continue
            object.__setattr__(self, name, _check_field(name, kind, value))
        if self.total_users is not None and self.total_users < self.daily_active_users:
            raise InvalidParameterError(
                "total_users",
                self.total_users,
                f"a count >= daily_active_users ({self.daily_active_users:g}), or None",
            )
        if self.image_fraction + self.video_fraction > 1.0 + 1e-12:
            raise InvalidParameterError(
                "video_fraction",
                self.video_fraction,
                f"a fraction <= 1 - image_fraction ({1.0 - self.image_fraction:g}); "
                "a tweet carries at most one kind of media",
            )

    def with_(self, **changes: Any) -> Workload:
        """Return a copy with some fields changed (and validated again).

        Args:
            **changes: Field names and their new values.

        Returns:
            A new `Workload`.

        Raises:
            InvalidParameterError: If a name is not a field, or a new value is invalid.

        Examples:
            >>> Workload(500e6).with_(video_fraction=0).video_fraction
            0.0
        """
        for name in changes:
            if name not in _KINDS:
                raise InvalidParameterError("field", name, "one of " + ", ".join(workload_fields()))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, float | None]:
        """Return the fields as a JSON-ready dict.

        Examples:
            >>> Workload(1e6).to_dict()["daily_active_users"]
            1000000.0
        """
        return {name: getattr(self, name) for name in _KINDS}


def workload_fields() -> tuple[str, ...]:
    """Return the names of the `Workload` fields, in declaration order.

    Returns:
        The field names, ``daily_active_users`` first.

    Examples:
        >>> workload_fields()[:2]
        ('daily_active_users', 'total_users')
    """
    return tuple(_KINDS)


def field_range(name: str) -> tuple[float, float]:
    """Return the smallest and largest value ``Workload`` accepts for field ``name``.

    The smallest is itself excluded for ``daily_active_users`` and ``total_users``
    (the range is then ``(0, max]``).

    Args:
        name: A field name (see `workload_fields`).

    Returns:
        ``(minimum, maximum)``.

    Raises:
        InvalidParameterError: If ``name`` is not a field.

    Examples:
        >>> field_range("peak_to_average")
        (1.0, 86400.0)
    """
    if name not in _KINDS:
        raise InvalidParameterError("field", name, "one of " + ", ".join(_KINDS))
    return _MINIMA.get(name, (0.0, True))[0], _MAXIMA[name]


def _check_field(name: str, kind: FieldKind, value: Any) -> float:
    if kind == "fraction":
        return check_fraction(name, value)
    minimum, inclusive = _MINIMA.get(name, (0.0, True))
    return check_number(
        name, value, minimum=minimum, min_inclusive=inclusive, maximum=_MAXIMA[name]
    )


def parse_overrides(assignments: Iterable[str]) -> dict[str, float | None]:
    """Parse ``FIELD=VALUE`` texts into typed `Workload` changes.

    Values may use human units where natural: counts take ``500M`` or ``1.5B``, sizes
    take ``200 KB`` or ``3 MB``, fractions take ``0.1`` or ``10%``, costs take ``$3.54``;
    optional fields (``total_users``, ``cost_per_server_hour``) take ``none``.
    Field names may use dashes instead of underscores.

    Args:
        assignments: Texts such as ``"image_bytes=200 KB"``.

    Returns:
        A dict from field name to value, ready for `Workload.with_`.

    Raises:
        InvalidParameterError: If a text has no ``=``, names an unknown field, or its
            value cannot be parsed; the error names the field (or ``--set``).

    Examples:
        >>> parse_overrides(["image_bytes=200 KB", "daily-active-users=250M", "video_fraction=5%"])
        {'image_bytes': 200000.0, 'daily_active_users': 250000000.0, 'video_fraction': 0.05}
    """
    changes: dict[str, float | None] = {}
    for text in assignments:
        if not isinstance(text, str) or "=" not in text:
            raise InvalidParameterError("--set", text, "FIELD=VALUE, e.g. 'image_bytes=200 KB'")
        raw_name, raw_value = (part.strip() for part in text.split("=", 1))
        name = raw_name.replace("-", "_")
        if name not in _KINDS:
            raise InvalidParameterError("field", raw_name, "one of " + ", ".join(_KINDS))
        changes[name] = _parse_value(name, _KINDS[name], raw_value)
    return changes


def _parse_value(name: str, kind: FieldKind, text: str) -> float | None:
    lowered = text.lower()
    if name in _OPTIONAL and lowered in {"none", "null", ""}:
        return None
    try:
        if kind == "bytes":
            return parse_bytes(text)
        if kind == "fraction" and text.endswith("%"):
            return _plain_float(text[:-1]) / 100.0
        if kind == "usd":
            return _plain_float(text.lstrip("$").replace(",", ""))
        if kind == "count":
            return parse_count(text)
        return _plain_float(text)
    except InvalidParameterError:
        raise InvalidParameterError(name, text, _HINTS[kind]) from None


def _plain_float(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InvalidParameterError("value", text, "a number") from None
    if not math.isfinite(value):
        raise InvalidParameterError("value", text, "a finite number")
    return value


_HINTS: dict[FieldKind, str] = {
    "count": "a count such as '500M', '1.5B' or '64000'",
    "bytes": "a size such as '200 KB', '3 MB' or '250'",
    "fraction": "a fraction such as '0.1' or '10%'",
    "factor": "a number >= 1 such as '4'",
    "years": "a number of years such as '5'",
    "usd": "dollars per hour such as '3.54816' or '$3.54'",
}
