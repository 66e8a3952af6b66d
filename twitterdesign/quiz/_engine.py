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

    Each choice question's options are shuffled (`Question.shuffled`) with
    ``option_seed``, itself drawn from ``rng``: so where the right option sits differs from
    quiz to quiz, and the same seed still gives the same quiz, option order included.
    Option letters in answers refer to this shown order.

    Args:
        bank: The question bank (see `twitterdesign.quiz.load_bank`).
        topics: Topic ids to ask about; all of the bank's topics when None.
        count: How many questions to ask, between 1 and the number available.
        rng: A numpy Generator, a seed, or None for a fresh quiz each time.
        shuffle: Whether to shuffle each question's options (True/False and numeric
            questions are never shuffled). With False, options keep the bank's order.

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

    __slots__ = ("option_seed", "questions", "topics")

    def __init__(
        self,
        bank: QuestionBank,
        *,
        topics: Iterable[str] | None = None,
        count: int = 10,
        rng: RngLike = None,
        shuffle: bool = True,
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
        # Drawn after the picks, so shuffling leaves which questions are asked unchanged.
        option_seed = int(gen.integers(0, _MAX_SEED)) if shuffle else None
        self.questions: tuple[Question, ...] = _shown(picked, option_seed)
        self.topics: tuple[str, ...] = chosen
        #: The seed each question's option order was drawn from (None: bank order).
        self.option_seed: int | None = option_seed

    @classmethod
    def from_ids(
        cls, bank: QuestionBank, ids: Iterable[str], *, option_seed: int | None = None
    ) -> Quiz:
        """Rebuild a quiz from question ids, e.g. the keys of an answers file.

        Args:
            bank: The question bank.
            ids: Question ids; parametric ones carry their seed (``"template~seed"``).
            option_seed: The quiz's `option_seed`, to show the options in the order the
                quiz showed them; None keeps the bank's order.

        Returns:
            A quiz asking exactly those questions, in that order.

        Raises:
            InvalidParameterError: If ``ids`` is empty, names a question twice, or
                ``option_seed`` is negative.
            NotFoundError: If an id is not in the bank.

        Examples:
            >>> from twitterdesign.quiz import load_bank
            >>> bank = load_bank()
            >>> quiz = Quiz(bank, count=5, rng=3)
            >>> again = Quiz.from_ids(bank, [q.id for q in quiz], option_seed=quiz.option_seed)
            >>> list(again) == list(quiz)
            True
        """
        id_list = list(ids)
        if not id_list:
            raise InvalidParameterError("ids", id_list, "at least one question id")
        if len(set(id_list)) != len(id_list):
            raise InvalidParameterError("ids", id_list, "each question id at most once")
        if option_seed is not None:
            option_seed = check_int("option_seed", option_seed, minimum=0)
        quiz = cls.__new__(cls)
        quiz.questions = _shown([bank.get(i) for i in id_list], option_seed)
        quiz.option_seed = option_seed
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
            ``{"topics": [...], "option_seed": ..., "questions": [...]}``.
        """
        return {
            "topics": list(self.topics),
            "option_seed": self.option_seed,
            "questions": [q.to_dict(include_answer=include_answers) for q in self.questions],
        }

    def _check(self) -> None:
        ids = [q.id for q in self.questions]
        assert len(ids) == len(set(ids)), "a question asked twice"
        assert all(q.topic in self.topics for q in self.questions)
        for q in self.questions:
            q._check()


def _shown(questions: Iterable[Question], option_seed: int | None) -> tuple[Question, ...]:
    if option_seed is None:
        return tuple(questions)
    return tuple(q.shuffled(option_seed) for q in questions)


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
