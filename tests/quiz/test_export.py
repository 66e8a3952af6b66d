"""The JSON export and the mkdocs hook that puts it into the site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.quiz._answers import right_answer
from twitterdesign.errors import InvalidParameterError
from twitterdesign.quiz import check_answer, export_data, export_json, load_bank

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank()


@settings(max_examples=10)
@given(variants=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_export_holds_every_question_and_the_template_variants(variants: int, seed: int) -> None:
    data = export_data(BANK, variants=variants, seed=seed)
    ids = [q["id"] for q in data["questions"]]
    assert len(ids) == len(set(ids)) == len(BANK) + variants * len(BANK.templates)
    assert {q.id for q in BANK} <= set(ids)
    for template in BANK.templates:
        for i in range(variants):
            assert f"{template.id}~{seed + i}" in ids
    assert [t["id"] for t in data["topics"]] == [t.id for t in BANK.topics]


def test_exported_answers_grade_as_right_in_python() -> None:
    # The page grades with the exported fields; they must agree with the library's grading.
    for item in export_data(BANK, variants=2)["questions"]:
        q = BANK.get(item["id"])
        assert item["correct"] == list(q.correct)
        assert item["value"] == q.value
        assert item["explanation"] == q.explanation
        assert check_answer(q, right_answer(q)).correct


def test_export_json_writes_utf8_json(tmp_path: Path) -> None:
    path = export_json(BANK, tmp_path / "bank.json", variants=1)
    text = path.read_text(encoding="utf-8")
    assert "≈" in text or "—" in text  # non-ASCII kept readable, not escaped
    assert json.loads(text) == export_data(BANK, variants=1)


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"variants": 0}, "variants"), ({"seed": -1}, "seed")]
)
def test_export_bad_arguments(kwargs: dict[str, int], name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        export_data(BANK, **kwargs)
    with pytest.raises(InvalidParameterError, match="bank"):
        export_data([], variants=1)  # type: ignore[arg-type]


def test_docs_hook_adds_the_bank_to_the_site(tmp_path: Path) -> None:
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files

    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path))
    assert any(name.endswith("hooks.py") for name in config.plugins)  # registered in mkdocs.yml
    own = File("hooks.py", config["docs_dir"], config["site_dir"], config["use_directory_urls"])
    # Run the files event the way `mkdocs build` does, through the plugin collection.
    files = config.plugins.on_files(Files([own]), config=config)
    paths = {f.src_uri: f for f in files}
    assert "hooks.py" not in paths  # the hook itself is not published
    bank = json.loads(paths["assets/quiz-bank.json"].content_string)
    assert bank == export_data(load_bank())
    script = paths["assets/quiz-bank.js"].content_string
    assert script.startswith("window.TWITTERDESIGN_QUIZ_BANK = {")
    assert json.loads(script.split("=", 1)[1].strip().rstrip(";")) == bank


@pytest.mark.parametrize("variants", [0, 101, 10**11])
def test_variants_outside_the_range_are_rejected(variants: int) -> None:
    with pytest.raises(InvalidParameterError) as info:
        export_data(BANK, variants=variants)
    assert info.value.name == "variants"
    assert "[1, 100]" in str(info.value)
