"""SI quantities as the lesson uses them: bytes, bits per second and plain counts.

The lesson counts in decimal (SI) units — 1 KB = 1,000 bytes, 1 Gbps = 10**9 bits per
second — and so does this module. Binary prefixes (KiB, MiB, ...) are accepted when
parsing and converted exactly.

Formatting turns a number into text a person reads (``format_bytes(255e12)`` →
``"255 TB"``); parsing goes back (``parse_quantity("9.6 Gbps")``), so users may type
answers and settings in the form they think in.

Examples:
    >>> format_bytes(255_000_000_000_000)
    '255 TB'
    >>> format_bits_per_second(24e9)
    '24 Gbps'
    >>> format_count(1_500_000_000)
    '1.5B'
    >>> parse_quantity("1.2 TB")
    Quantity(value=1200000000000.0, dimension='bytes')
    >>> parse_count("25k")
    25000.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from twitterdesign.errors import InvalidParameterError

__all__ = [
    "BITS_PER_BYTE",
    "GB",
    "KB",
    "MB",
    "PB",
    "SECONDS_PER_DAY",
    "SECONDS_PER_YEAR",
    "TB",
    "Dimension",
    "Quantity",
    "format_bits_per_second",
    "format_bytes",
    "format_count",
    "format_quantity",
    "format_usd",
    "parse_bits_per_second",
    "parse_bytes",
    "parse_count",
    "parse_quantity",
]

KB = 10**3
MB = 10**6
GB = 10**9
TB = 10**12
PB = 10**15
BITS_PER_BYTE = 8
SECONDS_PER_DAY = 86_400
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY

Dimension = Literal["bytes", "bits_per_second", "bytes_per_second", "count"]

_SI_PREFIXES: dict[str, float] = {
    "": 1.0,
    "k": 1e3,
    "m": 1e6,
    "g": 1e9,
    "t": 1e12,
    "p": 1e15,
    "e": 1e18,
}
_BINARY_PREFIXES: dict[str, float] = {
    "ki": 2.0**10,
    "mi": 2.0**20,
    "gi": 2.0**30,
    "ti": 2.0**40,
    "pi": 2.0**50,
    "ei": 2.0**60,
}
_FORMAT_STEPS = ("", "K", "M", "G", "T", "P", "E")
_COUNT_SUFFIXES: dict[str, float] = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
}
_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+"
_QUANTITY_RE = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>[A-Za-z/ ]*?)\s*$")


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number in base units (bytes, bits/s, bytes/s or a plain count) and its dimension."""

    value: float
    dimension: Dimension

    def to_dict(self) -> dict[str, float | str]:
        """Return the quantity as a JSON-ready dict."""
        return {"value": self.value, "dimension": self.dimension}


def _scaled(value: float, base: float = 1000.0) -> tuple[float, str]:
    if value == 0 or not math.isfinite(value):
        return value, ""
    step = 0
    magnitude = abs(value)
    while magnitude >= base and step < len(_FORMAT_STEPS) - 1:
        magnitude /= base
        step += 1
    # Rounding may carry to the next prefix (999.96 kB -> 1000 kB); fix it.
    if float(f"{magnitude:.3g}") >= base and step < len(_FORMAT_STEPS) - 1:
        magnitude /= base
        step += 1
    return math.copysign(magnitude, value), _FORMAT_STEPS[step]


def _number(value: float, precision: int) -> str:
    text = f"{value:.{precision}g}"
    if "e" in text:  # keep plain notation for human output
        text = f"{value:.{max(precision - 1, 0)}f}"
    return text


def _check_finite(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameterError(name, value, "a finite number")


def format_bytes(n_bytes: float, *, precision: int = 3) -> str:
    """Format a byte count with an SI prefix.

    Args:
        n_bytes: Number of bytes.
        precision: Significant digits to keep.

    Returns:
        Text such as ``"93.1 PB"``.

    Raises:
        InvalidParameterError: If ``n_bytes`` is not a finite number.

    Examples:
        >>> format_bytes(375e9)
        '375 GB'
        >>> format_bytes(512)
        '512 B'
    """
    _check_finite("n_bytes", n_bytes)
    value, prefix = _scaled(float(n_bytes))
    return f"{_number(value, precision)} {prefix}B"


def format_bits_per_second(bits_per_second: float, *, precision: int = 3) -> str:
    """Format a bit rate with an SI prefix, as network links are quoted.

    Examples:
        >>> format_bits_per_second(393.9e9)
        '394 Gbps'
    """
    _check_finite("bits_per_second", bits_per_second)
    value, prefix = _scaled(float(bits_per_second))
    return f"{_number(value, precision)} {prefix}bps"


def format_count(count: float, *, precision: int = 3) -> str:
    """Format a count with K, M, B (billion) or T suffixes.

    Examples:
        >>> format_count(156_250)
        '156K'
        >>> format_count(42)
        '42'
    """
    _check_finite("count", count)
    value, prefix = _scaled(float(count))
    suffix = {"": "", "K": "K", "M": "M", "G": "B", "T": "T", "P": "Q", "E": "Qi"}[prefix]
    return f"{_number(value, precision)}{suffix}"


def format_usd(amount: float) -> str:
    """Format a dollar amount with thousands separators and cents.

    Examples:
        >>> format_usd(557061.12)
        '$557,061.12'
    """
    _check_finite("amount", amount)
    return f"${amount:,.2f}"


def format_quantity(quantity: Quantity, *, precision: int = 3) -> str:
    """Format a `Quantity` in its dimension's human form.

    Examples:
        >>> format_quantity(Quantity(9.6e9, "bits_per_second"))
        '9.6 Gbps'
    """
    if quantity.dimension == "bytes":
        return format_bytes(quantity.value, precision=precision)
    if quantity.dimension == "bits_per_second":
        return format_bits_per_second(quantity.value, precision=precision)
    if quantity.dimension == "bytes_per_second":
        return format_bytes(quantity.value, precision=precision) + "/s"
    return format_count(quantity.value, precision=precision)


def _parse_number(text: str) -> float:
    return float(text.replace(",", ""))


def _prefix_factor(prefix: str) -> float | None:
    p = prefix.lower()
    if p in _BINARY_PREFIXES:
        return _BINARY_PREFIXES[p]
    return _SI_PREFIXES.get(p)


def parse_quantity(text: str, *, expected: Dimension | None = None) -> Quantity:
    """Parse human text into a `Quantity` in base units.

    Accepts byte sizes (``"200 KB"``, ``"1.2TB"``, ``"3 MiB"``), bit rates
    (``"9.6 Gbps"``, ``"24 Gbit/s"``), byte rates (``"30 MB/s"``) and counts
    (``"25k"``, ``"25,000"``, ``"1.5bn"``, ``"157K"``, ``"3 million"``).

    A lone ``B`` is ambiguous: the SI symbol for bytes, or "billion" as in "1.5B tweets".
    With ``expected="count"`` it means billion; otherwise an upper-case ``B`` means bytes
    and a lower-case ``b`` means billion.

    Args:
        text: The text to parse.
        expected: The dimension the caller wants, used only to settle a lone ``B``.

    Returns:
        The value in bytes, bits per second, bytes per second, or a plain count.

    Raises:
        InvalidParameterError: If the text is not a number with a known unit.

    Examples:
        >>> parse_quantity("24 Gbps").value
        24000000000.0
        >>> parse_quantity("30 MB/s")
        Quantity(value=30000000.0, dimension='bytes_per_second')
    """
    if not isinstance(text, str):
        raise InvalidParameterError("text", text, "a string such as '1.2 TB' or '25k'")
    match = _QUANTITY_RE.match(text)
    if match is None:
        raise InvalidParameterError("text", text, "a number with an optional unit, e.g. '1.2 TB'")
    number = _parse_number(match.group("num"))
    unit = match.group("unit").strip()
    compact = unit.replace(" ", "")
    lowered = compact.lower()

    if compact == "B" and expected != "count":
        return Quantity(number, "bytes")
    if lowered in _COUNT_SUFFIXES:
        return Quantity(number * _COUNT_SUFFIXES[lowered], "count")
    if lowered in {"bytes", "byte"}:
        return Quantity(number, "bytes")
    if lowered in {"bps", "bit/s", "bits/s"}:
        return Quantity(number, "bits_per_second")

    rate = re.fullmatch(r"(?P<p>[kKmMgGtTpPeE]i?)?(?:bps|bit/s|bits/s|b/s)", compact)
    if rate is not None and (compact.endswith("bps") or "bit" in compact or compact[-3] == "b"):
        factor = _prefix_factor(rate.group("p") or "")
        if factor is not None:
            return Quantity(number * factor, "bits_per_second")
    byte_rate = re.fullmatch(r"(?P<p>[kKmMgGtTpPeE]i?)?(?:B/s|Bps|bytes/s)", compact)
    if byte_rate is not None:
        factor = _prefix_factor(byte_rate.group("p") or "")
        if factor is not None:
            return Quantity(number * factor, "bytes_per_second")
    size = re.fullmatch(r"(?P<p>[kKmMgGtTpPeE]i?)(?:B|bytes?)", compact)
    if size is not None:
        factor = _prefix_factor(size.group("p"))
        if factor is not None:
            return Quantity(number * factor, "bytes")
    raise InvalidParameterError(
        "text",
        text,
        "a number with a known unit: B/KB/MB/GB/TB/PB (or KiB..), bps/Kbps/Mbps/Gbps/Tbps, "
        "MB/s, or a count suffix k/M/B/T",
    )


def _parse_as(text: str, dimension: Dimension, name: str, example: str) -> float:
    try:
        quantity = parse_quantity(text, expected=dimension)
    except InvalidParameterError:
        raise InvalidParameterError(name, text, _wanted(dimension, example)) from None
    if quantity.dimension == "count" and dimension != "count" and text.strip()[-1:].isdigit():
        return quantity.value  # a bare number is taken in base units
    if quantity.dimension != dimension:
        raise InvalidParameterError(name, text, _wanted(dimension, example))
    return quantity.value


def _wanted(dimension: Dimension, example: str) -> str:
    return f"a {dimension.replace('_', ' ')} value such as {example!r}"


def parse_bytes(text: str) -> float:
    """Parse a byte size such as ``"200 KB"`` or a bare number of bytes.

    Examples:
        >>> parse_bytes("3 MB")
        3000000.0
    """
    return _parse_as(text, "bytes", "text", "200 KB")


def parse_bits_per_second(text: str) -> float:
    """Parse a bit rate such as ``"9.6 Gbps"`` or a bare number of bits per second.

    Examples:
        >>> parse_bits_per_second("394 Gbps")
        394000000000.0
    """
    return _parse_as(text, "bits_per_second", "text", "9.6 Gbps")


def parse_count(text: str) -> float:
    """Parse a count such as ``"25k"``, ``"25,000"`` or ``"1.5B"`` (B is billion here).

    Examples:
        >>> parse_count("157K")
        157000.0
    """
    return _parse_as(text, "count", "text", "25k")
