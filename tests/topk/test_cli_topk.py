"""``twitterdesign topk``: tables, JSON, stdin, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from twitterdesign.cli import main

SKETCHES = ["space-saving", "count-min", "misra-gries", "heavy-keeper", "frequent-items", "exact"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture
def hashtags(tmp_path: Path) -> tuple[Path, Counter]:
    words = ["#tbt"] * 50 + ["#nba"] * 30 + ["#rain"] * 10 + [f"#t{i}" for i in range(40)]
    path = tmp_path / "tags.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path, Counter(words)


@pytest.mark.parametrize("sketch", SKETCHES)
def test_json_lists_the_true_top_items_with_bounds(sketch, hashtags, capsys):
    path, truth = hashtags
    code, out, _ = run(
        ["topk", str(path), "-k", "3", "--sketch", sketch, "--capacity", "64", "--json"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert data["events"] == sum(truth.values())
    assert data["distinct"] == len(truth)
    assert [row["item"] for row in data["top"]] == ["#tbt", "#nba", "#rain"]
    for row in data["top"]:
        assert row["exact"] == truth[row["item"]]
        assert row["lower_bound"] <= row["exact"] <= row["upper_bound"]
    assert data["sketch_bytes"] > 0
    assert data["exact_bytes"] > 0


def test_table_output_and_words(hashtags, capsys):
    path, _ = hashtags
    code, out, _ = run(["topk", str(path), "--by", "word", "-k", "2"], capsys)
    assert code == 0
    assert "#tbt" in out
    assert "Memory:" in out


def test_stdin(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "twitterdesign", "topk", "-", "--by", "word", "--json"],
        input="a b a c a b\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    top = json.loads(proc.stdout)["top"]
    assert [(r["item"], r["exact"]) for r in top] == [("a", 3), ("b", 2), ("c", 1)]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["topk", "/no/such/file.txt"], "No such file"),
        (["topk", "-", "--sketch", "bloom"], "--sketch"),
        (["topk", "-", "--by", "char"], "--by"),
        (["topk", "-", "-k", "0"], "-k"),
        (["topk", "-", "--capacity", "0"], "--capacity"),
    ],
)
def test_errors_are_one_line_exit_2(args, needle, capsys):
    code, _, err = run(args, capsys)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
