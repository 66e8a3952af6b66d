"""The command line's reference page, generated from the command tree itself.

`reference_markdown` walks the same tree ``twitterdesign --help`` prints (after
`twitterdesign._cli._help.humanize`) and writes, for every command: its description, its
examples as a code block, its usage line, and a table of every option and argument with
its type, default and help. ``docs/hooks.py`` puts the result into
docs/reference/cli.md at build time, so the page cannot drift from the code.
"""

from __future__ import annotations

import re
from typing import Any

from twitterdesign._cli._help import iter_commands, type_label

__all__ = ["reference_markdown"]

_DEFAULT_IN_HELP = re.compile(r"\s*\[default:\s*(.*?)\]\.?\s*$")


def _plain(text: str | None) -> str:
    """Render rich markup to plain text (``\\[default: x]`` becomes ``[default: x]``)."""
    if not text:
        return ""
    from rich.text import Text

    return Text.from_markup(text).plain


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _description(help_text: str) -> list[str]:
    """Prose as paragraphs; example lines (``twitterdesign …``) as one bash block."""
    lines: list[str] = []
    examples: list[str] = []
    for paragraph in re.split(r"\n\s*\n", _plain(help_text).strip()):
        rows = paragraph.split("\n")
        commands = [r.strip() for r in rows if r.strip().startswith("twitterdesign ")]
        if commands and len(commands) == len([r for r in rows if r.strip()]):
            examples.extend(commands)
        elif paragraph.strip() in ("Examples:", "Example:"):
            continue
        else:
            lines += [paragraph.strip(), ""]
    if examples:
        lines += ["**Examples:**", "", "```bash", *examples, "```", ""]
    return lines


def _default(param: Any) -> str:
    help_default = _DEFAULT_IN_HELP.search(_plain(getattr(param, "help", "")))
    if help_default:
        return help_default.group(1)
    if getattr(param, "required", False):
        return "required"
    if getattr(param, "is_flag", False):
        return "on" if param.default else "off"
    default = getattr(param, "default", None)
    if isinstance(getattr(param, "show_default", None), str):
        return str(param.show_default)
    if default is None or getattr(param, "show_default", True) is False or default == ():
        return "—"
    if isinstance(default, list | tuple):
        return ", ".join(str(getattr(d, "value", d)) for d in default)
    return str(getattr(default, "value", default))


def _names(param: Any) -> str:
    if getattr(param, "param_type_name", "") == "argument":
        name = getattr(param, "metavar", None) or param.name.upper()
        return f"`{name}`" + (" …" if param.nargs == -1 else "")
    names = [f"`{o}`" for o in [*param.opts, *param.secondary_opts]]
    return ", ".join(names)


def _params_table(cmd: Any) -> list[str]:
    params = [p for p in cmd.params if not getattr(p, "hidden", False)]
    if not params:
        return []
    rows = ["| Option | Type | Default | Description |", "|---|---|---|---|"]
    for param in params:
        text = _plain(getattr(param, "help", "") or "")
        if _DEFAULT_IN_HELP.search(text):  # the default moves to its own column
            text = _DEFAULT_IN_HELP.sub("", text).rstrip(" ,;:") + "."
        label = type_label(param) or "flag"
        low, high = getattr(param, "min", None), getattr(param, "max", None)
        if low is not None and high is not None:
            label += f", {low} to {high}"
        elif low is not None:
            label += f", at least {low}"
        elif high is not None:
            label += f", at most {high}"
        rows.append(
            f"| {_names(param)} | {_cell(label)} | {_cell(_default(param))} | {_cell(text)} |"
        )
    return [*rows, ""]


def _usage(cmd: Any, path: tuple[str, ...]) -> str:
    ctx = cmd.context_class(cmd, info_name=" ".join(("twitterdesign", *path)))
    return " ".join(("twitterdesign", *path, *cmd.collect_usage_pieces(ctx)))


def reference_markdown(root: Any | None = None) -> str:
    """Return the Markdown of the whole command line's reference.

    Args:
        root: The command tree; ``twitterdesign.cli.command()`` when None.

    Returns:
        One section per command, in the order of the tree (subcommands after their
        group), each with description, examples, usage and an options table.

    Examples:
        >>> text = reference_markdown()
        >>> "## twitterdesign lb simulate" in text and "`--aperture`" in text
        True
    """
    if root is None:
        from twitterdesign.cli import command

        root = command()
    out: list[str] = []
    for path, cmd in iter_commands(root):
        if getattr(cmd, "hidden", False):
            continue
        title = " ".join(("twitterdesign", *path))
        out += [f"## {title}", ""]
        out += _description(cmd.help or cmd.short_help or "")
        out += ["**Usage:**", "", "```text", _usage(cmd, path), "```", ""]
        subcommands = sorted(getattr(cmd, "commands", {}) or {})
        if subcommands:
            out += ["**Subcommands:**", ""]
            for name in subcommands:
                sub = cmd.commands[name]
                summary = _plain(sub.short_help or sub.help or "").split("\n\n")[0]
                anchor = re.sub(r"[^a-z0-9]+", "-", f"{title} {name}".lower()).strip("-")
                out.append(f"- [`{name}`](#{anchor}): {' '.join(summary.split())}")
            out.append("")
        out += _params_table(cmd)
    return "\n".join(out)
