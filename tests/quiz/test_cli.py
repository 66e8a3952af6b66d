"""The ``twitterdesign quiz`` command: answers files, JSON, export, errors, and a real terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.quiz._answers import right_answer, wrong_answer
from twitterdesign.cli import main
from twitterdesign.quiz import Quiz, load_bank

BANK = load_bank()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (0 if code is None else int(code)), out, err


def quiz_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code, out, _ = run(["quiz", "--json", *args], capsys)
    assert code == 0
    data = json.loads(out)
    assert all("correct" not in q for q in data["questions"])  # no answers handed out
    return data


def quiz_ids(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    return [q["id"] for q in quiz_json(capsys, *args)["questions"]]  # type: ignore[index]


def shown_right_answer(shown: dict[str, object]) -> str:
    """The right answer in the letters of the order a quiz showed (found by option text)."""
    original = BANK.get(str(shown["id"]))
    if not original.is_choice:
        return right_answer(original)
    options = list(shown["options"])  # type: ignore[call-overload]
    at = [options.index(original.options[i]) for i in original.correct]
    if original.type != "ordering":
        at.sort()
    return ", ".join(chr(ord("a") + i) for i in at)


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_answers_file_all_right(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Letters as the printed quiz showed them, graded with the quiz's option_seed.
    data = quiz_json(capsys, "--seed", "5", "--count", "8")
    questions: list[dict[str, object]] = data["questions"]  # type: ignore[assignment]
    ids = [str(q["id"]) for q in questions]
    answers = {str(q["id"]): shown_right_answer(q) for q in questions}
    path = write_json(tmp_path / "a.json", {"option_seed": data["option_seed"], "answers": answers})
    code, out, err = run(["quiz", "--answers", str(path), "--json"], capsys)
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["score"] == 1.0
    assert [c["question_id"] for c in result["checks"]] == ids
    # The same letters against the same seed on the command line grade the same.
    path = write_json(tmp_path / "b.json", answers)
    code, out, _ = run(
        ["quiz", "--seed", "5", "--count", "8", "--answers", str(path), "--json"], capsys
    )
    assert json.loads(out)["score"] == 1.0


def test_options_are_shuffled_per_seed(capsys: pytest.CaptureFixture[str]) -> None:
    first = quiz_json(capsys, "--seed", "11", "--count", "40")
    again = quiz_json(capsys, "--seed", "11", "--count", "40")
    assert first == again
    questions: list[dict[str, object]] = first["questions"]  # type: ignore[assignment]
    moved = [q for q in questions if q["options"] != list(BANK.get(str(q["id"])).options)]
    choice = [q for q in questions if q["type"] in ("single", "multiple", "ordering")]
    assert len(moved) >= 0.6 * len(choice)


def test_a_random_quiz_prints_its_seed(capsys: pytest.CaptureFixture[str]) -> None:
    data = quiz_json(capsys, "--count", "6")
    seed = data["seed"]
    assert isinstance(seed, int)
    assert quiz_json(capsys, "--count", "6", "--seed", str(seed)) == data


def test_answers_file_with_one_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = quiz_ids(capsys, "--seed", "9", "--count", "5", "--topic", "storage", "-t", "topk")
    # No seed in the file: letters are read in the bank's order, and the output says so.
    answers = {i: right_answer(BANK.get(i)) for i in ids}
    answers[ids[2]] = wrong_answer(BANK.get(ids[2]))
    path = write_json(tmp_path / "a.json", answers)
    code, out, _ = run(["quiz", "--answers", str(path), "--json"], capsys)
    result = json.loads(out)
    assert code == 0
    assert (result["correct"], result["total"]) == (4, 5)
    (miss,) = [c for c in result["checks"] if not c["correct"]]
    assert miss["question_id"] == ids[2]
    assert miss["explanation"] == BANK.get(ids[2]).explanation
    assert {t["topic"] for t in result["by_topic"]} <= {"storage", "topk"}


def test_answers_graded_against_a_seeded_quiz_count_missing_as_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiz = Quiz(BANK, count=4, rng=21)
    path = write_json(tmp_path / "a.json", {quiz[0].id: right_answer(quiz[0])})
    code, out, _ = run(
        ["quiz", "--seed", "21", "--count", "4", "--answers", str(path), "--json"], capsys
    )
    result = json.loads(out)
    assert (code, result["correct"], result["total"]) == (0, 1, 4)


def test_answers_file_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = BANK.get("lb-drawbacks")
    path = write_json(tmp_path / "a.json", [{"id": q.id, "answer": "c"}])
    code, out, _ = run(["quiz", "--answers", str(path)], capsys)
    assert code == 0
    assert "bank's order" in out
    assert "Read more: https://twitterdesign.readthedocs.io/explanation/" in out
    assert "docs/explanation" not in out
    assert "Not quite" in out
    assert "Score per topic" in out
    assert "0/1" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ("{}", "expected a JSON object"),
        ('{"lb-p2c": "z"}', "invalid answer to lb-p2c='z'"),
        ('{"no-such-question": "a"}', "no quiz question with id 'no-such-question'"),
    ],
)
def test_bad_answers_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "a.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(["quiz", "--answers", str(path)], capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--topic", "astrology", "--json"], "invalid topic='astrology'"),
        (["--count", "0", "--json"], "invalid count=0"),
        (["--count", "100000", "--json"], "invalid count=100000"),
        (["--answers", "/nonexistent/answers.json"], "/nonexistent/answers.json"),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(["quiz", *args], capsys)
    assert code == 2
    assert message in err


def test_without_a_terminal_it_says_so_and_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "twitterdesign", "quiz", "--count", "2"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "stdin is not a terminal" in proc.stderr
    assert "--answers" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_export_writes_the_bank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "bank.json"
    code, out, _ = run(["quiz", "export", str(target), "--variants", "2"], capsys)
    assert code == 0
    assert str(target) in out
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert len(data["questions"]) == len(BANK) + 2 * len(BANK.templates)
    code, _, err = run(["quiz", "export", str(target), "--variants", "0"], capsys)
    assert code == 2
    assert "variants" in err


def test_export_refuses_more_variants_than_it_can_write_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Regression: --variants 99999999999 ran for hours, growing the bank in memory.
    target = tmp_path / "bank.json"
    code, out, err = run(["quiz", "export", str(target), "--variants", "99999999999"], capsys)
    assert code == 2
    assert out == ""
    assert err.strip() == (
        "twitterdesign: error: invalid variants=99999999999: expected an integer in [1, 100]"
    )
    assert not target.exists()


def test_interactive_session_in_a_pseudo_terminal(tmp_path: Path) -> None:
    # The same seed gives the same quiz, so the test knows the questions in advance.
    quiz = Quiz(BANK, topics=["design"], count=2, rng=3)
    first, second = quiz[0], quiz[1]
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "twitterdesign", "quiz", "--topic", "design", "--count", "2", "--seed", "3"],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )
    try:
        child.expect_exact("Question 1/2")
        child.expect_exact("Your answer")
        child.sendline("zz")  # not an option: told why in words, asked again
        child.expect(r"'zz' is not an answer to\s+this\s+question:\s+expected")
        child.expect(r"Try\s+again")
        assert first.id not in child.before
        child.sendline(right_answer(first))
        child.expect_exact("Right.")
        child.expect_exact(first.explanation[:40])
        child.expect(r"Read more:\s+https://twitterdesign\.readthedocs\.io/")
        child.expect_exact("Question 2/2")
        child.expect_exact("Your answer")
        child.sendline(wrong_answer(second))
        child.expect_exact("Not quite.")
        child.expect_exact(second.explanation[:40])
        child.expect_exact("Score per topic")
        child.expect_exact("1/2")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00\x01binary", "not UTF-8 text"),  # used to be a UnicodeDecodeError
        (b"[" * 100_000, "nested too deeply"),  # used to be a RecursionError
    ],
)
def test_undecodable_answers_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(content)
    code, _, err = run(["quiz", "--answers", str(path)], capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
