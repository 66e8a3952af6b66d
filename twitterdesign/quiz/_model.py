"""The quiz's data model: topics, questions and the bank that holds them."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from twitterdesign.errors import InvalidParameterError, NotFoundError
from twitterdesign.units import Dimension, Quantity, format_quantity

if TYPE_CHECKING:
    from twitterdesign.quiz._template_base import QuestionTemplate

__all__ = [
    "DIFFICULTIES",
    "DOCS_URL",
    "QUESTION_TYPES",
    "TOPICS",
    "Difficulty",
    "Question",
    "QuestionBank",
    "QuestionType",
    "Topic",
    "docs_url",
]

QuestionType = Literal["single", "multiple", "true_false", "numeric", "ordering"]
Difficulty = Literal["easy", "medium", "hard"]

QUESTION_TYPES: tuple[QuestionType, ...] = (
    "single",
    "multiple",
    "true_false",
    "numeric",
    "ordering",
)
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
TRUE_FALSE_OPTIONS: tuple[str, str] = ("True", "False")

#: Where the documentation site lives (``site_url`` in mkdocs.yml); "read more" links
#: point here, so they work for anyone who installed the package, not only in a checkout.
DOCS_URL = "https://twitterdesign.readthedocs.io/"

#: Separates a template's id from the seed that drew its parameters: ``"est-storage~42"``.
SEED_SEPARATOR = "~"


@dataclass(frozen=True, slots=True)
class Topic:
    """One part of the lesson the bank asks about.

    Attributes:
        id: Short name used on the command line and in question ids, e.g. ``"topk"``.
        title: The part of the lesson, in words.
    """

    id: str
    title: str

    def to_dict(self) -> dict[str, str]:
        """Return the topic as a JSON-ready dict."""
        return {"id": self.id, "title": self.title}


#: The six topics, in the lesson's order.
TOPICS: tuple[Topic, ...] = (
    Topic("estimation", "Requirements and resource estimation"),
    Topic("design", "High-level design and API design"),
    Topic("storage", "Storage, timelines and fan-out"),
    Topic("topk", "Top-k and counting at scale"),
    Topic("load-balancing", "Client-side load balancing"),
    Topic("regions", "Regional capacity"),
)


def _letter(index: int) -> str:
    return chr(ord("a") + index)


def docs_url(link: str) -> str:
    """Return the docs site's address of a docs-relative ``link`` such as ``"a/b.md#c"``.

    The site uses directory URLs, so ``explanation/topk.md`` is served at
    ``explanation/topk/`` and ``quiz/index.md`` at ``quiz/``.

    Examples:
        >>> docs_url("explanation/topk.md#sharded-counters")
        'https://twitterdesign.readthedocs.io/explanation/topk/#sharded-counters'
        >>> docs_url("index.md")
        'https://twitterdesign.readthedocs.io/'
    """
    page, sep, anchor = link.partition("#")
    if page == "index.md" or page.endswith("/index.md"):
        path = page[: -len("index.md")]
    elif page.endswith(".md"):
        path = page[: -len(".md")] + "/"
    else:
        path = page
    return DOCS_URL + path + (sep + anchor if anchor else "")


@dataclass(frozen=True, slots=True)
class Question:
    """One quiz question with its answer, the reasoning behind it and where to read more.

    Choice-like questions (``single``, ``multiple``, ``true_false``, ``ordering``) keep the
    right answer as option indices in ``correct``: one index for ``single`` and
    ``true_false``, the set of right options (ascending) for ``multiple``, and every option
    in the right order for ``ordering``. ``numeric`` questions keep it in ``value``, in the
    base unit of ``dimension`` (bytes, bits per second, bytes per second or a plain count),
    and accept any answer within ``tolerance`` (relative) of it.

    Attributes:
        id: Unique id; a parametric question's id is its template id, ``~`` and the seed.
        topic: The id of one of `TOPICS`.
        difficulty: ``"easy"``, ``"medium"`` or ``"hard"``.
        type: One of ``single``, ``multiple``, ``true_false``, ``numeric``, ``ordering``.
        prompt: The question, in plain text.
        options: The options shown, in display order (empty for numeric questions).
        correct: Indices into ``options`` that make the right answer.
        value: The numeric answer in base units (numeric questions only).
        dimension: What ``value`` measures (numeric questions only).
        unit: The unit a bare number is read in, e.g. ``"TB"`` or ``"servers"``.
        tolerance: Accepted relative error for numeric answers, e.g. ``0.05``.
        explanation: Why the right answer is right and the tempting wrong ones are wrong.
        link: The docs page (and optional ``#anchor``) that teaches it, relative to docs/.
        template: The id of the template the question was drawn from, if any.
        parameters: The inputs a template drew, as ``(name, value)`` pairs.
    """

    id: str
    topic: str
    difficulty: Difficulty
    type: QuestionType
    prompt: str
    options: tuple[str, ...]
    correct: tuple[int, ...]
    explanation: str
    link: str
    value: float | None = None
    dimension: Dimension | None = None
    unit: str | None = None
    tolerance: float = 0.0
    template: str | None = None
    parameters: tuple[tuple[str, float], ...] = ()

    @property
    def url(self) -> str:
        """The address of the docs page (and section) that teaches this question."""
        return docs_url(self.link)

    @property
    def is_choice(self) -> bool:
        """Whether the answer is picked among ``options`` (every type except numeric)."""
        return self.type != "numeric"

    def answer_text(self) -> str:
        """Return the right answer as a person would write it.

        Returns:
            ``"b) text"`` for one option, letters joined by commas for several, the
            ordering as letters, or the numeric value with its unit and tolerance.

        Examples:
            >>> q = Question("x", "design", "easy", "true_false", "Is it?",
            ...              ("True", "False"), (0,), "Because.", "index.md")
            >>> q.answer_text()
            'a) True'
        """
        if self.type == "numeric":
            assert self.value is not None
            assert self.dimension is not None
            text = format_quantity(Quantity(self.value, self.dimension))
            if self.unit and self.dimension == "count":
                text = f"{text} {self.unit}"
            if self.tolerance > 0:
                text += f" (±{self.tolerance * 100:.3g}%)"
            return text
        if self.type in ("single", "true_false"):
            index = self.correct[0]
            return f"{_letter(index)}) {self.options[index]}"
        if self.type == "ordering":
            return ", ".join(_letter(i) for i in self.correct)
        return ", ".join(f"{_letter(i)}) {self.options[i]}" for i in self.correct)

    def with_option_order(self, order: Sequence[int]) -> Question:
        """Return the question with its options shown in ``order``, answer remapped.

        Args:
            order: A permutation of the option indices; ``order[i]`` is the index (in
                this question) of the option shown ``i``-th.

        Returns:
            An equal question but for the order of ``options`` and the indices in
            ``correct`` (still ascending for ``multiple``, still the right sequence for
            ``ordering``).

        Raises:
            InvalidParameterError: If ``order`` is not a permutation of the options.

        Examples:
            >>> q = Question("x", "design", "easy", "single", "Which?", ("p", "q", "r"),
            ...              (0,), "Because p.", "index.md")
            >>> q2 = q.with_option_order([2, 0, 1])
            >>> q2.options, q2.correct
            (('r', 'p', 'q'), (1,))
        """
        n = len(self.options)
        if sorted(order) != list(range(n)):
            raise InvalidParameterError("order", list(order), f"a permutation of 0..{n - 1}")
        position = {old: new for new, old in enumerate(order)}
        correct = tuple(position[i] for i in self.correct)
        if self.type == "multiple":
            correct = tuple(sorted(correct))
        options = tuple(self.options[i] for i in order)
        return replace(self, options=options, correct=correct)

    def shuffled(self, seed: int) -> Question:
        """Return the question with its options in an order drawn from ``seed`` and its id.

        The order depends only on the seed and the question's id, so a quiz rebuilt from
        its ids and seed shows every question exactly as before. True/false options stay
        True, False; numeric questions have no options; an ordering question is never
        shown already in the right order.

        Args:
            seed: A non-negative integer, e.g. `Quiz.option_seed`.

        Returns:
            The question with shuffled options (the same question when there is nothing
            to shuffle).

        Examples:
            >>> q = Question("x", "design", "easy", "single", "Which?", ("p", "q", "r", "s"),
            ...              (0,), "Because p.", "index.md")
            >>> q.shuffled(7) == q.shuffled(7)
            True
            >>> q.shuffled(7).options[q.shuffled(7).correct[0]]
            'p'
        """
        import numpy as np

        from twitterdesign._validate import check_int

        seed = check_int("seed", seed, minimum=0)
        if self.type in ("numeric", "true_false") or len(self.options) < 2:
            return self
        gen = np.random.default_rng([seed, zlib.crc32(self.id.encode("utf-8"))])
        while True:
            order = [int(i) for i in gen.permutation(len(self.options))]
            shown = self.with_option_order(order)
            if shown.type != "ordering" or list(shown.correct) != list(range(len(order))):
                return shown

    def to_dict(self, *, include_answer: bool = True) -> dict[str, Any]:
        """Return the question as a JSON-ready dict.

        Args:
            include_answer: Whether to include ``correct``, ``value`` and the explanation
                (leave them out to hand a quiz to someone who is about to take it).

        Returns:
            A dict with every field that applies to the question's type.
        """
        data: dict[str, Any] = {
            "id": self.id,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "type": self.type,
            "prompt": self.prompt,
            "options": list(self.options),
            "link": self.link,
            "url": self.url,
        }
        if self.type == "numeric":
            data["dimension"] = self.dimension
            data["unit"] = self.unit
            data["tolerance"] = self.tolerance
        if self.template is not None:
            data["template"] = self.template
            data["parameters"] = dict(self.parameters)
        if include_answer:
            data["correct"] = list(self.correct)
            data["value"] = self.value
            data["answer_text"] = self.answer_text()
            data["explanation"] = self.explanation
        return data

    def _check(self) -> None:
        """Assert the question's invariants (used by tests and by the bank loader)."""
        problems = self.problems()
        assert not problems, f"question {self.id!r}: " + "; ".join(problems)

    def problems(self) -> list[str]:
        """Return what is wrong with the question, as sentences (empty when it is valid).

        Returns:
            One message per broken rule: unknown topic or type, empty text, answers that
            are not among the options, a numeric answer that is not finite, and so on.
        """
        out: list[str] = []
        if not self.id or any(c.isspace() for c in self.id):
            out.append("id must be a non-empty string without spaces")
        if self.topic not in {t.id for t in TOPICS}:
            out.append(f"unknown topic {self.topic!r}")
        if self.difficulty not in DIFFICULTIES:
            out.append(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
        if self.type not in QUESTION_TYPES:
            out.append(f"type must be one of {', '.join(QUESTION_TYPES)}")
        for name in ("prompt", "explanation", "link"):
            if not str(getattr(self, name)).strip():
                out.append(f"{name} must not be empty")
        if len(set(self.options)) != len(self.options):
            out.append("options must be distinct")
        n = len(self.options)
        if any(not (0 <= i < n) for i in self.correct):
            out.append("answer must be among the options")
        if self.type == "numeric":
            if self.options or self.correct:
                out.append("a numeric question has no options")
            if self.value is None or not math.isfinite(self.value):
                out.append("a numeric question needs a finite value")
            if self.dimension is None:
                out.append("a numeric question needs a dimension")
            if not (0.0 <= self.tolerance < 1.0):
                out.append("tolerance must be in [0, 1)")
        elif self.type in ("single", "true_false"):
            if len(self.correct) != 1:
                out.append("exactly one option must be the answer")
            if self.type == "true_false" and self.options != TRUE_FALSE_OPTIONS:
                out.append("a true/false question's options are True and False")
            if self.type == "single" and n < 2:
                out.append("a single-choice question needs at least two options")
        elif self.type == "multiple":
            if not self.correct or list(self.correct) != sorted(set(self.correct)):
                out.append("the answer must be a non-empty set of options")
            if n < 3:
                out.append("a multiple-choice question needs at least three options")
        elif self.type == "ordering":
            if sorted(self.correct) != list(range(n)) or n < 2:
                out.append("the answer must order every option exactly once")
            elif list(self.correct) == list(range(n)):
                out.append("options must not be listed already in the right order")
        return out


class QuestionBank:
    """Every question the quiz can ask: fixed questions and parametric templates.

    Build one with `twitterdesign.quiz.load_bank`; it validates on the way in.

    Args:
        questions: The fixed questions.
        templates: Parametric templates whose answers the library computes.

    Raises:
        InvalidParameterError: If two questions or templates share an id.

    Examples:
        >>> from twitterdesign.quiz import load_bank
        >>> bank = load_bank()
        >>> len(bank) >= 60
        True
        >>> bank.get("design-pubsub-realtime").topic
        'design'
    """

    __slots__ = ("_by_id", "_templates", "questions", "templates")

    def __init__(
        self,
        questions: tuple[Question, ...],
        *,
        templates: tuple[QuestionTemplate, ...] = (),
    ) -> None:
        self.questions = tuple(questions)
        self.templates = tuple(templates)
        self._by_id: dict[str, Question] = {}
        self._templates: dict[str, QuestionTemplate] = {}
        for q in self.questions:
            if q.id in self._by_id:
                raise InvalidParameterError("questions", q.id, "unique question ids")
            self._by_id[q.id] = q
        for t in self.templates:
            if t.id in self._by_id or t.id in self._templates:
                raise InvalidParameterError("templates", t.id, "ids unique across the bank")
            self._templates[t.id] = t

    def __len__(self) -> int:
        """Return the number of fixed questions (templates not included)."""
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        """Iterate over the fixed questions."""
        return iter(self.questions)

    @property
    def topics(self) -> tuple[Topic, ...]:
        """The topics the bank covers, in the lesson's order."""
        present = {q.topic for q in self.questions} | {t.topic for t in self.templates}
        return tuple(t for t in TOPICS if t.id in present)

    def topic(self, topic_id: str) -> Topic:
        """Return the topic named ``topic_id``.

        Args:
            topic_id: A topic id such as ``"topk"``.

        Returns:
            The `Topic`.

        Raises:
            InvalidParameterError: If no topic has that id.

        Examples:
            >>> from twitterdesign.quiz import load_bank
            >>> load_bank().topic("topk").title
            'Top-k and counting at scale'
        """
        for t in TOPICS:
            if t.id == topic_id:
                return t
        raise InvalidParameterError("topic", topic_id, "one of " + ", ".join(t.id for t in TOPICS))

    def template(self, template_id: str) -> QuestionTemplate:
        """Return the parametric template named ``template_id``.

        Raises:
            NotFoundError: If there is no such template.
        """
        try:
            return self._templates[template_id]
        except KeyError:
            raise NotFoundError(f"no quiz template with id {template_id!r}") from None

    def get(self, question_id: str) -> Question:
        """Return a question by id; ``"template~seed"`` regenerates a parametric question.

        Args:
            question_id: A fixed question's id, or a template id and a seed joined by ``~``.

        Returns:
            The question. A parametric question comes back identical for the same seed.

        Raises:
            NotFoundError: If no question or template has that id.
        """
        if not isinstance(question_id, str):
            raise NotFoundError(f"question ids are strings, not {question_id!r}")
        found = self._by_id.get(question_id)
        if found is not None:
            return found
        base, sep, seed_text = question_id.partition(SEED_SEPARATOR)
        canonical = seed_text.isdigit() and str(int(seed_text)) == seed_text  # no "007"
        if sep and base in self._templates and canonical:
            return self._templates[base].generate(int(seed_text))
        raise NotFoundError(f"no quiz question with id {question_id!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the fixed questions and the templates' descriptions as a dict."""
        return {
            "topics": [t.to_dict() for t in self.topics],
            "questions": [q.to_dict() for q in self.questions],
            "templates": [t.to_dict() for t in self.templates],
        }

    def _check(self) -> None:
        """Assert every invariant: valid questions, unique ids, known topics."""
        ids = [q.id for q in self.questions] + [t.id for t in self.templates]
        assert len(ids) == len(set(ids)), "duplicate ids"
        for q in self.questions:
            q._check()
        for t in self.templates:
            assert t.topic in {x.id for x in TOPICS}, t.id
            assert SEED_SEPARATOR not in t.id, t.id
