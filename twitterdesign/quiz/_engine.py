"""Draw a quiz from the bank: a balanced, seeded pick of questions across topics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError
from twitterdesign.quiz._model import TOPICS, Question, QuestionBank

__all__ = ["Quiz"]

_MAX_SEED = 2**31 - 1


class Quiz:
    """A quiz: ``count`` questions drawn from the bank, spread evenly over the topics.

    Topics take turns in a random order, each giving its next question, until ``count``
    questions are drawn; so a 12-question quiz over six topics asks two per topic, and a
    topic with few questions left simply drops out of the rotation. A parametric template
    counts as one question and is instantiated with a seed drawn from ``rng``, so the same
    seed gives the same quiz, numbers included.

    Args:
        bank: The question bank (see `twitterdesign.quiz.load_bank`).
        topics: Topic ids to ask about; all of the bank's topics when None.
        count: How many questions to ask, between 1 and the number available.
        rng: A numpy Generator, a seed, or None for a fresh quiz each time.

    Raises:
        InvalidParameterError: If a topic is unknown, ``count`` is not a positive integer,
            or ``count`` exceeds the questions available for the topics.

    Examples:
        >>> from twitterdesign.quiz import load_bank
        >>> bank = load_bank()
        >>> quiz = Quiz(bank, topics=["topk", "regions"], count=4, rng=1)
        >>> len(quiz), sorted({q.topic for q in quiz})
        (4, ['regions', 'topk'])
        >>> [q.id for q in quiz] == [q.id for q in Quiz(bank, topics=["topk", "regions"],
        ...                                              count=4, rng=1)]
        True
    """

    __slots__ = ("questions", "topics")

    def __init__(
        self,
        bank: QuestionBank,
        *,
        topics: Iterable[str] | None = None,
        count: int = 10,
        rng: RngLike = None,
    ) -> None:
        if not isinstance(bank, QuestionBank):
            raise InvalidParameterError("bank", bank, "a QuestionBank from load_bank()")
        chosen = _check_topics(bank, topics)
        pools: dict[str, list[Any]] = {t: [] for t in chosen}
        for question in bank.questions:
            if question.topic in pools:
                pools[question.topic].append(question)
        for template in bank.templates:
            if template.topic in pools:
                pools[template.topic].append(template)
        available = sum(len(p) for p in pools.values())
        count = check_int("count", count, minimum=1, maximum=max(available, 1))
        if available == 0:
            raise InvalidParameterError("topics", list(chosen), "topics with questions")
        gen = as_generator(rng)
        queues = {t: [pool[i] for i in gen.permutation(len(pool))] for t, pool in pools.items()}
        picked: list[Question] = []
        while len(picked) < count:
            order = [chosen[i] for i in gen.permutation(len(chosen))]
            for topic in order:
                if len(picked) == count:
                    break
                if queues[topic]:
                    item = queues[topic].pop()
                    if isinstance(item, Question):
                        picked.append(item)
                    else:
                        picked.append(item.generate(int(gen.integers(0, _MAX_SEED))))
        self.questions: tuple[Question, ...] = tuple(picked)
        self.topics: tuple[str, ...] = chosen

    @classmethod
    def from_ids(cls, bank: QuestionBank, ids: Iterable[str]) -> Quiz:
        """Rebuild a quiz from question ids, e.g. the keys of an answers file.

        Args:
            bank: The question bank.
            ids: Question ids; parametric ones carry their seed (``"template~seed"``).

        Returns:
            A quiz asking exactly those questions, in that order.

        Raises:
            InvalidParameterError: If ``ids`` is empty or names a question twice.
            NotFoundError: If an id is not in the bank.

        Examples:
            >>> from twitterdesign.quiz import load_bank
            >>> bank = load_bank()
            >>> quiz = Quiz(bank, count=5, rng=3)
            >>> [q.id for q in Quiz.from_ids(bank, [q.id for q in quiz])] == [
            ...     q.id for q in quiz]
            True
        """
        id_list = list(ids)
        if not id_list:
            raise InvalidParameterError("ids", id_list, "at least one question id")
        if len(set(id_list)) != len(id_list):
            raise InvalidParameterError("ids", id_list, "each question id at most once")
        quiz = cls.__new__(cls)
        quiz.questions = tuple(bank.get(i) for i in id_list)
        quiz.topics = tuple(t.id for t in TOPICS if any(q.topic == t.id for q in quiz.questions))
        return quiz

    def __len__(self) -> int:
        """Return the number of questions."""
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        """Iterate over the questions in the order they are asked."""
        return iter(self.questions)

    def __getitem__(self, index: int) -> Question:
        """Return the question at ``index``."""
        return self.questions[index]

    def to_dict(self, *, include_answers: bool = False) -> dict[str, Any]:
        """Return the quiz as a JSON-ready dict (answers left out unless asked for).

        Args:
            include_answers: Whether to include each question's answer and explanation.

        Returns:
            ``{"topics": [...], "questions": [...]}``.
        """
        return {
            "topics": list(self.topics),
            "questions": [q.to_dict(include_answer=include_answers) for q in self.questions],
        }

    def _check(self) -> None:
        ids = [q.id for q in self.questions]
        assert len(ids) == len(set(ids)), "a question asked twice"
        assert all(q.topic in self.topics for q in self.questions)
        for q in self.questions:
            q._check()


def _check_topics(bank: QuestionBank, topics: Iterable[str] | None) -> tuple[str, ...]:
    if topics is None:
        return tuple(t.id for t in bank.topics)
    if isinstance(topics, str):
        topics = [topics]
    wanted = list(topics)
    if not wanted:
        raise InvalidParameterError("topics", wanted, "at least one topic, or None for all")
    known = {t.id for t in TOPICS}
    for topic in wanted:
        if topic not in known:
            raise InvalidParameterError("topic", topic, "one of " + ", ".join(t.id for t in TOPICS))
    return tuple(t.id for t in TOPICS if t.id in wanted)
