"""Export the bank as the JSON file the browser quiz reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twitterdesign import __version__
from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError
from twitterdesign.quiz._model import QuestionBank

__all__ = ["EXPORT_FORMAT_VERSION", "export_data", "export_json"]

#: Bumped when the exported JSON changes shape; the page checks it.
EXPORT_FORMAT_VERSION = 1


#: Most instances `export_data` makes of each parametric template.
_MAX_VARIANTS = 100


def export_data(bank: QuestionBank, *, variants: int = 3, seed: int = 0) -> dict[str, Any]:
    """Return the bank as a JSON-ready dict: topics, then every question with its answer.

    Parametric templates are instantiated ``variants`` times with seeds derived from
    ``seed``, so the export is the same on every run and the numbers in it are the ones
    the library computes today.

    Args:
        bank: The question bank.
        variants: Instances to export per parametric template, 1 to 100 (more would
            only repeat the same questions with other numbers, and take minutes).
        seed: First seed; instance ``i`` of every template uses ``seed + i``.

    Returns:
        ``{"format": 1, "generator": ..., "topics": [...], "questions": [...]}``.

    Raises:
        InvalidParameterError: If ``variants`` is outside [1, 100] or ``seed`` < 0.

    Examples:
        >>> from twitterdesign.quiz import load_bank
        >>> data = export_data(load_bank(), variants=1)
        >>> data["format"], len(data["topics"])
        (1, 6)
    """
    if not isinstance(bank, QuestionBank):
        raise InvalidParameterError("bank", bank, "a QuestionBank from load_bank()")
    variants = check_int("variants", variants, minimum=1, maximum=_MAX_VARIANTS)
    seed = check_int("seed", seed, minimum=0)
    questions = [q.to_dict() for q in bank.questions]
    for template in bank.templates:
        questions.extend(template.generate(seed + i).to_dict() for i in range(variants))
    return {
        "format": EXPORT_FORMAT_VERSION,
        "generator": f"twitterdesign {__version__}",
        "topics": [t.to_dict() for t in bank.topics],
        "questions": questions,
    }


def export_json(bank: QuestionBank, path: str | Path, *, variants: int = 3, seed: int = 0) -> Path:
    """Write the bank as JSON for the browser quiz (see `export_data`).

    Args:
        bank: The question bank.
        path: The file to write; its folder must exist.
        variants: Instances to export per parametric template.
        seed: First seed for the parametric instances.

    Returns:
        The path written.

    Raises:
        InvalidParameterError: If ``variants`` or ``seed`` is out of range.
        OSError: If the file cannot be written.

    Examples:
        >>> import json, tempfile, pathlib
        >>> from twitterdesign.quiz import load_bank
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "quiz.json"
        >>> len(json.loads(export_json(load_bank(), out).read_text())["questions"]) >= 60
        True
    """
    data = export_data(bank, variants=variants, seed=seed)
    target = Path(path)
    target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target
