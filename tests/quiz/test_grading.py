"""Grading: full marks, any miss, numeric tolerance, unit forms, bad answers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.quiz._answers import letters, right_answer, wrong_answer
from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.quiz import (
    TOPICS,
    Question,
    QuestionBank,
    Quiz,
    check_answer,
    grade,
    load_bank,
    parse_response,
)

BANK = load_bank()
topic_sets = st.sets(st.sampled_from([t.id for t in TOPICS]), min_size=1).map(sorted)


def make_quiz(topics: list[str], count: int, seed: int) -> Quiz:
    available = sum(1 for q in BANK if q.topic in topics) + sum(
        1 for t in BANK.templates if t.topic in topics
    )
    return Quiz(BANK, topics=topics, count=min(count, available), rng=seed)


@settings(max_examples=40)
@given(topics=topic_sets, count=st.integers(1, 15), seed=seeds)
def test_all_right_answers_score_full_marks(topics: list[str], count: int, seed: int) -> None:
    quiz = make_quiz(topics, count, seed)
    result = grade(quiz, {q.id: right_answer(q) for q in quiz})
    result._check()
    assert result.score == 1.0
    assert result.correct == result.total == len(quiz)
    assert result.misses == ()


@settings(max_examples=40)
@given(topics=topic_sets, count=st.integers(1, 15), seed=seeds, data=st.data())
def test_any_wrong_answer_loses_marks(
    topics: list[str], count: int, seed: int, data: st.DataObject
) -> None:
    quiz = make_quiz(topics, count, seed)
    wrong = data.draw(st.sets(st.integers(0, len(quiz) - 1), min_size=1))
    answers = {q.id: wrong_answer(q) if i in wrong else right_answer(q) for i, q in enumerate(quiz)}
    result = grade(quiz, answers)
    result._check()
    assert result.score < 1.0
    assert result.correct == len(quiz) - len(wrong)
    assert {m.question_id for m in result.misses} == {quiz[i].id for i in wrong}
    for miss in result.misses:
        assert miss.explanation == BANK_QUESTION(quiz, miss.question_id).explanation
        assert miss.expected
        assert miss.link


def BANK_QUESTION(quiz: Quiz, qid: str) -> Question:
    return next(q for q in quiz if q.id == qid)


@settings(max_examples=30)
@given(topics=topic_sets, count=st.integers(1, 15), seed=seeds, data=st.data())
def test_per_topic_breakdown_adds_up(
    topics: list[str], count: int, seed: int, data: st.DataObject
) -> None:
    quiz = make_quiz(topics, count, seed)
    right_mask = data.draw(st.lists(st.booleans(), min_size=len(quiz), max_size=len(quiz)))
    answers = {
        q.id: right_answer(q) if ok else wrong_answer(q)
        for q, ok in zip(quiz, right_mask, strict=True)
    }
    result = grade(quiz, answers)
    expected: dict[str, list[int]] = {}
    for q, ok in zip(quiz, right_mask, strict=True):
        expected.setdefault(q.topic, [0, 0])
        expected[q.topic][0] += ok
        expected[q.topic][1] += 1
    assert {t.topic: [t.correct, t.total] for t in result.by_topic} == expected
    order = [t.id for t in TOPICS]
    assert [t.topic for t in result.by_topic] == sorted(expected, key=order.index)


def numeric(value: float, dimension: str, unit: str | None, tolerance: float) -> Question:
    return Question(
        "num",
        "estimation",
        "easy",
        "numeric",
        "How much?",
        (),
        (),
        "Because.",
        "index.md",
        value=value,
        dimension=dimension,
        unit=unit,
        tolerance=tolerance,  # type: ignore[arg-type]
    )


@given(factor=st.floats(0.5, 1.5), tolerance=st.sampled_from([0.0, 0.01, 0.05, 0.1]))
def test_numeric_tolerance_is_relative(factor: float, tolerance: float) -> None:
    q = numeric(255e12, "bytes", "TB", tolerance)
    given_bytes = 255e12 * factor
    verdict = check_answer(q, f"{given_bytes / 1e12!r} TB")
    error = abs(factor - 1)
    if error <= tolerance * (1 - 1e-9):
        assert verdict.correct
    elif error > tolerance * (1 + 1e-9) + 1e-9:
        assert not verdict.correct
        assert verdict.note.startswith("off by")


@pytest.mark.parametrize(
    ("dimension", "unit", "value", "text"),
    [
        ("count", "tweets", 25_000, "25k"),
        ("count", "tweets", 25_000, "25,000"),
        ("count", "tweets", 25_000, "25000 tweets"),
        ("count", "servers", 1.5e9, "1.5 billion"),
        ("bytes", "TB", 1.2e12, "1.2 TB"),
        ("bytes", "TB", 1.2e12, "1200 GB"),
        ("bytes", "TB", 1.2e12, "1.2"),  # a bare number is read in the question's unit
        ("bytes", "PB", 93e15, "93 PB"),
        ("bits_per_second", "Gbps", 9.6e9, "9.6 Gbps"),
        ("bits_per_second", "Gbps", 9.6e9, "9600 Mbps"),
        ("bits_per_second", "Gbps", 9.6e9, "1.2 GB/s"),  # bytes per second convert (× 8)
        ("bits_per_second", "Gbps", 9.6e9, 9.6),
        ("count", "requests/s", 64_000, "64000 requests/s"),
    ],
)
def test_numeric_answers_accept_human_forms(
    dimension: str, unit: str, value: float, text: str | float
) -> None:
    q = numeric(value, dimension, unit, 0.001)
    assert check_answer(q, text).correct, text


def test_numeric_answer_of_the_wrong_kind_is_wrong_not_an_error() -> None:
    q = numeric(9.6e9, "bits_per_second", "Gbps", 0.05)
    verdict = check_answer(q, "9.6 TB")
    assert not verdict.correct
    assert "expected bits per second" in verdict.note
    assert math.isnan(float(parse_response(q, "9.6 TB")))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["banana", "12 parsecs", [1, 2], float("nan")])
def test_numeric_garbage_is_an_error_naming_the_question(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="answer to num"):
        check_answer(numeric(1.0, "count", None, 0.0), bad)


def test_choice_answer_forms() -> None:
    q = BANK.get("design-building-blocks")
    text = [q.options[i] for i in q.correct]
    expected = tuple(q.correct)
    assert parse_response(q, letters(q.correct)) == expected
    assert parse_response(q, "".join(chr(97 + i) for i in reversed(q.correct))) == expected
    assert parse_response(q, text) == expected
    assert parse_response(q, [t.upper() for t in text]) == expected
    tf = BANK.get("design-dns-lb")  # the statement is false
    for form in (False, "false", "F", "no", "b", "B)"):
        assert check_answer(tf, form).correct, form
    for form in (True, "true", "yes", "a"):
        assert not check_answer(tf, form).correct, form
    order = BANK.get("lb-session-evolution")
    assert check_answer(order, letters(order.correct)).correct
    assert check_answer(order, "".join(chr(97 + i) for i in order.correct)).correct


@pytest.mark.parametrize(
    ("qid", "bad"),
    [
        ("design-sequencer", "z"),
        ("design-sequencer", "not an option at all"),
        ("design-sequencer", 3),
        ("design-dns-lb", "maybe"),
        ("design-building-blocks", "a, a"),
        ("design-building-blocks", "a, q"),
        ("lb-session-evolution", "a, b"),  # an ordering must place every option
    ],
)
def test_answer_that_is_not_an_option_is_an_error(qid: str, bad: object) -> None:
    with pytest.raises(InvalidParameterError, match=f"answer to {qid}"):
        check_answer(BANK.get(qid), bad)


def test_missing_answers_count_as_wrong_and_unknown_ids_are_errors() -> None:
    quiz = Quiz(BANK, topics=["storage"], count=3, rng=0)
    result = grade(quiz, {quiz[0].id: right_answer(quiz[0])})
    assert (result.correct, result.total) == (1, 3)
    assert [c.given for c in result.misses] == ["(no answer)", "(no answer)"]
    by_position = grade(quiz, [right_answer(quiz[0]), "", None])
    assert by_position.correct == 1
    with pytest.raises(InvalidParameterError, match="ids of questions in the quiz"):
        grade(quiz, {"lb-p2c-nope": "a"})
    with pytest.raises(InvalidParameterError, match="at most 3"):
        grade(quiz, ["a", "a", "a", "a"])
    with pytest.raises(InvalidParameterError, match="answers"):
        grade(quiz, "abc")


def test_result_to_dict_round_trips_counts() -> None:
    quiz = Quiz(BANK, count=6, rng=11)
    result = grade(quiz, {q.id: right_answer(q) for q in quiz[:4]})
    data = result.to_dict()
    assert data["correct"] == 4
    assert data["total"] == 6
    assert math.isclose(data["score"], 4 / 6)
    assert sum(t["total"] for t in data["by_topic"]) == 6
    assert len(data["checks"]) == 6


def test_grade_accepts_a_plain_question_list() -> None:
    q = BANK.get("lb-p2c")
    bank = QuestionBank((q,))
    assert grade(list(bank), [chr(ord("a") + q.correct[0])]).score == 1.0


def test_error_for_an_unreadable_number_does_not_give_the_answer_away() -> None:
    q = numeric(97.6e12, "bytes", "TB", 0.05)
    with pytest.raises(InvalidParameterError) as exc:
        check_answer(q, "b")
    assert "97.6" not in str(exc.value)
    assert "TB" in str(exc.value)


# Units written out here, independently of twitterdesign.units.
SI_FORMS = {
    "bytes": [
        ("B", 1),
        ("KB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("TB", 1e12),
        ("PB", 1e15),
        ("KiB", 2**10),
        ("GiB", 2**30),
        ("bytes", 1),
    ],
    "bits_per_second": [
        ("bps", 1),
        ("Kbps", 1e3),
        ("Mbps", 1e6),
        ("Gbps", 1e9),
        ("Tbps", 1e12),
        ("Gbit/s", 1e9),
    ],
    "count": [
        ("", 1),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("million", 1e6),
        ("B", 1e9),
        ("bn", 1e9),
        ("billion", 1e9),
    ],
}


@settings(max_examples=200)
@given(
    dimension=st.sampled_from(sorted(SI_FORMS)),
    value=st.floats(1.0, 1e17, allow_nan=False),
    data=st.data(),
)
def test_any_unit_form_of_the_right_value_is_accepted(
    dimension: str, value: float, data: st.DataObject
) -> None:
    unit, size = data.draw(st.sampled_from(SI_FORMS[dimension]))
    q = numeric(value, dimension, None, 1e-6)
    assert check_answer(q, f"{value / size!r} {unit}".strip()).correct
    if dimension == "count":
        assert check_answer(q, f"{value:,.10f}").correct  # thousands separators
    too_big = f"{value * 1.01 / size!r} {unit}".strip()
    assert not check_answer(q, too_big).correct
