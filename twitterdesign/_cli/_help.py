"""Help written for people: plain type names, whole sentences, and one error style.

Typer labels option types in Python's words (``<bool>`` on a flag, ``<list[int]>`` on a
repeatable option), and in rich markup mode it keeps every line break of a hard-wrapped
docstring, so a summary stops mid-sentence. `humanize` rewrites the command tree once,
before it runs or is documented: prose paragraphs are joined into single lines (examples
and lists keep their lines), flags show no type, and other options show a type in
capitals (``INTEGER``, ``NUMBER``, ``TEXT``, a list of choices), marked ``repeatable``
where an option may be given several times.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["humanize", "iter_commands", "join_prose", "type_label"]

_TYPE_WORDS = {
    "int": "INTEGER",
    "float": "NUMBER",
    "str": "TEXT",
    "bool": "BOOLEAN",
    "Path": "PATH",
}


def join_prose(text: str | None) -> str | None:
    """Join the hard-wrapped lines of each prose paragraph of ``text`` into one line.

    A paragraph keeps its line breaks when any of its lines is indented (an example or
    code) or starts a list item, so examples stay one per line.

    Examples:
        >>> join_prose("Run the server on a\\nfree port.\\n\\n  twitterdesign serve")
        'Run the server on a free port.\\n\\n  twitterdesign serve'
    """
    if text is None:
        return None
    paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
    out = []
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        literal = any(
            line[:1].isspace() or line.lstrip().startswith(("- ", "* ", "\b")) for line in lines
        )
        out.append(paragraph if literal else " ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False)) or bool(getattr(param, "count", False))


def type_label(param: Any) -> str | None:
    """Return the type of ``param`` as a person reads it, or None for a flag.

    An explicit ``metavar`` wins; choices are listed with ``|``; options that may be
    repeated say so.
    """
    if _is_flag(param):
        return None
    metavar = getattr(param, "metavar", None)
    desc = getattr(param, "type_descriptor", None)
    repeatable = bool(getattr(param, "multiple", False)) or bool(desc is not None and desc.is_list)
    if metavar:
        label = str(metavar)
    elif desc is not None and desc.is_choice and desc.choices:
        label = "|".join(str(getattr(c, "value", c)) for c in desc.choices)
    elif desc is not None and desc.is_path:
        label = "FILE" if getattr(desc, "path_type", "") == "file" else "PATH"
    else:
        annotation = desc.annotation if desc is not None else None
        args = getattr(annotation, "__args__", None)
        if desc is not None and desc.is_list and args:
            annotation = args[0]
        name = getattr(annotation, "__name__", str(annotation))
        label = _TYPE_WORDS.get(name, name.upper())
    if repeatable and getattr(param, "param_type_name", "") == "option":
        return f"{label} (repeatable)"
    return label


def iter_commands(command: Any, path: tuple[str, ...] = ()) -> Any:
    """Yield ``(path, command)`` for ``command`` and every subcommand, depth first."""
    yield path, command
    for name in sorted(getattr(command, "commands", {}) or {}):
        yield from iter_commands(command.commands[name], (*path, name))


def humanize(command: Any) -> Any:
    """Rewrite help texts and type labels of the whole command tree in place; return it."""
    help_names = (command.context_settings or {}).get("help_option_names", ["--help"])
    for _, cmd in iter_commands(command):
        cmd.help = join_prose(cmd.help)
        if cmd.short_help:
            cmd.short_help = join_prose(cmd.short_help)
        # The -h/--help option is made (and cached) on first use; make it now, so that
        # it is labelled like the others.
        ctx = cmd.context_class(cmd, info_name=cmd.name, help_option_names=help_names)
        help_option = cmd.get_help_option(ctx)
        for param in [*cmd.params, *([help_option] if help_option is not None else [])]:
            if getattr(param, "param_type_name", "") == "argument":
                if param.metavar is None:
                    param.metavar = str(param.name).upper()  # "PATH", not "path"
                # Usage says "PATH" for a required argument (as click and man pages do),
                # not Typer's "{path}"; optional ones stay in brackets.
                name = param.metavar if param.required else f"[{param.metavar}]"
                param._usage_display_name = lambda _n=name, _p=param: (
                    _n + ("..." if _p.nargs != 1 else "")
                )
            if getattr(param, "help", None):
                param.help = join_prose(param.help)
            label = type_label(param)
            if hasattr(param, "display_type_rich"):
                # Typer builds this column from the annotation and ignores `metavar`;
                # an instance attribute replaces the method for this parameter only.
                param.display_type_rich = lambda ctx, _label=label: _label
    return command
