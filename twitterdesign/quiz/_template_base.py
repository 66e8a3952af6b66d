"""The template type behind parametric questions, and helpers shared by the builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twitterdesign._rng import as_generator
from twitterdesign._validate import check_int
from twitterdesign.quiz._model import SEED_SEPARATOR, Difficulty, Question
from twitterdesign.units import Dimension

__all__ = ["Draft", "QuestionTemplate", "pct", "pick", "server_tolerance"]


@dataclass(frozen=True, slots=True)
class Draft:
    """What a template's builder returns: the prompt, the computed answer, the reasoning."""

    prompt: str
    value: float
    dimension: Dimension
    unit: str | None
    tolerance: float
    explanation: str
    parameters: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionTemplate:
    """A numeric question whose inputs come from a seed and whose answer the library computes.

    Attributes:
        id: Template id; its questions are ``"<id>~<seed>"``.
        topic: The id of the topic it belongs to.
        difficulty: ``"easy"``, ``"medium"`` or ``"hard"``.
        link: The docs page that teaches the formula, relative to docs/.
        summary: One line saying what the template asks.
        requires: The library module whose public names compute the answer.
    """

    id: str
    topic: str
    difficulty: Difficulty
    link: str
    summary: str
    requires: str
    build: Callable[[np.random.Generator], Draft] = field(repr=False, compare=False)

    def generate(self, seed: int) -> Question:
        """Draw the inputs from ``seed`` and return the question, answer computed.

        Args:
            seed: A non-negative integer; the same seed gives the same question.

        Returns:
            A ``numeric`` `twitterdesign.quiz.Question` with id ``"<id>~<seed>"``.

        Raises:
            InvalidParameterError: If ``seed`` is not a non-negative integer.

        Examples:
            >>> from twitterdesign.quiz import load_bank
            >>> template = load_bank().template("est-tpl-storage-per-day")
            >>> q = template.generate(5)
            >>> q.id, q.type, q == template.generate(5)
            ('est-tpl-storage-per-day~5', 'numeric', True)
        """
        seed = check_int("seed", seed, minimum=0)
        draft = self.build(as_generator(seed))
        return Question(
            id=f"{self.id}{SEED_SEPARATOR}{seed}",
            topic=self.topic,
            difficulty=self.difficulty,
            type="numeric",
            prompt=draft.prompt,
            options=(),
            correct=(),
            explanation=draft.explanation,
            link=self.link,
            value=float(draft.value),
            dimension=draft.dimension,
            unit=draft.unit,
            tolerance=draft.tolerance,
            template=self.id,
            parameters=draft.parameters,
        )

    def to_dict(self) -> dict[str, str]:
        """Return the template's description as a JSON-ready dict."""
        return {
            "id": self.id,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "link": self.link,
            "summary": self.summary,
            "requires": self.requires,
        }


def pick(gen: np.random.Generator, choices: tuple[Any, ...]) -> Any:
    return choices[int(gen.integers(len(choices)))]


def pct(x: float) -> str:
    return f"{x:.0%}" if x * 100 == round(x * 100) else f"{x:.1%}"


def server_tolerance(servers: float) -> float:
    # Server counts are rounded up; accept an answer one server off either way.
    return min(0.5, max(0.02, 1.0 / max(servers, 1.0)))
