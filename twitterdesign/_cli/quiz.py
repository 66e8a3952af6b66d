"""``twitterdesign quiz``: take the lesson's quiz in a terminal, grade a file, export JSON."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from twitterdesign._cli._common import console, fail, print_json

if TYPE_CHECKING:
    from rich.console import Console

    from twitterdesign.quiz import AnswerCheck, Question, QuizResult

_HELP = (
    "Take the lesson's quiz, grade a file of answers, or export the bank as JSON.\n\n"
    "One question at a time, with immediate feedback and the explanation, and a score\n"
    "per topic at the end.\n\n"
    "Examples:\n\n"
    "  twitterdesign quiz                              # 10 questions, all topics\n\n"
    "  twitterdesign quiz --topic topk --count 5 --seed 7\n\n"
    "  twitterdesign quiz --seed 7 --json > quiz.json  # the questions, no answers\n\n"
    "  twitterdesign quiz --answers answers.json --json  # grade {id: answer, ...}\n\n"
    "  twitterdesign quiz export site/assets/quiz-bank.json  # the JSON the web page reads"
)

#: Seeds the CLI draws when none is given (the range `Quiz` draws its own seeds from).
_MAX_SEED = 2**31 - 1

_HINTS = {
    "single": "a letter",
    "true_false": "true or false",
    "multiple": "every right letter, e.g. a, c",
    "ordering": "every letter in order, e.g. c, a, b",
}


def register(app: typer.Typer) -> None:
    """Add the ``quiz`` command group to ``app``."""
    quiz_app = typer.Typer(
        name="quiz",
        help=_HELP,
        invoke_without_command=True,
        no_args_is_help=False,
        add_completion=False,
        rich_markup_mode="rich",
    )

    @quiz_app.callback(invoke_without_command=True)
    def quiz(
        ctx: typer.Context,
        topic: Annotated[
            list[str] | None,
            typer.Option(
                "--topic",
                "-t",
                help="Ask only about this topic (repeatable): estimation, design, storage, "
                "topk, load-balancing, regions.",
                show_default=False,
            ),
        ] = None,
        count: Annotated[int, typer.Option("--count", "-n", help="How many questions.")] = 10,
        seed: Annotated[
            int | None,
            typer.Option("--seed", "-s", help="Seed: the same quiz (and numbers) every time."),
        ] = None,
        answers: Annotated[
            Path | None,
            typer.Option(
                "--answers",
                "-a",
                help="Grade a JSON file of answers ({question id: answer}) without asking.",
                dir_okay=False,
                show_default=False,
            ),
        ] = None,
        json_output: Annotated[
            bool,
            typer.Option("--json", help="Print JSON: the graded result, or the quiz (no answers)."),
        ] = False,
    ) -> None:
        if ctx.invoked_subcommand is not None:
            return
        from twitterdesign.quiz import Quiz, load_bank

        bank = load_bank()
        if answers is not None:
            given, option_seed = _read_answers(answers)
            if seed is not None:
                quiz_taken = Quiz(bank, topics=topic, count=count, rng=seed)
            else:
                quiz_taken = Quiz.from_ids(bank, list(given), option_seed=option_seed)
            _report(quiz_taken, given, json_output)
            return
        if seed is None:
            seed = secrets.randbelow(_MAX_SEED)
        quiz_taken = Quiz(bank, topics=topic, count=count, rng=seed)
        if json_output:
            print_json({"seed": seed, **quiz_taken.to_dict(include_answers=False)})
            return
        if not sys.stdin.isatty():
            fail(
                "the quiz is interactive but stdin is not a terminal; run it in a terminal, "
                "or grade a file with --answers FILE (see --help)"
            )
        console().print(
            f"[dim]Quiz seed {seed}: add --seed {seed} to take this same quiz again.[/]"
        )
        _interactive(quiz_taken)

    @quiz_app.command("export")
    def export(
        path: Annotated[
            Path, typer.Argument(help="File to write, e.g. site/assets/quiz-bank.json.")
        ],
        variants: Annotated[
            int, typer.Option("--variants", help="Instances of each parametric question.")
        ] = 3,
        seed: Annotated[int, typer.Option("--seed", help="First seed for parametric ones.")] = 0,
    ) -> None:
        """Write the question bank as the JSON the browser quiz reads.

        Examples:

          twitterdesign quiz export site/assets/quiz-bank.json
        """
        from twitterdesign.quiz import export_json, load_bank

        written = export_json(load_bank(), path, variants=variants, seed=seed)
        console().print(f"wrote the quiz bank to {written}")

    app.add_typer(quiz_app, name="quiz")


_BANK_ORDER_NOTE = (
    "Option letters were read in the bank's order (no --seed, and no option_seed in the "
    "answers file). To grade letters as a quiz showed them, pass that quiz's --seed, "
    "--topic and --count, or put its option_seed next to the answers."
)


def _read_answers(path: Path) -> tuple[dict[str, Any], int | None]:
    import json

    from twitterdesign.errors import CorruptDataError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CorruptDataError(f"{path}: not UTF-8 text (expected a JSON file)") from None
    except json.JSONDecodeError as exc:
        raise CorruptDataError(f"{path}: not valid JSON: {exc}") from None
    except RecursionError:
        raise CorruptDataError(f"{path}: JSON nested too deeply") from None
    option_seed = None
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        option_seed = data.get("option_seed")
        if option_seed is not None and (
            not isinstance(option_seed, int) or isinstance(option_seed, bool) or option_seed < 0
        ):
            raise CorruptDataError(
                f"{path}: option_seed must be a non-negative integer, not {option_seed!r}"
            )
        data = data["answers"]
    if isinstance(data, list) and all(isinstance(x, dict) and "id" in x for x in data):
        data = {x["id"]: x.get("answer") for x in data}
    if not isinstance(data, dict) or not data or not all(isinstance(k, str) for k in data):
        raise CorruptDataError(
            f'{path}: expected a JSON object of question id to answer, e.g. {{"lb-p2c": "a"}}'
        )
    return data, option_seed


def _report(quiz_taken: Any, given: dict[str, Any], json_output: bool) -> None:
    from twitterdesign.quiz import grade

    result = grade(quiz_taken, given)
    if json_output:
        print_json({"option_seed": quiz_taken.option_seed, **result.to_dict()})
        return
    out = console()
    if quiz_taken.option_seed is None:
        out.print(f"[dim]{_BANK_ORDER_NOTE}[/]")
        out.print()
    for check in result.misses:
        _show_verdict(out, check)
    _show_summary(out, result)


def _show_question(out: Console, index: int, total: int, question: Question) -> None:
    lines = [question.prompt, ""]
    for i, option in enumerate(question.options):
        lines.append(f"  {chr(ord('a') + i)}) {option}")
    title = f"Question {index}/{total} · {question.topic} · {question.difficulty}"
    out.print(Panel("\n".join(lines).rstrip(), title=title, title_align="left"))


def _hint(question: Question) -> str:
    if question.type == "numeric":
        unit = f" in {question.unit}" if question.unit else ""
        return f"a number{unit}; units such as 25k, 1.2 TB or 9.6 Gbps are understood"
    return _HINTS[question.type]


def _show_verdict(out: Console, check: AnswerCheck) -> None:
    if check.correct:
        out.print(f"[green]✓ Right.[/] {check.expected}")
    else:
        out.print(
            f"[red]✗ Not quite.[/] You answered {check.given}; the answer is {check.expected}."
        )
        if check.note:
            out.print(f"  ({check.note})")
    out.print(check.explanation)
    # One unbroken line, so the address stays whole to copy or click.
    out.print(f"[dim]Read more: {check.url}[/]", soft_wrap=True)
    out.print()


def _show_summary(out: Console, result: QuizResult) -> None:
    table = Table(title="Score per topic")
    table.add_column("Topic")
    table.add_column("Right", justify="right")
    table.add_column("Score", justify="right")
    for t in result.by_topic:
        table.add_row(t.title, f"{t.correct}/{t.total}", f"{t.score:.0%}")
    table.add_section()
    table.add_row("Total", f"{result.correct}/{result.total}", f"{result.score:.0%}")
    out.print(table)


def _interactive(quiz_taken: Any) -> None:
    from rich.markup import escape
    from rich.prompt import Prompt

    from twitterdesign.errors import InvalidParameterError
    from twitterdesign.quiz import check_answer, grade

    out = console()
    given: dict[str, str] = {}
    total = len(quiz_taken)
    for index, question in enumerate(quiz_taken, start=1):
        _show_question(out, index, total, question)
        while True:
            try:
                reply = Prompt.ask(
                    f"Your answer ({_hint(question)})", console=out, default="", show_default=False
                )
            except EOFError:
                out.print()
                fail("input ended before the quiz did")
            try:
                check = check_answer(question, reply)
            except InvalidParameterError as exc:
                out.print(
                    f"[yellow]{escape(repr(reply.strip()))} is not an answer to this "
                    f"question: expected {escape(exc.allowed)}.[/] Try again, or press Enter "
                    "to skip."
                )
                continue
            break
        given[question.id] = reply
        _show_verdict(out, check)
    _show_summary(out, grade(quiz_taken, given))
