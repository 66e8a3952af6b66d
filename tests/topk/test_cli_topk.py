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


@pytest.fixture
def late_viral(tmp_path: Path) -> Path:
    # 40 tags of 200 posts each, one after the other, then one that goes viral late
    # with 300: the true #1. HeavyKeeper's buckets are held by counts of ~200 by then,
    # which decay with probability 1.08**-200 per arrival: it cannot list the late tag.
    lines = [f"#early{i}" for i in range(40) for _ in range(200)] + ["#late"] * 300
    path = tmp_path / "late.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_heavy_keeper_flags_true_top_items_it_missed(late_viral, capsys):
    args = ["topk", str(late_viral), "-k", "3", "--sketch", "heavy-keeper", "--capacity", "8"]
    code, out, _ = run([*args, "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert "#late" not in [row["item"] for row in data["top"]]
    # Only #late is surely in the true top 3 (the early tags tie at 200).
    assert data["missed"] == [{"item": "#late", "exact": 300, "estimate": 0}]
    code, out, _ = run(args, capsys)
    assert code == 0
    assert "Missed: 1 of the true top 3" in out
    assert "#late (exact 300" in out


@pytest.mark.parametrize("sketch", ["exact", "space-saving"])
def test_nothing_is_flagged_when_the_sketch_lists_the_true_top(sketch, late_viral, capsys):
    args = ["topk", str(late_viral), "-k", "3", "--sketch", sketch, "--capacity", "64"]
    code, out, _ = run([*args, "--json"], capsys)
    assert code == 0
    assert json.loads(out)["missed"] == []
    code, out, _ = run(args, capsys)
    assert "Missed" not in out


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",  # undecodable bytes
        b"ELF\x00\x01\x02\nplain\n",  # valid UTF-8, but NUL characters: binary
        "#tag\n".encode("utf-16"),  # text, in another encoding than the default
    ],
)
def test_binary_input_is_refused_with_one_line(raw, tmp_path, capsys):
    # Binary files used to be counted line by line, their bytes printed, exit 0.
    path = tmp_path / "data.bin"
    path.write_bytes(raw)
    code, out, err = run(["topk", str(path), "--json"], capsys)
    assert code == 2
    assert out == ""
    assert str(path) in err
    assert "--encoding" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_encoding_option_reads_other_encodings(tmp_path, capsys):
    path = tmp_path / "tags16.txt"
    path.write_bytes("#café\n#café\n#tbt\n".encode("utf-16"))
    code, out, _ = run(["topk", str(path), "--encoding", "utf-16", "--json"], capsys)
    assert code == 0
    top = json.loads(out)["top"]
    assert [(r["item"], r["exact"]) for r in top] == [("#café", 2), ("#tbt", 1)]
    code, _, err = run(["topk", str(path), "--encoding", "klingon"], capsys)
    assert code == 2
    assert "--encoding" in err


def test_binary_stdin_is_refused():
    proc = subprocess.run(
        [sys.executable, "-m", "twitterdesign", "topk", "-"],
        input=b"\xff\xfe\x00\x01binary",
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 2
    assert b"standard input" in proc.stderr
    assert proc.stdout == b""
