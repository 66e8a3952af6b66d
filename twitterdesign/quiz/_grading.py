"""Grading: read a person's answer in the forms people type, compare it, explain misses."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twitterdesign.errors import InvalidParameterError
from twitterdesign.quiz._model import TOPICS, Question, docs_url
from twitterdesign.units import BITS_PER_BYTE, Quantity, format_quantity, parse_quantity

if TYPE_CHECKING:
    from twitterdesign.quiz._engine import Quiz

__all__ = ["AnswerCheck", "QuizResult", "TopicScore", "check_answer", "grade", "parse_response"]

_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}


@dataclass(frozen=True, slots=True)
class AnswerCheck:
    """The verdict on one answer.

    Attributes:
        question_id: The question answered.
        topic: The question's topic id.
        correct: Whether the answer is right.
        given: The answer as understood (``"(no answer)"`` when none was given).
        expected: The right answer, as a person would write it.
        explanation: Why the right answer is right (and the tempting ones wrong).
        link: The docs page that teaches it, relative to docs/ (see `url`).
        note: Extra feedback on this answer, e.g. the relative error of a number.
    """

    question_id: str
    topic: str
    correct: bool
    given: str
    expected: str
    explanation: str
    link: str
    note: str = ""

    @property
    def url(self) -> str:
        """The docs site's address of the page that teaches it."""
        return docs_url(self.link)

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict as a JSON-ready dict."""
        return {
            "question_id": self.question_id,
            "topic": self.topic,
            "correct": self.correct,
            "given": self.given,
            "expected": self.expected,
            "explanation": self.explanation,
            "link": self.link,
            "url": self.url,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class TopicScore:
    """Right answers out of questions asked, for one topic."""

    topic: str
    title: str
    correct: int
    total: int

    @property
    def score(self) -> float:
        """The share of right answers, in [0, 1]."""
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the topic's score as a JSON-ready dict."""
        return {
            "topic": self.topic,
            "title": self.title,
            "correct": self.correct,
            "total": self.total,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class QuizResult:
    """A graded quiz: the score, the score per topic, and a verdict per question.

    Attributes:
        correct: Number of right answers.
        total: Number of questions in the quiz.
        by_topic: One `TopicScore` per topic asked, in the lesson's order.
        checks: One `AnswerCheck` per question, in quiz order.
    """

    correct: int
    total: int
    by_topic: tuple[TopicScore, ...]
    checks: tuple[AnswerCheck, ...]

    @property
    def score(self) -> float:
        """The share of right answers, in [0, 1]."""
        return self.correct / self.total if self.total else 0.0

    @property
    def misses(self) -> tuple[AnswerCheck, ...]:
        """The verdicts on wrong or missing answers, each with its explanation."""
        return tuple(c for c in self.checks if not c.correct)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return {
            "score": self.score,
            "correct": self.correct,
            "total": self.total,
            "by_topic": [t.to_dict() for t in self.by_topic],
            "checks": [c.to_dict() for c in self.checks],
        }

    def _check(self) -> None:
        assert self.correct == sum(c.correct for c in self.checks)
        assert self.total == len(self.checks) == sum(t.total for t in self.by_topic)
        assert self.correct == sum(t.correct for t in self.by_topic)


def _letters_of(question: Question) -> str:
    return ", ".join(chr(ord("a") + i) for i in range(len(question.options)))


def _one_option(question: Question, item: Any) -> int:
    if isinstance(item, str):
        text = item.strip()
        lowered = text.lower().rstrip(")")
        if len(lowered) == 1 and "a" <= lowered < chr(ord("a") + len(question.options)):
            return ord(lowered) - ord("a")
        for i, option in enumerate(question.options):
            if text.lower() == option.lower():
                return i
    raise InvalidParameterError(
        f"answer to {question.id}", item, f"an option letter ({_letters_of(question)}) or its text"
    )


def _option_list(question: Question, response: Any) -> list[int]:
    if isinstance(response, str):
        text = response.strip()
        if any(option.lower() == text.lower() for option in question.options):
            items: Sequence[Any] = [text]
        elif re.fullmatch(r"[A-Za-z]+", text):
            items = list(text)  # "bac" -> b, a, c
        else:
            items = [p for p in re.split(r"[\s,;>]+", text) if p]
    elif isinstance(response, Sequence):
        items = response
    else:
        raise InvalidParameterError(
            f"answer to {question.id}", response, "option letters such as 'a, c' or a list"
        )
    return [_one_option(question, item) for item in items]


def _unit_factor(question: Question) -> float:
    if question.unit is None or question.dimension is None:
        return 1.0
    try:
        quantity = parse_quantity(f"1 {question.unit}", expected=question.dimension)
    except InvalidParameterError:
        return 1.0
    return quantity.value if quantity.dimension == question.dimension else 1.0


def _numeric(question: Question, response: Any) -> tuple[float, str]:
    """Return (value in the question's base unit, note); note explains a unit mismatch."""
    assert question.dimension is not None
    name = f"answer to {question.id}"
    if isinstance(response, int | float) and not isinstance(response, bool):
        value = float(response)
        if not math.isfinite(value):
            raise InvalidParameterError(name, response, "a finite number")
        return value * _unit_factor(question), ""
    if not isinstance(response, str):
        raise InvalidParameterError(name, response, "a number such as '25k' or '1.2 TB'")
    text = response.strip()
    unit_word = (question.unit or "").strip()
    if unit_word and text.lower().endswith(unit_word.lower()) and _unit_factor(question) == 1.0:
        text = text[: -len(unit_word)].strip()  # "8 servers" -> "8"
    try:
        quantity = parse_quantity(text, expected=question.dimension)
    except InvalidParameterError:
        # The example must not give the answer away.
        example = f"12.5 {question.unit}" if question.unit else "12.5"
        raise InvalidParameterError(
            name, response, f"a number with an optional unit, such as {example!r}"
        ) from None
    bare = text[-1:].isdigit()
    if quantity.dimension == question.dimension:
        if bare:
            return quantity.value * _unit_factor(question), ""
        return quantity.value, ""
    if quantity.dimension == "count" and bare:
        return quantity.value * _unit_factor(question), ""
    rates = {"bits_per_second": BITS_PER_BYTE, "bytes_per_second": 1 / BITS_PER_BYTE}
    if {quantity.dimension, question.dimension} == set(rates):
        return quantity.value * rates[question.dimension], ""
    wanted = question.dimension.replace("_", " ")
    got = quantity.dimension.replace("_", " ")
    return math.nan, f"expected {wanted}, got {got}"


def parse_response(question: Question, response: Any) -> int | tuple[int, ...] | float:
    """Read an answer in any of the forms a person types and return it in canonical form.

    Choice answers may be option letters (``"b"``, ``"a, c"``, ``"cab"``), option texts,
    a list of either, or for true/false ``true``/``false``/``yes``/``no``. Numeric answers
    may be numbers (read in the question's ``unit``) or text with units such as ``"25k"``,
    ``"25,000"``, ``"1.2 TB"`` or ``"9.6 Gbps"``; bytes per second and bits per second
    convert into each other.

    Args:
        question: The question answered.
        response: The answer as given.

    Returns:
        An option index (single, true/false), a tuple of indices (multiple: ascending;
        ordering: as given), or a float in the question's base unit (NaN when the unit
        measures something else, e.g. bytes for a bit rate).

    Raises:
        InvalidParameterError: If the answer is not an option or not a number.

    Examples:
        >>> from twitterdesign.quiz import load_bank
        >>> q = load_bank().get("design-pubsub-realtime")
        >>> parse_response(q, q.options[q.correct[0]]) == q.correct[0]
        True
    """
    if question.type == "numeric":
        return _numeric(question, response)[0]
    if question.type == "true_false":
        if isinstance(response, bool):
            return 0 if response else 1
        if isinstance(response, str) and response.strip().lower() in _TRUE | _FALSE:
            return 0 if response.strip().lower() in _TRUE else 1
        if isinstance(response, str) and response.strip().lower().rstrip(")") in ("a", "b"):
            return _one_option(question, response)
        raise InvalidParameterError(f"answer to {question.id}", response, "true or false (a or b)")
    if question.type == "single":
        return _one_option(question, response)
    indices = _option_list(question, response)
    if len(set(indices)) != len(indices):
        raise InvalidParameterError(
            f"answer to {question.id}", response, "each option at most once"
        )
    if question.type == "multiple":
        return tuple(sorted(indices))
    if len(indices) != len(question.options):
        raise InvalidParameterError(
            f"answer to {question.id}",
            response,
            f"every option ({_letters_of(question)}) in order, e.g. 'c, a, b'",
        )
    return tuple(indices)


def _describe(question: Question, parsed: int | tuple[int, ...] | float) -> str:
    if question.type == "numeric":
        assert question.dimension is not None
        assert isinstance(parsed, float)
        if math.isnan(parsed):
            return "(a quantity of another kind)"
        return format_quantity(Quantity(parsed, question.dimension))
    if isinstance(parsed, int):
        return f"{chr(ord('a') + parsed)}) {question.options[parsed]}"
    assert isinstance(parsed, tuple)
    return ", ".join(chr(ord("a") + i) for i in parsed)


def check_answer(question: Question, response: Any) -> AnswerCheck:
    """Grade one answer and say why.

    Args:
        question: The question.
        response: The answer in any form `parse_response` reads; None or ``""``
            means no answer (graded wrong).

    Returns:
        An `AnswerCheck` with the verdict, the right answer and the explanation.

    Raises:
        InvalidParameterError: If the answer is not an option or not a number.

    Examples:
        >>> from twitterdesign.quiz import load_bank
        >>> q = load_bank().get("design-pubsub-realtime")
        >>> check_answer(q, q.options[q.correct[0]]).correct
        True
        >>> check_answer(q, None).given
        '(no answer)'
    """

    def verdict(correct: bool, given: str, note: str = "") -> AnswerCheck:
        return AnswerCheck(
            question_id=question.id,
            topic=question.topic,
            correct=correct,
            given=given,
            expected=question.answer_text(),
            explanation=question.explanation,
            link=question.link,
            note=note,
        )

    if response is None or (isinstance(response, str) and not response.strip()):
        return verdict(False, "(no answer)")
    if question.type == "numeric":
        value, note = _numeric(question, response)
        assert question.value is not None
        expected = question.value
        if math.isnan(value):
            return verdict(False, str(response), note)
        error = abs(value - expected) / abs(expected) if expected else abs(value)
        ok = error <= question.tolerance + 1e-12
        if not ok:
            note = f"off by {error * 100:.3g}%" if expected else "not zero"
        return verdict(ok, _describe(question, value), note)
    parsed = parse_response(question, response)
    expected_answer: int | tuple[int, ...]
    expected_answer = (
        question.correct[0] if question.type in ("single", "true_false") else (question.correct)
    )
    return verdict(parsed == expected_answer, _describe(question, parsed))


def grade(
    quiz: Quiz | Sequence[Question], answers: Mapping[str, Any] | Sequence[Any]
) -> QuizResult:
    """Grade a whole quiz.

    Args:
        quiz: The quiz taken (or any sequence of questions).
        answers: Answers keyed by question id, or a sequence in quiz order. A question
            without an answer counts as wrong.

    Returns:
        A `QuizResult` with the score, the score per topic and every verdict.

    Raises:
        InvalidParameterError: If an answer is not an option or not a number, an id is
            not in the quiz, or a sequence of answers is longer than the quiz.

    Examples:
        >>> from twitterdesign.quiz import Quiz, load_bank
        >>> quiz = Quiz(load_bank(templates=False), topics=["design"], count=3, rng=7)
        >>> letters = {q.id: ",".join(chr(97 + i) for i in q.correct) for q in quiz}
        >>> grade(quiz, letters).score
        1.0
        >>> grade(quiz, {}).score
        0.0
    """
    questions = tuple(quiz)
    if isinstance(answers, Mapping):
        ids = {q.id for q in questions}
        unknown = [k for k in answers if k not in ids]
        if unknown:
            raise InvalidParameterError("answers", unknown[0], "ids of questions in the quiz")
        given = [answers.get(q.id) for q in questions]
    elif isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        if len(answers) > len(questions):
            raise InvalidParameterError(
                "answers", f"{len(answers)} answers", f"at most {len(questions)}"
            )
        given = [*answers, *([None] * (len(questions) - len(answers)))]
    else:
        raise InvalidParameterError("answers", answers, "a mapping of id to answer or a list")
    checks = tuple(check_answer(q, a) for q, a in zip(questions, given, strict=True))
    by_topic = tuple(
        TopicScore(
            topic=t.id,
            title=t.title,
            correct=sum(c.correct for c in checks if c.topic == t.id),
            total=sum(1 for c in checks if c.topic == t.id),
        )
        for t in TOPICS
        if any(c.topic == t.id for c in checks)
    )
    return QuizResult(
        correct=sum(c.correct for c in checks),
        total=len(checks),
        by_topic=by_topic,
        checks=checks,
    )
