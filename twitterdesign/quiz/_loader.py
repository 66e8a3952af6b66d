"""Read and validate the question bank shipped as TOML files, one per topic."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Any

from twitterdesign.errors import CorruptDataError, InvalidParameterError
from twitterdesign.quiz._model import (
    DIFFICULTIES,
    TOPICS,
    TRUE_FALSE_OPTIONS,
    Question,
    QuestionBank,
)

__all__ = ["check_links", "load_bank"]

_REQUIRED = ("id", "difficulty", "type", "prompt", "answer", "explanation", "link")
_ALLOWED = {*_REQUIRED, "options"}
_TOML_TYPES = ("single", "multiple", "true_false", "ordering")


def load_bank(
    *,
    directory: str | Path | None = None,
    docs_dir: str | Path | None = None,
    templates: bool = True,
) -> QuestionBank:
    """Load the question bank and check every question in it.

    Each ``*.toml`` file holds one topic: a top-level ``topic = "<id>"`` and a list of
    ``[[question]]`` tables with ``id``, ``difficulty``, ``type``, ``prompt``, ``options``,
    ``answer`` (the right option's text; a list of texts for ``multiple``; every option in
    the right order for ``ordering``; ``true`` or ``false`` for ``true_false``),
    ``explanation`` and ``link``. Numeric questions are not typed into the files: they are
    parametric templates whose answers the library computes.

    Args:
        directory: A folder of TOML files; the bank shipped with the package when None.
        docs_dir: When given, every question's ``link`` must name a page under it, and an
            ``#anchor`` must match one of that page's headings.
        templates: Whether to include the parametric numeric templates.

    Returns:
        The validated `QuestionBank`.

    Raises:
        CorruptDataError: If a file is not valid TOML or a question breaks a rule; the
            message names the file and the question id.
        InvalidParameterError: If ``directory`` or ``docs_dir`` is not a folder.

    Examples:
        >>> bank = load_bank()
        >>> sorted({q.topic for q in bank})[:3]
        ['design', 'estimation', 'load-balancing']
    """
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for name, text in _bank_files(directory):
        for question in _parse_file(name, text):
            if question.id in seen:
                raise CorruptDataError(
                    f"{name}: question {question.id!r}: id already used in {seen[question.id]}"
                )
            seen[question.id] = name
            questions.append(question)
    if not questions:
        raise CorruptDataError(f"no questions found in {directory or 'the packaged bank'}")
    found_templates: tuple[Any, ...] = ()
    if templates:
        from twitterdesign.quiz._templates import available_templates

        found_templates = available_templates()
        for template in found_templates:
            if template.id in seen:
                raise CorruptDataError(f"template {template.id!r}: id already used in the bank")
    bank = QuestionBank(tuple(questions), templates=found_templates)
    if docs_dir is not None:
        check_links(bank, docs_dir)
    return bank


def check_links(bank: QuestionBank, docs_dir: str | Path) -> None:
    """Check that every question and template links to an existing docs page and heading.

    Args:
        bank: The bank to check.
        docs_dir: The docs folder the links are relative to.

    Raises:
        CorruptDataError: Naming the question and the link that does not resolve.
        InvalidParameterError: If ``docs_dir`` is not a folder.
    """
    root = Path(docs_dir)
    if not root.is_dir():
        raise InvalidParameterError("docs_dir", str(docs_dir), "an existing folder")
    links = [(q.id, q.link) for q in bank.questions] + [(t.id, t.link) for t in bank.templates]
    for qid, link in links:
        page, _, anchor = link.partition("#")
        path = root / page
        if not page.endswith(".md") or not path.is_file():
            raise CorruptDataError(f"question {qid!r}: link {link!r} is not a page under {root}")
        if anchor and anchor not in _heading_slugs(path.read_text(encoding="utf-8")):
            raise CorruptDataError(f"question {qid!r}: link {link!r}: no heading #{anchor}")


def _heading_slugs(markdown: str) -> set[str]:
    slugs: set[str] = set()
    in_fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        match = re.match(r"^#{1,6}\s+(.*?)\s*(?:\{[^}]*#([\w-]+)[^}]*\})?\s*$", line)
        if match and not in_fence:
            slugs.add(match.group(2) or _slugify(match.group(1)))
    return slugs


def _slugify(text: str) -> str:
    # Python-Markdown's default toc slugify: drop markup, fold to ASCII, keep word characters.
    text = re.sub(r"<[^>]+>|`", "", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _bank_files(directory: str | Path | None) -> list[tuple[str, str]]:
    if directory is None:
        root = resources.files("twitterdesign.quiz") / "bank"
        entries = [(e.name, e) for e in root.iterdir() if e.name.endswith(".toml")]
        return [(f"bank/{n}", e.read_text(encoding="utf-8")) for n, e in sorted(entries)]
    folder = Path(directory)
    if not folder.is_dir():
        raise InvalidParameterError("directory", str(directory), "an existing folder")
    out = []
    for path in sorted(folder.glob("*.toml")):
        try:
            out.append((str(path), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            raise CorruptDataError(f"{path}: not valid TOML: not UTF-8 text") from None
    return out


def _parse_file(name: str, text: str) -> list[Question]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CorruptDataError(f"{name}: not valid TOML: {exc}") from None
    topic = data.get("topic")
    if topic not in {t.id for t in TOPICS}:
        known = ", ".join(t.id for t in TOPICS)
        raise CorruptDataError(f"{name}: top-level topic must be one of {known}, not {topic!r}")
    entries = data.get("question")
    if not isinstance(entries, list):
        raise CorruptDataError(f"{name}: expected [[question]] tables")
    return [_parse_question(name, topic, i, entry) for i, entry in enumerate(entries)]


def _parse_question(name: str, topic: str, index: int, entry: Any) -> Question:
    qid = entry.get("id") if isinstance(entry, dict) else None
    where = f"{name}: question {qid!r}" if isinstance(qid, str) else f"{name}: question #{index}"

    def bad(problem: str) -> CorruptDataError:
        return CorruptDataError(f"{where}: {problem}")

    if not isinstance(entry, dict):
        raise bad("must be a table")
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise bad("missing " + ", ".join(missing))
    unknown = sorted(set(entry) - _ALLOWED)
    if unknown:
        raise bad("unknown keys " + ", ".join(unknown))
    for key in ("id", "difficulty", "type", "prompt", "explanation", "link"):
        if not isinstance(entry[key], str):
            raise bad(f"{key} must be a string")
    qtype = entry["type"]
    if qtype == "numeric":
        raise bad(
            "numeric questions are parametric templates whose answers the library computes "
            "(twitterdesign/quiz/_templates.py), never typed into the bank"
        )
    if qtype not in _TOML_TYPES:
        raise bad(f"type must be one of {', '.join(_TOML_TYPES)}")
    if entry["difficulty"] not in DIFFICULTIES:
        raise bad(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
    answer = entry["answer"]
    if qtype == "true_false":
        if "options" in entry:
            raise bad("a true_false question takes no options")
        if not isinstance(answer, bool):
            raise bad("a true_false answer is true or false")
        options: tuple[str, ...] = TRUE_FALSE_OPTIONS
        correct: tuple[int, ...] = (0 if answer else 1,)
    else:
        raw = entry.get("options")
        if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
            raise bad("options must be a list of strings")
        options = tuple(raw)
        correct = _correct_indices(qtype, answer, options, bad)
    question = Question(
        id=entry["id"],
        topic=topic,
        difficulty=entry["difficulty"],
        type=qtype,
        prompt=entry["prompt"].strip(),
        options=options,
        correct=correct,
        explanation=" ".join(entry["explanation"].split()),
        link=entry["link"],
    )
    problems = question.problems()
    if problems:
        raise bad("; ".join(problems))
    return question


def _correct_indices(
    qtype: str, answer: Any, options: tuple[str, ...], bad: Any
) -> tuple[int, ...]:
    def index_of(text: Any) -> int:
        if not isinstance(text, str) or text not in options:
            raise bad(f"answer {text!r} is not one of the options")
        return options.index(text)

    if qtype == "single":
        return (index_of(answer),)
    if not isinstance(answer, list) or not answer:
        raise bad("the answer must be a non-empty list of option texts")
    indices = [index_of(a) for a in answer]
    if len(set(indices)) != len(indices):
        raise bad("the answer names an option twice")
    return tuple(sorted(indices)) if qtype == "multiple" else tuple(indices)
