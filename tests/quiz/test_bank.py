"""The shipped bank: size, coverage, links, and how broken bank files are reported."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from twitterdesign.errors import CorruptDataError, InvalidParameterError, NotFoundError
from twitterdesign.quiz import ALL_TEMPLATES, TOPICS, Question, QuestionBank, load_bank

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank(docs_dir=DOCS)


def test_bank_size_and_topics(bank: QuestionBank) -> None:
    assert len(bank) >= 60
    per_topic = Counter(q.topic for q in bank)
    assert set(per_topic) == {t.id for t in TOPICS}
    assert min(per_topic.values()) >= 8, per_topic


def test_every_question_type_is_present(bank: QuestionBank) -> None:
    types = {q.type for q in bank} | {t.generate(0).type for t in bank.templates}
    assert types == {"single", "multiple", "true_false", "numeric", "ordering"}


def test_every_question_is_valid_and_unique(bank: QuestionBank) -> None:
    bank._check()
    ids = [q.id for q in bank]
    assert len(ids) == len(set(ids))
    for q in bank:
        assert q.problems() == []
        assert len(q.explanation.split()) >= 15, q.id  # explains, not just restates


def test_every_link_resolves_to_a_docs_page(bank: QuestionBank) -> None:
    links = [q.link for q in bank] + [t.link for t in bank.templates]
    for link in links:
        page, _, anchor = link.partition("#")
        path = DOCS / page
        assert path.is_file(), link
        if anchor:
            headings = re.findall(r"^#+\s+(.+)$", path.read_text(encoding="utf-8"), re.M)
            ascii_ = [
                unicodedata.normalize("NFKD", h).encode("ascii", "ignore").decode()
                for h in headings
            ]
            slugs = {
                re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", h).strip().lower()) for h in ascii_
            }
            assert anchor in slugs, link


def test_lesson_ideas_are_covered(bank: QuestionBank) -> None:
    # The list of ideas, each mapped to the question that asks about it.
    required = {
        "pub-sub for real-time events": "design-pubsub-realtime",
        "a celebrity tweet's interactions": "topk-celebrity-interactions",
        "what the home timeline's top-k is built from": "topk-home-timeline-source",
        "counter shards near users": "topk-shards-near-users",
        "drawbacks of client-side balancing": "lb-drawbacks",
        "write-to-read ratio": "est-write-read-ratio",
        "80/20 peak rule": "est-peak-rule",
        "origin of 8,000 requests/s": "est-8k-origin",
        "origin of 64,000 requests/s": "est-64k-origin",
        "mesh vs aperture vs deterministic aperture": "lb-session-evolution",
    }
    for idea, qid in required.items():
        q = bank.get(qid)
        assert q.explanation, idea
    assert "Changing the balancing algorithm means updating every client" in (
        bank.get("lb-drawbacks").options
    )


def test_most_links_point_at_a_section(bank: QuestionBank) -> None:
    links = [q.link for q in bank] + [t.link for t in bank.templates]
    assert sum("#" in link for link in links) >= 0.9 * len(links)


def test_templates_are_all_available_now_that_the_modules_exist(bank: QuestionBank) -> None:
    assert {t.id for t in bank.templates} == {t.id for t in ALL_TEMPLATES}
    for topic in ("estimation", "topk", "load-balancing", "regions"):
        assert any(t.topic == topic for t in bank.templates), topic


def test_get_regenerates_parametric_questions(bank: QuestionBank) -> None:
    template = bank.templates[0]
    q = bank.get(f"{template.id}~17")
    assert q == template.generate(17)
    with pytest.raises(NotFoundError):
        bank.get("no-such-question")
    with pytest.raises(NotFoundError):
        bank.get(f"{template.id}~minus-one")
    with pytest.raises(NotFoundError):
        bank.get(f"{template.id}~017")  # one spelling per question, so answers match ids


def test_unknown_topic_lookup(bank: QuestionBank) -> None:
    assert bank.topic("regions").title == "Regional capacity"
    with pytest.raises(InvalidParameterError, match="topic"):
        bank.topic("astrology")


GOOD = """
topic = "design"

[[question]]
id = "{qid}"
difficulty = "easy"
type = "single"
prompt = "Which?"
options = ["one", "two"]
answer = "{answer}"
explanation = "Because two is right and one is wrong, for reasons."
link = "{link}"
"""


def write(tmp_path: Path, text: str, name: str = "design.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_good_custom_bank_loads(tmp_path: Path) -> None:
    bank = load_bank(
        directory=write(tmp_path, GOOD.format(qid="q1", answer="two", link="index.md")),
        docs_dir=DOCS,
        templates=False,
    )
    assert [q.id for q in bank] == ["q1"]
    assert bank.get("q1").correct == (1,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.format(qid="q1", answer="three", link="index.md"), r"'q1'.*not one of the options"),
        (
            GOOD.format(qid="q1", answer="two", link="index.md").replace('"easy"', '"trivial"'),
            r"'q1'.*difficulty",
        ),
        (
            GOOD.format(qid="q1", answer="two", link="index.md").replace('"design"', '"cooking"'),
            r"top-level topic",
        ),
        (
            GOOD.format(qid="q1", answer="two", link="index.md").replace(
                'type = "single"', 'type = "numeric"'
            ),
            r"'q1'.*library computes",
        ),
        (
            GOOD.format(qid="q1", answer="two", link="index.md").replace('prompt = "Which?"\n', ""),
            r"'q1'.*missing prompt",
        ),
        (
            GOOD.format(qid="q1", answer="two", link="index.md") + 'colour = "red"\n',
            r"'q1'.*unknown keys colour",
        ),
        ("topic = [", r"not valid TOML"),
        (
            GOOD.format(qid="q1", answer="two", link="index.md")
            + GOOD.format(qid="q1", answer="one", link="index.md").split('topic = "design"')[1],
            r"'q1'.*already used",
        ),
    ],
)
def test_broken_bank_names_file_and_question(tmp_path: Path, text: str, message: str) -> None:
    folder = write(tmp_path, text)
    with pytest.raises(CorruptDataError, match=message) as exc:
        load_bank(directory=folder, templates=False)
    assert "design.toml" in str(exc.value)


def test_ordering_listed_in_answer_order_is_rejected(tmp_path: Path) -> None:
    text = (
        GOOD.format(qid="o1", answer="x", link="index.md")
        .replace('type = "single"', 'type = "ordering"')
        .replace('answer = "x"', 'answer = ["one", "two"]')
    )
    with pytest.raises(CorruptDataError, match=r"'o1'.*right order"):
        load_bank(directory=write(tmp_path, text), templates=False)


def test_dead_link_is_reported(tmp_path: Path) -> None:
    folder = write(tmp_path, GOOD.format(qid="q9", answer="two", link="nowhere/page.md"))
    with pytest.raises(CorruptDataError, match=r"'q9'.*nowhere/page\.md"):
        load_bank(directory=folder, docs_dir=DOCS, templates=False)
    folder = write(tmp_path, GOOD.format(qid="q9", answer="two", link="index.md#no-such-heading"))
    with pytest.raises(CorruptDataError, match="no heading"):
        load_bank(directory=folder, docs_dir=DOCS, templates=False)


def test_missing_folders_are_invalid_parameters(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="directory"):
        load_bank(directory=tmp_path / "absent")
    with pytest.raises(InvalidParameterError, match="docs_dir"):
        load_bank(docs_dir=tmp_path / "absent")
    with pytest.raises(CorruptDataError, match="no questions"):
        load_bank(directory=tmp_path, templates=False)


def test_question_check_catches_broken_invariants() -> None:
    broken = Question("x", "design", "easy", "single", "Q?", ("a", "b"), (5,), "why", "index.md")
    assert "answer must be among the options" in broken.problems()
    with pytest.raises(AssertionError):
        broken._check()


def test_a_bank_file_that_is_not_utf8_is_corrupt(tmp_path: Path) -> None:
    # Used to raise a bare UnicodeDecodeError.
    (tmp_path / "design.toml").write_bytes(b'topic = "design"\n\xff\xfe')
    with pytest.raises(CorruptDataError, match=r"design\.toml.*UTF-8"):
        load_bank(directory=tmp_path, templates=False)


def test_right_answer_is_not_first_by_habit(bank: QuestionBank) -> None:
    # Before shuffling: a student answering "a" every time, or the same letter, must not
    # score more than chance allows. No position holds more than 40% of right answers.
    singles = [q for q in bank if q.type == "single"]
    assert len(singles) >= 20
    positions = Counter(q.correct[0] for q in singles)
    most_position, most = positions.most_common(1)[0]
    assert most <= 0.4 * len(singles), (most_position, positions)


def test_right_answer_is_not_the_longest_by_habit(bank: QuestionBank) -> None:
    # "Pick the longest option" must not be a winning strategy.
    singles = [q for q in bank if q.type == "single"]
    longest = [
        q.id for q in singles if len(q.options[q.correct[0]]) >= max(len(o) for o in q.options)
    ]
    assert len(longest) <= 0.4 * len(singles), longest


def test_true_false_answers_are_not_mostly_true(bank: QuestionBank) -> None:
    answers = Counter(q.correct[0] for q in bank if q.type == "true_false")
    total = sum(answers.values())
    assert total >= 6
    assert max(answers.values()) <= 0.65 * total, answers
