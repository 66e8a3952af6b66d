"""The browser quiz, built by mkdocs and driven in Debian's Chromium with Playwright."""

from __future__ import annotations

import fcntl
import functools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

# The real mkdocs.yml (theme, extensions, docs/hooks.py), building only the pages this test
# opens: the whole site takes far longer and is built strictly by CI's `mkdocs build` step.
ONLY_QUIZ_PAGES = """
/*
!/index.md
!/quiz/
!/assets/
!/tutorials/
/tutorials/*
!/tutorials/quiz.md
"""
BUILD = (
    "import sys; from mkdocs.config import load_config; from mkdocs.commands.build import build; "
    "build(load_config('mkdocs.yml', site_dir=sys.argv[1], strict=False, "
    "exclude_docs=sys.argv[2]))"
)


def _build(out: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", BUILD, str(out), ONLY_QUIZ_PAGES],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The real docs site, built with the real mkdocs.yml (and so with docs/hooks.py).

    Under pytest-xdist the workers of one run share a single build (the pattern the
    xdist docs give): the first worker builds under a lock, the others reuse it.
    """
    if worker_id == "master":
        out = tmp_path_factory.mktemp("site")
        _build(out)
        return out
    shared = tmp_path_factory.getbasetemp().parent  # this run's temp dir, not reused
    out = shared / "quiz-site"
    with (shared / "quiz-site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "quiz-site.done").exists():
            _build(out)
            (shared / "quiz-site.done").touch()
    return out


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _letter(i: int) -> str:
    return chr(ord("a") + i)


def _shown(page: Any, bank_q: dict[str, Any]) -> dict[str, Any]:
    """The question as the page shows it: options read from the labels, the right ones
    found by their text in the bank (independently of the page's own remapping)."""
    if bank_q["type"] == "numeric":
        return bank_q
    labels = page.locator(".tdq-answer .tdq-choice label").all_inner_texts()
    options = [label.split(") ", 1)[1] for label in labels]
    assert sorted(options) == sorted(bank_q["options"])
    correct = [options.index(bank_q["options"][i]) for i in bank_q["correct"]]
    if bank_q["type"] != "ordering":
        correct.sort()
    if bank_q["type"] in ("single", "true_false"):
        text = f"{_letter(correct[0])}) {options[correct[0]]}"
    elif bank_q["type"] == "ordering":
        text = ", ".join(_letter(i) for i in correct)
    else:
        text = ", ".join(f"{_letter(i)}) {options[i]}" for i in correct)
    return {**bank_q, "options": options, "correct": correct, "answer_text": text}


def _answer(page: Any, q: dict[str, Any], *, right: bool) -> None:
    """Answer through the labelled controls, the way a keyboard or screen-reader user would."""
    options, correct = q["options"], list(q["correct"])
    if q["type"] == "numeric":
        value = q["value"] if right else q["value"] * 2 + 1
        scale = {"bytes": (1e12, " TB"), "bits_per_second": (1e9, " Gbps")}
        size, unit = scale.get(q["dimension"], (1.0, ""))
        page.get_by_label("Your answer", exact=False).fill(f"{value / size!r}{unit}")
        return
    if q["type"] == "ordering":
        order = correct if right else [correct[1], correct[0], *correct[2:]]
        for position, index in enumerate(order, start=1):
            label = f"{_letter(index)}) {options[index]}"
            page.get_by_label(label, exact=True).select_option(str(position))
        return
    if q["type"] == "multiple":
        chosen = set(correct) if right else set(correct) ^ {0}
        chosen = chosen or {1}
    else:
        chosen = {correct[0] if right else (correct[0] + 1) % len(options)}
    for index in sorted(chosen):
        label = page.get_by_label(f"{_letter(index)}) {options[index]}", exact=True)
        label.focus()
        page.keyboard.press("Space")


# Seeds picked so that, with today's bank, the cases answer single, multiple, true/false,
# ordering and numeric questions through their controls, right and wrong. Any seed is a
# valid test; these just spread the coverage.
CASES = [
    ("design", 1),
    ("design", 2),
    ("design", 8),
    ("estimation", 2),
    ("estimation", 31),
]


@pytest.mark.parametrize(("topic_id", "seed"), CASES)
def test_answer_one_right_and_one_wrong(
    site: Path, server: str, browser: Any, topic_id: str, seed: int
) -> None:
    bank = json.loads((site / "assets" / "quiz-bank.json").read_text(encoding="utf-8"))
    by_id = {q["id"]: q for q in bank["questions"]}
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server}/quiz/?seed={seed}")
        # Setup: labelled controls; keep one topic, ask two questions, start with Enter.
        for topic in bank["topics"]:
            if topic["id"] != topic_id:
                page.get_by_label(topic["title"], exact=True).uncheck()
        page.get_by_label("Number of questions").fill("2")
        page.get_by_label("Number of questions").press("Enter")

        first = by_id[page.locator("form[data-question-id]").get_attribute("data-question-id")]
        first = _shown(page, first)
        assert page.locator("#tdq-progress").inner_text().startswith("Question 1 of 2")
        assert page.locator("#tdq-prompt").inner_text() == first["prompt"]
        _answer(page, first, right=True)
        page.get_by_role("button", name="Check answer").click()
        feedback = page.locator("#tdq-feedback")
        assert feedback.locator(".tdq-verdict").inner_text().startswith("Right!")
        assert feedback.locator(".tdq-explanation").inner_text() == first["explanation"]
        page.keyboard.press("Enter")  # "Next question" has the focus

        second = by_id[page.locator("form[data-question-id]").get_attribute("data-question-id")]
        second = _shown(page, second)
        assert second["id"] != first["id"]
        assert "score so far 1/1" in page.locator("#tdq-progress").inner_text()
        _answer(page, second, right=False)
        page.get_by_role("button", name="Check answer").press("Enter")
        verdict = feedback.locator(".tdq-verdict").inner_text()
        assert verdict.startswith(f"Not quite. The answer is {second['answer_text']}")
        assert feedback.locator(".tdq-explanation").inner_text() == second["explanation"]
        if topic_id == "estimation":  # these cases exist to drive a numeric answer
            assert "numeric" in {first["type"], second["type"]}
        link = feedback.get_by_role("link", name="Read more in the docs").get_attribute("href")
        assert link == "../" + second["link"].replace(".md", "/")
        ARTIFACTS.mkdir(exist_ok=True)
        if (topic_id, seed) == CASES[0]:
            page.screenshot(path=str(ARTIFACTS / "quiz.png"), full_page=True)

        page.get_by_role("button", name="See your score").click()
        assert page.locator("#tdq-score").inner_text() == "You scored 1 of 2 (50%)"
        row = page.locator("table.tdq-topics tbody tr")
        assert row.count() == 1
        title = next(t["title"] for t in bank["topics"] if t["id"] == topic_id)
        assert row.inner_text().split("\t") == [title, "1/2", "50%"]
        if (topic_id, seed) == CASES[0]:
            page.screenshot(path=str(ARTIFACTS / "quiz-score.png"), full_page=True)
    finally:
        page.close()
    assert errors == []


def test_numeric_answers_with_units_in_the_page(server: str, browser: Any, site: Path) -> None:
    bank = json.loads((site / "assets" / "quiz-bank.json").read_text(encoding="utf-8"))
    numeric = [q for q in bank["questions"] if q["type"] == "numeric"]
    assert numeric, "the export carries the parametric questions"
    page = browser.new_page()
    try:
        page.goto(f"{server}/quiz/")
        page.wait_for_selector("#tdq-start")
        read = "(a) => window.twitterdesignQuiz.readNumber(a[0], a[1])"
        for q in numeric:
            if q["dimension"] == "bytes":
                text = f"{q['value'] / 1e12} TB"
            elif q["dimension"] == "bits_per_second":
                text = f"{q['value'] / 8e9} GB/s"  # bytes per second convert to bits
            else:
                text = f"{q['value']:,}"
            got = page.evaluate(read, [q, text])
            assert got["value"] == pytest.approx(q["value"], rel=1e-9), (q["id"], text)
        storage = next(q for q in numeric if q["dimension"] == "bytes")
        assert page.evaluate(read, [storage, "5 Gbps"]) == {"mismatch": "bits per second"}
        assert page.evaluate(read, [storage, "lots"]) is None
    finally:
        page.close()


def test_built_page_works_offline_from_files(site: Path, browser: Any) -> None:
    page = browser.new_page()
    try:
        page.goto((site / "quiz" / "index.html").as_uri())
        page.wait_for_selector("#tdq-start")
        assert page.get_by_label("Number of questions").input_value() == "10"
    finally:
        page.close()


def test_keyboard_only(site: Path, server: str, browser: Any) -> None:
    """Setup, answer and score with Tab, Space, arrows and Enter alone."""
    bank = json.loads((site / "assets" / "quiz-bank.json").read_text(encoding="utf-8"))
    by_id = {q["id"]: q for q in bank["questions"]}
    topics = [t["id"] for t in bank["topics"]]
    page = browser.new_page()
    try:
        page.goto(f"{server}/quiz/?seed=1")  # seed 1: the first design question is single
        page.get_by_label(bank["topics"][0]["title"], exact=True).focus()
        for topic in topics:  # walk the checkboxes, keep only "design"
            if topic != "design":
                page.keyboard.press("Space")
            page.keyboard.press("Tab")
        page.keyboard.press("Control+A")
        page.keyboard.type("1")
        page.keyboard.press("Enter")
        q = by_id[page.locator("form[data-question-id]").get_attribute("data-question-id")]
        q = _shown(page, q)
        assert q["type"] == "single"
        assert page.evaluate("document.activeElement.id") == "tdq-prompt"
        page.keyboard.press("Tab")  # into the radio group
        page.keyboard.press("Space")  # choose a)
        for _ in range(q["correct"][0]):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")  # to "Check answer"
        page.keyboard.press("Enter")
        assert page.locator(".tdq-verdict").inner_text().startswith("Right!")
        page.keyboard.press("Enter")  # "See your score" has the focus
        assert page.locator("#tdq-score").inner_text() == "You scored 1 of 1 (100%)"
    finally:
        page.close()


FORMS = [
    "25k",
    "25,000",
    "1.5bn",
    "157K",
    "3 million",
    "1.2 TB",
    "200 KB",
    "3 MiB",
    "512 B",
    "9.6 Gbps",
    "394 Gbit/s",
    "1.2 GB/s",
    "30 MB/s",
    "42",
    "0.35",
    "lots",
    "12 parsecs",
]


def test_page_reads_numbers_exactly_as_python_does(server: str, browser: Any) -> None:
    from twitterdesign.errors import InvalidParameterError
    from twitterdesign.quiz import Question, parse_response

    page = browser.new_page()
    try:
        page.goto(f"{server}/quiz/")
        page.wait_for_selector("#tdq-start")
        for dimension, unit in [
            ("count", "servers"),
            ("bytes", "TB"),
            ("bits_per_second", "Gbps"),
            ("count", None),
        ]:
            q = Question(
                "n",
                "estimation",
                "easy",
                "numeric",
                "?",
                (),
                (),
                "why",
                "index.md",
                value=1.0,
                dimension=dimension,
                unit=unit,
                tolerance=0.05,
            )  # type: ignore[arg-type]
            for text in FORMS:
                js = page.evaluate(
                    "(a) => window.twitterdesignQuiz.readNumber(a[0], a[1])",
                    [q.to_dict(), text],
                )
                try:
                    py = float(parse_response(q, text))  # type: ignore[arg-type]
                except InvalidParameterError:
                    assert js is None, (dimension, text, js)
                    continue
                if py != py:  # NaN: a quantity of another kind
                    assert js is not None, (dimension, text)
                    assert "mismatch" in js, (dimension, text, js)
                else:
                    assert js["value"] == pytest.approx(py, rel=1e-12), (dimension, text)
    finally:
        page.close()


def _start(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_selector("form[data-question-id]")


def _shown_quiz(page: Any) -> list[tuple[str, tuple[str, ...]]]:
    data = page.evaluate("() => window.twitterdesignQuiz.current()")
    return [(q["id"], tuple(q["options"])) for q in data["questions"]]


def test_shuffled_quiz_is_reproducible_from_the_seed_in_the_address(
    site: Path, server: str, browser: Any
) -> None:
    bank = json.loads((site / "assets" / "quiz-bank.json").read_text(encoding="utf-8"))
    by_id = {q["id"]: q for q in bank["questions"]}
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # No seed given: one is drawn and written into the address, topics and count too.
        _start(page, f"{server}/quiz/")
        address = page.url
        assert "seed=" in address
        assert "count=10" in address
        first = _shown_quiz(page)
        seed = page.evaluate("() => window.twitterdesignQuiz.current().seed")
        assert f"quiz seed {seed}" in page.locator("#tdq-progress").inner_text()
        # The address gives the same quiz again, option order included.
        _start(page, address)
        assert _shown_quiz(page) == first
        # The options really are shuffled: across a long quiz, the right option is not
        # always where the bank lists it, and the shown options are the bank's.
        _start(page, f"{server}/quiz/?seed=4242&count=40")
        long_quiz = _shown_quiz(page)
        moved = 0
        for qid, options in long_quiz:
            original = by_id[qid]
            assert sorted(options) == sorted(original["options"])
            if original["type"] == "true_false":
                assert options == ("True", "False")
            moved += list(options) != original["options"]
        assert moved >= 0.5 * sum(by_id[q]["type"] != "numeric" for q, _ in long_quiz)
        _start(page, f"{server}/quiz/?seed=4243&count=40")
        assert _shown_quiz(page) != long_quiz
        # Labels show the shuffled order too.
        current = _shown(
            page, by_id[page.locator("form[data-question-id]").get_attribute("data-question-id")]
        )
        assert tuple(current["options"]) == _shown_quiz(page)[0][1] or current["type"] == "numeric"
    finally:
        page.close()
    assert errors == []


def test_marks_chosen_and_right_options_and_retries_the_misses(
    site: Path, server: str, browser: Any
) -> None:
    bank = json.loads((site / "assets" / "quiz-bank.json").read_text(encoding="utf-8"))
    by_id = {q["id"]: q for q in bank["questions"]}
    page = browser.new_page()
    try:
        page.goto(f"{server}/quiz/?seed=1")  # seed 1: the first design question is single
        for topic in bank["topics"]:
            if topic["id"] != "design":
                page.get_by_label(topic["title"], exact=True).uncheck()
        page.get_by_label("Number of questions").fill("1")
        page.get_by_role("button", name="Start the quiz").click()
        q = _shown(
            page, by_id[page.locator("form[data-question-id]").get_attribute("data-question-id")]
        )
        assert q["type"] == "single"
        wrong = (q["correct"][0] + 1) % len(q["options"])
        _answer(page, q, right=False)
        page.get_by_role("button", name="Check answer").click()
        rows = page.locator(".tdq-answer .tdq-choice")
        chosen_row, right_row = rows.nth(wrong), rows.nth(q["correct"][0])
        assert "your answer" in chosen_row.inner_text()
        assert "tdq-opt-wrong" in (chosen_row.get_attribute("class") or "")
        assert "right answer" in right_row.inner_text()
        assert "tdq-opt-right" in (right_row.get_attribute("class") or "")
        page.get_by_role("button", name="See your score").click()
        assert "Quiz seed 1" in page.locator("#tdq-seed").inner_text()
        page.get_by_role("button", name="Retry the 1 missed question").click()
        assert page.locator("form[data-question-id]").get_attribute("data-question-id") == q["id"]
        again = _shown(page, by_id[q["id"]])
        _answer(page, again, right=True)
        page.get_by_role("button", name="Check answer").click()
        assert page.locator(".tdq-verdict").inner_text().startswith("Right!")
    finally:
        page.close()


def test_asking_for_more_questions_than_exist_is_said_not_capped(
    site: Path, server: str, browser: Any
) -> None:
    bank = json.loads((site / "assets" / "quiz-bank.json").read_text(encoding="utf-8"))
    page = browser.new_page()
    try:
        page.goto(f"{server}/quiz/")
        for topic in bank["topics"]:
            if topic["id"] != "regions":
                page.get_by_label(topic["title"], exact=True).uncheck()
        available = page.locator("#tdq-available").inner_text()
        n = int(available.strip(" ()").split()[0])
        assert n > 0
        page.get_by_label("Number of questions").fill(str(n + 30))
        page.get_by_role("button", name="Start the quiz").click()
        problem = page.locator(".tdq-problem").first.inner_text()
        assert f"Only {n} questions are available" in problem
        assert page.locator("form[data-question-id]").count() == 0
        page.get_by_label("Number of questions").fill(str(n))
        page.get_by_role("button", name="Start the quiz").click()
        assert page.locator("#tdq-progress").inner_text().startswith(f"Question 1 of {n}")
    finally:
        page.close()
