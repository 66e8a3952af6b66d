"""Drawing a quiz: size, topics, balance, determinism, bad arguments."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError, NotFoundError
from twitterdesign.quiz import TOPICS, Quiz, load_bank

BANK = load_bank()
POOL = Counter(q.topic for q in BANK) + Counter(t.topic for t in BANK.templates)
topic_sets = st.sets(st.sampled_from([t.id for t in TOPICS]), min_size=1).map(sorted)


@settings(max_examples=50)
@given(topics=topic_sets, seed=seeds, data=st.data())
def test_quiz_has_count_distinct_questions_from_the_topics(
    topics: list[str], seed: int, data: st.DataObject
) -> None:
    available = sum(POOL[t] for t in topics)
    count = data.draw(st.integers(1, available))
    quiz = Quiz(BANK, topics=topics, count=count, rng=seed)
    quiz._check()
    assert len(quiz) == count
    assert len({q.id for q in quiz}) == count
    assert {q.topic for q in quiz} <= set(topics)
    # Templates count once: no template asked twice in one quiz.
    templates = [q.template for q in quiz if q.template]
    assert len(templates) == len(set(templates))


@settings(max_examples=50)
@given(topics=topic_sets, seed=seeds, data=st.data())
def test_topics_take_turns(topics: list[str], seed: int, data: st.DataObject) -> None:
    smallest = min(POOL[t] for t in topics)
    count = data.draw(st.integers(1, smallest * len(topics)))
    per_topic = Counter(q.topic for q in Quiz(BANK, topics=topics, count=count, rng=seed))
    counts = [per_topic.get(t, 0) for t in topics]
    assert max(counts) - min(counts) <= 1


@settings(max_examples=20)
@given(seed=seeds)
def test_same_seed_same_quiz(seed: int) -> None:
    a = Quiz(BANK, count=12, rng=seed)
    b = Quiz(BANK, count=12, rng=np.random.default_rng(seed))
    assert [q.id for q in a] == [q.id for q in b]
    assert list(a) == list(b)


def test_different_seeds_usually_differ() -> None:
    quizzes = {tuple(q.id for q in Quiz(BANK, count=10, rng=s)) for s in range(20)}
    assert len(quizzes) > 15


def test_whole_bank_can_be_asked() -> None:
    total = sum(POOL.values())
    quiz = Quiz(BANK, count=total, rng=0)
    assert len({q.id for q in quiz}) == total
    with pytest.raises(InvalidParameterError, match=rf"count={total + 1}"):
        Quiz(BANK, count=total + 1, rng=0)


@pytest.mark.parametrize("count", [0, -3, 2.5, "10", True])
def test_bad_count(count: object) -> None:
    with pytest.raises(InvalidParameterError, match="count"):
        Quiz(BANK, count=count, rng=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("topics", [["astrology"], ["topk", "nope"], []])
def test_bad_topics(topics: list[str]) -> None:
    with pytest.raises(InvalidParameterError, match="topic"):
        Quiz(BANK, topics=topics, count=1, rng=0)


def test_single_topic_string_and_bad_bank() -> None:
    assert {q.topic for q in Quiz(BANK, topics="regions", count=3, rng=0)} == {"regions"}
    with pytest.raises(InvalidParameterError, match="bank"):
        Quiz([], count=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="rng"):
        Quiz(BANK, count=1, rng=-1)


def test_from_ids_round_trip_and_errors() -> None:
    quiz = Quiz(BANK, count=15, rng=4)
    again = Quiz.from_ids(BANK, [q.id for q in quiz])
    assert list(again) == list(quiz)
    assert set(again.topics) == {q.topic for q in quiz}
    with pytest.raises(InvalidParameterError, match="ids"):
        Quiz.from_ids(BANK, [])
    with pytest.raises(InvalidParameterError, match="at most once"):
        Quiz.from_ids(BANK, ["lb-p2c", "lb-p2c"])
    with pytest.raises(NotFoundError):
        Quiz.from_ids(BANK, ["lb-p2c", "made-up"])


def test_to_dict_hides_answers_unless_asked() -> None:
    quiz = Quiz(BANK, count=8, rng=2)
    hidden = quiz.to_dict()
    assert all("correct" not in q and "explanation" not in q for q in hidden["questions"])
    shown = quiz.to_dict(include_answers=True)
    assert [q["correct"] for q in shown["questions"]] == [list(q.correct) for q in quiz]
