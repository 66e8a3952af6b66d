"""Right and wrong answers, built from a question's data the way a student would type them."""

from __future__ import annotations

from twitterdesign.quiz import Question

# Unit spelled the way a student writes it, and its size in base units — written here,
# independently of twitterdesign.units.
HUMAN_UNITS = {
    "bytes": ("TB", 1e12),
    "bits_per_second": ("Gbps", 1e9),
    "bytes_per_second": ("MB/s", 1e6),
}


def letters(indices: tuple[int, ...] | list[int]) -> str:
    return ", ".join(chr(ord("a") + i) for i in indices)


def right_answer(q: Question) -> str:
    """The right answer as text: letters for choices, a number with a unit otherwise."""
    if q.type == "numeric":
        assert q.value is not None
        assert q.dimension is not None
        if q.dimension in HUMAN_UNITS:
            unit, size = HUMAN_UNITS[q.dimension]
            return f"{q.value / size:.6f} {unit}"
        return f"{q.value:.6f}"
    return letters(q.correct)


def wrong_answer(q: Question) -> str:
    """A definitely wrong answer that is still a valid option or number."""
    if q.type == "numeric":
        assert q.value is not None
        off = q.value * (1 + q.tolerance) + max(abs(q.value) * 0.5, 1.0)
        return (
            f"{off:.6f}"
            if q.dimension == "count"
            else right_answer(Question(**{**_fields(q), "value": off}))
        )
    n = len(q.options)
    if q.type in ("single", "true_false"):
        return letters([(q.correct[0] + 1) % n])
    if q.type == "multiple":
        chosen = set(q.correct) ^ {0}
        if not chosen:
            chosen = {1}
        return letters(sorted(chosen))
    order = list(q.correct)
    order[0], order[1] = order[1], order[0]
    return letters(order)


def _fields(q: Question) -> dict[str, object]:
    return {name: getattr(q, name) for name in Question.__dataclass_fields__}
