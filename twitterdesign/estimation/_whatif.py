"""What-if analysis: growth over the years and which assumption moves each output most."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from twitterdesign._validate import check_choice, check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation._report import CapacityReport, estimate
from twitterdesign.estimation._workload import Workload, field_range

_MAX_USERS = field_range("daily_active_users")[1]

__all__ = [
    "SENSITIVITY_INPUTS",
    "SENSITIVITY_OUTPUTS",
    "GrowthProjection",
    "GrowthYear",
    "SensitivityBar",
    "SensitivityReport",
    "project_growth",
    "sensitivity",
]


@dataclass(frozen=True, slots=True)
class GrowthYear:
    """One year of a growth projection.

    Attributes:
        year: Years from now (0 is the workload as given).
        daily_active_users: Daily users that year.
        report: The capacity estimate for that year's workload.
        storage_bytes_kept: Replicated data kept at the end of the year: the new data of
            every year so far that is still within the retention period.

    Examples:
        >>> year = project_growth(Workload(500e6), annual_growth=1.0, years=1).years[1]
        >>> year.year, year.daily_active_users, year.report.servers_at_peak
        (1, 1000000000.0, 15)
    """

    year: int
    daily_active_users: float
    report: CapacityReport
    storage_bytes_kept: float

    def to_dict(self) -> dict[str, object]:
        """Return the year as a JSON-ready dict."""
        return {
            "year": self.year,
            "daily_active_users": self.daily_active_users,
            "storage_bytes_kept": self.storage_bytes_kept,
            "report": self.report.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class GrowthProjection:
    """Capacity year by year while the user base grows at a constant rate.

    Attributes:
        annual_growth: Growth per year as a fraction (0.2 is +20% a year).
        years: One `GrowthYear` per year, from year 0.

    Examples:
        >>> len(project_growth(Workload(1e6), annual_growth=0.5, years=4).years)
        5
    """

    annual_growth: float
    years: tuple[GrowthYear, ...]

    def to_dict(self) -> dict[str, object]:
        """Return the projection as a JSON-ready dict."""
        return {"annual_growth": self.annual_growth, "years": [y.to_dict() for y in self.years]}


def project_growth(workload: Workload, *, annual_growth: float, years: int) -> GrowthProjection:
    """Project capacity while daily (and total) users grow by ``annual_growth`` a year.

    Year ``k`` has ``daily_active_users * (1 + annual_growth) ** k`` daily users; every
    per-user assumption stays fixed. The data kept at the end of year ``k`` adds the
    replicated new data of years ``j <= k`` with ``k - j < retention_years``.

    Args:
        workload: The assumptions for year 0.
        annual_growth: Growth per year as a fraction, > -1 (negative for a decline).
        years: Years to project after year 0 (0 to 100).

    Returns:
        The `GrowthProjection` with ``years + 1`` entries.

    Raises:
        InvalidParameterError: If ``annual_growth`` is not > -1 or would take the users
            past the `Workload` limit (1e12) within ``years``, ``years`` is outside
            [0, 100], or ``workload`` is not a Workload.

    Examples:
        >>> p = project_growth(Workload(500e6), annual_growth=0.1, years=2)
        >>> [round(y.daily_active_users / 1e6) for y in p.years]
        [500, 550, 605]
        >>> p.years[2].report.servers_at_peak
        9
    """
    if not isinstance(workload, Workload):
        raise InvalidParameterError("workload", workload, "a Workload")
    growth = check_number("annual_growth", annual_growth, minimum=-1.0, min_inclusive=False)
    n_years = check_int("years", years, minimum=0, maximum=100)
    rows: list[GrowthYear] = []
    written: list[float] = []
    for k in range(n_years + 1):
        factor = (1.0 + growth) ** k
        total = None if workload.total_users is None else workload.total_users * factor
        users = workload.daily_active_users * factor
        if users > _MAX_USERS or (total is not None and total > _MAX_USERS):
            raise InvalidParameterError(
                "annual_growth",
                annual_growth,
                f"a growth that keeps the users within the Workload limit of "
                f"{_MAX_USERS:g} for {n_years} years (year {k} would have "
                f"{max(users, total or 0.0):,.0f})",
            )
        grown = workload.with_(daily_active_users=users, total_users=total)
        report = estimate(grown)
        written.append(report.storage_bytes_per_year * workload.replication_factor)
        kept = sum(written[j] for j in range(k + 1) if k - j < workload.retention_years)
        rows.append(GrowthYear(k, grown.daily_active_users, report, kept))
    return GrowthProjection(growth, tuple(rows))


#: Workload fields `sensitivity` varies (the ones that change some output).
SENSITIVITY_INPUTS: tuple[str, ...] = (
    "daily_active_users",
    "tweets_per_user_per_day",
    "requests_per_user_per_day",
    "tweets_viewed_per_user_per_day",
    "text_bytes_per_tweet",
    "image_fraction",
    "image_bytes",
    "video_fraction",
    "video_bytes",
    "requests_per_server_per_second",
    "peak_to_average",
    "replication_factor",
    "retention_years",
    "cache_hot_fraction",
)

#: Outputs `sensitivity` reports; servers are unrounded so the bars are smooth.
SENSITIVITY_OUTPUTS: dict[str, Callable[[CapacityReport], float]] = {
    "storage_bytes_per_day": lambda r: r.storage_bytes_per_day,
    "storage_bytes_total": lambda r: r.storage_bytes_total,
    "incoming_bits_per_second": lambda r: r.incoming_bits_per_second,
    "outgoing_bits_per_second": lambda r: r.outgoing_bits_per_second,
    "peak_requests_per_second": lambda r: r.peak_requests_per_second,
    "servers_at_peak_exact": lambda r: (
        r.peak_requests_per_second / r.workload.requests_per_server_per_second
    ),
    "cache_bytes": lambda r: r.cache_bytes,
}


@dataclass(frozen=True, slots=True)
class SensitivityBar:
    """One bar of a tornado chart: an output when one input moves down and up.

    Attributes:
        input: The workload field varied.
        output: The output measured (a key of `SENSITIVITY_OUTPUTS`).
        input_low: The field's lowered value (clipped to its valid range).
        input_high: The field's raised value (clipped to its valid range).
        output_base: The output at the unchanged workload.
        output_low: The output with the lowered input.
        output_high: The output with the raised input.

    Examples:
        >>> bar = sensitivity(Workload(500e6)).for_output("storage_bytes_per_day")[0]
        >>> bar.input, [round(x, 3) for x in bar.relative()]
        ('daily_active_users', [-0.1, 0.1])
    """

    input: str
    output: str
    input_low: float
    input_high: float
    output_base: float
    output_low: float
    output_high: float

    @property
    def swing(self) -> float:
        """Return ``|output_high - output_low|``, the bar's length."""
        return abs(self.output_high - self.output_low)

    def relative(self) -> tuple[float, float]:
        """Return the low and high outputs as relative changes from the base (0 if base is 0)."""
        if self.output_base == 0:
            return (0.0, 0.0)
        return (
            self.output_low / self.output_base - 1.0,
            self.output_high / self.output_base - 1.0,
        )

    def to_dict(self) -> dict[str, object]:
        """Return the bar as a JSON-ready dict."""
        out: dict[str, object] = {n: getattr(self, n) for n in self.__dataclass_fields__}
        out["swing"] = self.swing
        return out


@dataclass(frozen=True, slots=True)
class SensitivityReport:
    """Tornado-chart data: every input × output pair, for one relative change.

    Attributes:
        relative_change: How far each input was moved down and up (0.1 is ±10%).
        base: The report at the unchanged workload.
        bars: One `SensitivityBar` per (input, output) pair.

    Examples:
        >>> s = sensitivity(Workload(500e6))
        >>> len(s.bars) == len(SENSITIVITY_INPUTS) * len(SENSITIVITY_OUTPUTS)
        True
    """

    relative_change: float
    base: CapacityReport
    bars: tuple[SensitivityBar, ...]

    def for_output(self, output: str) -> tuple[SensitivityBar, ...]:
        """Return the bars of one output, the largest swing first.

        Bars are ordered by swing, largest first. Two swings that agree to 9
        significant digits count as tied — float noise must not split swings that are
        equal in exact arithmetic, such as those of two inputs an output is proportional
        to — and tied bars are ordered by input name. The rule is relative to each
        swing, so a bar comes before another only if its swing is larger or within a
        relative 1e-8 of it, however small both are next to the other bars.

        Args:
            output: A key of `SENSITIVITY_OUTPUTS`.

        Returns:
            The bars, ordered by swing (ties, to 9 significant digits, by input name).

        Raises:
            InvalidParameterError: If ``output`` is not a known output.

        Examples:
            >>> s = sensitivity(Workload(500e6))
            >>> s.for_output("servers_at_peak_exact")[0].input
            'requests_per_server_per_second'
        """
        check_choice("output", output, SENSITIVITY_OUTPUTS)
        chosen = [b for b in self.bars if b.output == output]
        return tuple(sorted(chosen, key=lambda b: (-_significant(b.swing), b.input)))

    def most_influential(self, output: str) -> str:
        """Return the input whose change moves ``output`` the most.

        Args:
            output: A key of `SENSITIVITY_OUTPUTS`.

        Returns:
            The name of the workload field with the largest swing.

        Raises:
            InvalidParameterError: If ``output`` is not a known output.

        Examples:
            >>> sensitivity(Workload(500e6)).most_influential("outgoing_bits_per_second")
            'daily_active_users'
        """
        return self.for_output(output)[0].input

    def to_dict(self) -> dict[str, object]:
        """Return the report as a JSON-ready dict (bars grouped by output, largest first)."""
        return {
            "relative_change": self.relative_change,
            "outputs": {o: [b.to_dict() for b in self.for_output(o)] for o in SENSITIVITY_OUTPUTS},
        }


def _significant(value: float) -> float:
    # Round to 9 significant digits: monotone, so a larger rounded swing is a larger swing.
    return float(f"{value:.8e}")


def _moved(workload: Workload, name: str, factor: float) -> float:
    low, high = field_range(name)
    value = min(max(float(getattr(workload, name)) * factor, low), high)
    if name in {"image_fraction", "video_fraction"}:
        other = "video_fraction" if name == "image_fraction" else "image_fraction"
        return min(value, 1.0 - float(getattr(workload, other)))
    if name == "daily_active_users":
        # Zero users is no workload; only a subnormal count can round down to it.
        return max(value, math.nextafter(0.0, 1.0))
    return value


def sensitivity(workload: Workload, *, relative_change: float = 0.1) -> SensitivityReport:
    """Move each assumption down and up by ``relative_change`` and record every output.

    One-at-a-time sensitivity: each field of `SENSITIVITY_INPUTS` is multiplied
    by ``1 - relative_change`` and ``1 + relative_change`` (clipped to its valid range:
    fractions stay in [0, 1], factors at least 1, nothing above its `field_range`
    limit) with the others unchanged. Outputs
    proportional to an input move by exactly ``±relative_change``; ``total_users`` and
    the cost are left out because no output depends on them.

    Args:
        workload: The assumptions to perturb.
        relative_change: The relative step, in (0, 1).

    Returns:
        The `SensitivityReport`.

    Raises:
        InvalidParameterError: If ``relative_change`` is outside (0, 1) or ``workload``
            is not a Workload.

    Examples:
        >>> s = sensitivity(Workload(500e6), relative_change=0.1)
        >>> s.most_influential("storage_bytes_per_day")
        'daily_active_users'
        >>> [b.input for b in s.for_output("storage_bytes_per_day")][:3]
        ['daily_active_users', 'tweets_per_user_per_day', 'video_bytes']
    """
    if not isinstance(workload, Workload):
        raise InvalidParameterError("workload", workload, "a Workload")
    step = check_number(
        "relative_change",
        relative_change,
        minimum=0.0,
        maximum=1.0,
        min_inclusive=False,
        max_inclusive=False,
    )
    base_workload = workload.with_(total_users=None)
    base = estimate(base_workload)
    bars: list[SensitivityBar] = []
    for name in SENSITIVITY_INPUTS:
        low_in = _moved(base_workload, name, 1.0 - step)
        high_in = _moved(base_workload, name, 1.0 + step)
        low = estimate(base_workload.with_(**{name: low_in}))
        high = estimate(base_workload.with_(**{name: high_in}))
        for output, measure in SENSITIVITY_OUTPUTS.items():
            bars.append(
                SensitivityBar(
                    name, output, low_in, high_in, measure(base), measure(low), measure(high)
                )
            )
    return SensitivityReport(step, estimate(workload), tuple(bars))
