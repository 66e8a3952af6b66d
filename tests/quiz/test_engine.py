"""Drawing a quiz: size, topics, balance, determinism, bad arguments."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError, NotFoundError
from twitterdesign.quiz import TOPICS, Quiz, grade, load_bank

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
    again = Quiz.from_ids(BANK, [q.id for q in quiz], option_seed=quiz.option_seed)
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


@settings(max_examples=40)
@given(seed=seeds, count=st.integers(1, 30))
def test_options_are_shuffled_and_the_answer_follows_them(seed: int, count: int) -> None:
    quiz = Quiz(BANK, count=count, rng=seed)
    assert quiz.option_seed is not None
    for shown in quiz:
        original = BANK.get(shown.id)
        assert sorted(shown.options) == sorted(original.options)
        # The right option texts are the same, wherever they now sit.
        if shown.type == "ordering":
            assert [shown.options[i] for i in shown.correct] == [
                original.options[i] for i in original.correct
            ]
            assert list(shown.correct) != list(range(len(shown.options)))
        else:
            assert {shown.options[i] for i in shown.correct} == {
                original.options[i] for i in original.correct
            }
        if shown.type == "true_false":
            assert shown.options == ("True", "False")
        shown._check()
    # Letters as shown are what grading reads.
    letters = {q.id: ",".join(chr(97 + i) for i in q.correct) for q in quiz if q.is_choice}
    result = grade(quiz, letters)
    assert result.correct == sum(q.is_choice for q in quiz)


@settings(max_examples=20)
@given(seed=seeds)
def test_same_seed_same_option_order_and_rebuild_from_ids(seed: int) -> None:
    a = Quiz(BANK, count=15, rng=seed)
    b = Quiz(BANK, count=15, rng=seed)
    assert [q.options for q in a] == [q.options for q in b]
    rebuilt = Quiz.from_ids(BANK, [q.id for q in a], option_seed=a.option_seed)
    assert list(rebuilt) == list(a)
    # Shuffling does not change which questions are asked.
    assert [q.id for q in Quiz(BANK, count=15, rng=seed, shuffle=False)] == [q.id for q in a]


def test_right_answer_moves_between_attempts() -> None:
    question = BANK.get("design-pubsub-realtime")
    positions = Counter(question.shuffled(s).correct[0] for s in range(400))
    assert set(positions) == set(range(len(question.options)))
    assert max(positions.values()) < 0.4 * 400  # roughly uniform, not stuck


def test_unshuffled_quiz_keeps_the_bank_order() -> None:
    quiz = Quiz(BANK, count=10, rng=4, shuffle=False)
    assert quiz.option_seed is None
    assert all(q == BANK.get(q.id) for q in quiz)


def test_bad_option_seeds_and_orders() -> None:
    with pytest.raises(InvalidParameterError, match="option_seed"):
        Quiz.from_ids(BANK, ["lb-p2c"], option_seed=-1)
    with pytest.raises(InvalidParameterError, match="seed"):
        BANK.get("lb-p2c").shuffled(-3)
    with pytest.raises(InvalidParameterError, match="order"):
        BANK.get("lb-p2c").with_option_order([0, 0, 1, 2])
