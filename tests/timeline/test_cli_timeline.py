"""The ``twitterdesign timeline`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twitterdesign.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


SMALL = ["--users", "3000", "--seed", "1"]


def test_simulate_table_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "delay.png"
    code, out, _ = run(
        ["timeline", "simulate", *SMALL, "--policy", "push", "--plot", str(png)], capsys
    )
    assert code == 0
    assert "Delivery delay p99" in out
    assert "PushAll" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_json_matches_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "timeline",
            "simulate",
            *SMALL,
            "--policy",
            "hybrid",
            "--threshold",
            "50",
            "--duration",
            "600",
            "--workers",
            "500",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    result = data["result"]
    assert result["policy"] == "hybrid(T=50)"
    assert result["workers_writes_per_s"] == 500
    assert result["duration_s"] == 600
    assert data["preset"]["preset"] == "twitter-2012"
    assert result["n_users"] == 3001  # plus the celebrity


def test_sweep_json_and_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(["timeline", "sweep", *SMALL, "--points", "8", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["best_cost_per_s"] == min(data["total_cost_per_s"])
    assert data["per_edge_optimal_cost_per_s"] <= data["best_cost_per_s"]
    png = tmp_path / "sweep.png"
    code, out, _ = run(
        ["timeline", "sweep", *SMALL, "--preset", "lesson", "--no-celebrity", "--plot", str(png)],
        capsys,
    )
    assert code == 0
    assert "◀ best" in out
    assert png.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["timeline", "simulate", "--policy", "nope"], "--policy"),
        (["timeline", "simulate", *SMALL, "--threshold", "-1"], "threshold"),
        (["timeline", "sweep", *SMALL, "--preset", "nope"], "preset"),
        (["timeline", "sweep", "--users", "10", "--mean-followees", "50"], "mean_followees"),
        (["timeline", "simulate", *SMALL, "--workers", "0"], "workers_writes_per_s"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        # Regression: tried to build a billion-user graph (hours, then out of memory).
        (["simulate", "--users", "1000000000"], "--users=1000000000"),
        # Regression: numpy's "lam value too large" traceback.
        (["simulate", "--users", "1000", "--duration", "1e300"], "--duration=1e+300"),
        (["simulate", "--users", "100000", "--max-memory", "1 MB"], "--users=100000"),
        (["sweep", "--users", "1000000000"], "--users=1000000000"),
    ],
)
def test_sizes_past_the_memory_limit_are_refused_up_front(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["timeline", *argv], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "--max-memory" in lines[0]  # the limit
    assert "would need about" in lines[0]  # the estimate


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        # Regression: a 745 GiB MemoryError traceback.
        (["sweep", "--users", "1000", "--points", "99999999999"], "--points=99999999999"),
        (["sweep", "--users", "1000", "--points", "0"], "--points=0"),
        (["simulate", "--users", "1000", "--max-memory", "plenty"], "--max-memory"),
        (["simulate", "--users", "1000", "--mean-followees", "nan"], "--mean-followees"),
    ],
)
def test_bad_sizes_are_one_line_errors(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["timeline", *argv], capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err


def test_a_run_within_the_limit_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["timeline", "simulate", *SMALL, "--duration", "60", "--max-memory", "1 GB", "--json"],
        capsys,
    )
    assert code == 0
    assert json.loads(out)["result"]["n_users"] > 0


@pytest.mark.parametrize("preset", ["twitter-2012", "lesson"])
def test_sweep_says_when_no_hybrid_wins(preset: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["timeline", "sweep", "--users", "5000", "--points", "8", "--preset", preset]
    code, out, _ = run([*argv, "--json"], capsys)
    assert code == 0
    interior = json.loads(out)["is_interior"]
    code, out, _ = run(argv, capsys)
    text = " ".join(out.split())
    assert code == 0
    # The hint appears exactly when the cheapest threshold is at an end of the grid.
    assert ("no hybrid wins" in text) == (not interior)
    if not interior and preset != "lesson":
        assert "try --preset lesson" in text
