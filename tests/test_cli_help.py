"""Help for people: plain types, whole sentences, one error style, a complete reference."""

from __future__ import annotations

import re

import pytest

from twitterdesign._cli._docs import reference_markdown
from twitterdesign._cli._help import iter_commands, join_prose
from twitterdesign.cli import command, main

TREE = list(iter_commands(command()))
PATHS = [path for path, _ in TREE]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (0 if code is None else int(code)), out, err


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "twitterdesign")
def test_help_uses_plain_type_names(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run([*path, "--help"], capsys)
    assert code == 0
    for jargon in ("<bool>", "<int>", "<str>", "<float>", "list[", "<file>"):
        assert jargon not in out, (path, jargon)
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage  # "PATH", not Typer's "{path}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "twitterdesign")
def test_summaries_are_whole_sentences(path: tuple[str, ...]) -> None:
    cmd = dict(TREE)[path]
    summary = (cmd.help or "").split("\n\n")[0]
    assert "\n" not in summary, summary  # a hard wrap would cut the listing mid-sentence
    assert summary.endswith((".", ")")), summary
    for param in cmd.params:
        assert "\n" not in (param.help or ""), (path, param.name)


def test_join_prose_keeps_examples_and_lists() -> None:
    text = (
        "One sentence\nwrapped here.\n\nExamples:\n\n  twitterdesign a\n  twitterdesign b"
        "\n\n- x\n- y"
    )
    assert join_prose(text) == (
        "One sentence wrapped here.\n\nExamples:\n\n  twitterdesign a\n  twitterdesign b"
        "\n\n- x\n- y"
    )


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def test_reference_lists_every_option_with_type_and_default() -> None:
    text = reference_markdown()
    for path, cmd in TREE:
        section = _section(text, " ".join(("twitterdesign", *path)))
        assert "**Usage:**" in section
        for param in cmd.params:
            if param.hidden:
                continue
            names = [*param.opts, *param.secondary_opts]
            row = next(
                (
                    line
                    for line in section.splitlines()
                    if line.startswith("| `") and any(f"`{n}`" in line.split("|")[1] for n in names)
                ),
                None,
            )
            if param.param_type_name == "argument":
                row = next(line for line in section.splitlines() if f"`{param.metavar}`" in line)
            assert row is not None, (path, names)
            cells = [c.strip() for c in row.strip("|").split(" | ")]
            assert len(cells) == 4, row
            assert all(cells[:3]), row  # name, type and default are never blank
    # The example: lb simulate's options, all of them, in the table.
    simulate = _section(text, "twitterdesign lb simulate")
    assert simulate.count("\n| `--") >= 20


def test_reference_renders_help_markup_and_examples() -> None:
    text = reference_markdown()
    assert "\\[" not in text  # rich's escapes are rendered, not shown
    serve = _section(text, "twitterdesign serve")
    assert "./twitterdesign-data" in serve
    assert "[default:" not in serve  # defaults live in their column
    # Examples are code, not paragraphs.
    for path, cmd in TREE:
        if "twitterdesign " in (cmd.help or ""):
            section = _section(text, " ".join(("twitterdesign", *path)))
            assert "```bash\ntwitterdesign" in section, path


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["timeline", "simulate", "--users", "1"], "--users"),
        (["lb", "simulate", "--clients", "x"], "--clients"),
        (["estimate", "--nope"], "--nope"),
        (["no-such-command"], "no-such-command"),
        (["quiz", "export"], "PATH"),
    ],
)
def test_usage_errors_are_one_line_like_every_other_error(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("twitterdesign: error: ")
    assert needle in lines[0]
    assert "--help" in lines[0]
    assert not re.search("[╭╰│]", err)


def test_quiz_export_help_names_one_path(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    paths: set[str] = set()
    for argv in (["quiz", "--help"], ["quiz", "export", "--help"]):
        _, out, _ = run(argv, capsys)
        paths |= set(re.findall(r"[\w/.-]+\.json", out)) - {"quiz.json", "answers.json"}
    assert paths == {"site/assets/quiz-bank.json"}
