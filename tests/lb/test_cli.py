"""``twitterdesign lb``: simulate, compare, hash."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from twitterdesign.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_simulate_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "lb",
            "simulate",
            "--policy",
            "p2c",
            "--clients",
            "5",
            "--servers",
            "4",
            "--requests",
            "3000",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["result"]["requests"] == 3000
    assert data["result"]["succeeded"] == 3000
    assert data["scenario"]["servers"] == 4
    # Default rate: 70% of 4 servers at 10 ms each = 280 requests/s.
    assert data["scenario"]["rate_per_s"] == pytest.approx(280.0)


def test_simulate_slow_server_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "lb.png"
    code, out, _ = _run(
        [
            "lb",
            "simulate",
            "--policy",
            "peak-ewma",
            "--clients",
            "4",
            "--servers",
            "5",
            "--requests",
            "4000",
            "--slow-server",
            "2",
            "--slow-factor",
            "10",
            "--plot",
            str(png),
        ],
        capsys,
    )
    assert code == 0
    assert "peak-ewma" in out
    assert png.stat().st_size > 1000


def test_compare_lists_every_requested_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "lb",
            "compare",
            "--clients",
            "5",
            "--servers",
            "4",
            "--requests",
            "2000",
            "--policy",
            "round-robin",
            "--policy",
            "least-loaded",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    assert [r["policy"] for r in json.loads(out)["results"]] == ["round-robin", "least-loaded"]


def test_hash_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["lb", "hash", "--nodes", "5", "--keys", "5000", "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert {r["router"] for r in rows} >= {"maglev", "jump", "ring"}
    code, out, _ = _run(["lb", "hash", "--nodes", "5", "--keys", "5000"], capsys)
    assert "maglev" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lb", "simulate", "--policy", "fastest", "--requests", "10"], "policy"),
        (["lb", "simulate", "--servers", "0"], "servers"),
        (["lb", "simulate", "--slow-server", "9", "--servers", "3"], "slow-server"),
        (["lb", "simulate", "--outage", "1:x", "--requests", "10"], "outage"),
        (["lb", "simulate", "--service", "pareto"], "service"),
        (["lb", "simulate", "--policy", "random-aperture", "--aperture", "50"], "aperture"),
        (["lb", "hash", "--keys", "0"], "keys"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_simulate_outage_timeout_retries_and_staleness(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "lb",
            "simulate",
            "--policy",
            "least-loaded",
            "--clients",
            "4",
            "--servers",
            "4",
            "--requests",
            "4000",
            "--outage",
            "1:2:6",
            "--retries",
            "2",
            "--timeout-ms",
            "500",
            "--staleness-ms",
            "20",
            "--arrivals",
            "bursty",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["scenario"]["outages"] == [{"server": 1, "start_s": 2.0, "end_s": 6.0}]
    assert data["scenario"]["load_view"] == "global"
    assert data["result"]["retries"] > 0
    assert data["result"]["succeeded"] + data["result"]["failed"] == 4000


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        # Regression: a numpy ValueError traceback.
        (["--requests", "99999999999999999999"], "requests=99999999999999999999"),
        # Regression: allocated 23.7 GB until the kernel killed it.
        (["--servers", "100000000", "--requests", "10"], "servers=100000000"),
        (["--clients", "1000000000", "--servers", "1000000000"], "clients=1000000000"),
        (["--requests", "20000000"], "requests=20000000"),
        (["--requests", "2000", "--max-memory", "1 MB"], "clients=100"),
        (["--requests", "2000", "--max-memory", "lots"], "--max-memory"),
        (["--requests", "2000", "--slow-factor", "nan"], "--slow-factor"),
        (["--requests", "2000", "--service-ms", "inf"], "--service-ms"),
        (["--requests", "2000", "--rate", "-1"], "--rate"),
    ],
)
@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_sizes_are_checked_up_front_with_the_memory_they_need(
    command: str, argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["lb", command, *argv], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    if "max-memory" not in needle and needle.split("=")[0] in {"requests", "servers", "clients"}:
        assert re.search(r"would need about [\d.e+]+ [kKMGTPE]?B", lines[0])  # the estimate


@pytest.mark.parametrize("value", ["0", "-1"])
def test_concurrency_below_one_is_rejected(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Regression: --concurrency 0 ran (as "unlimited") and exited 0.
    code, out, err = _run(["lb", "simulate", "--concurrency", value, "--requests", "100"], capsys)
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        f"twitterdesign: error: invalid --concurrency={value}: expected an integer >= 1"
    ]


def test_unlimited_concurrency_is_its_own_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["lb", "simulate", "--unlimited-concurrency", "--requests", "500", "--json"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert data["scenario"]["concurrency"] is None
    assert data["result"]["succeeded"] == 500


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["--clients", "0"], "clients=0"),
        (["--servers", "-3"], "servers=-3"),
        (["--requests", "0"], "requests=0"),
        (["--retries", "8"], "retries=8"),
        (["--retries", "-1"], "retries=-1"),
    ],
)
def test_sizes_below_their_minimum_are_one_line_errors(
    argv: list[str], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["lb", "simulate", *argv], capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert name in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        # Regression: a numpy "Maximum allowed dimension exceeded" traceback.
        (["--keys", "99999999999999999999"], "--keys=99999999999999999999"),
        (["--keys", "20000000"], "--keys=20000000"),
        (["--nodes", "5", "--keys", "5000", "--max-memory", "1 MB"], "--keys=5000"),
    ],
)
def test_hash_refuses_keys_past_the_memory_limit(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["lb", "hash", *argv], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "--max-memory" in lines[0]
    assert "would need about" in lines[0]


@pytest.mark.parametrize("nodes", ["1", "10001", "99999999999999999999"])
def test_hash_node_count_is_bounded(nodes: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Regression: --nodes 99999999999999999999 built labels and rings for ever.
    code, out, err = _run(["lb", "hash", "--nodes", nodes, "--keys", "10"], capsys)
    assert code == 2
    assert out == ""
    assert err.strip() == (
        f"twitterdesign: error: invalid --nodes={nodes}: expected an integer in [2, 10000]"
    )


def test_compare_gives_both_aperture_policies_the_same_aperture(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Regression: by default random aperture ran at ~1.5 servers per client against
    # deterministic aperture's ~12.8, so the comparison was of unequal widths.
    argv = ["lb", "compare", "--policy", "random-aperture", "--policy", "deterministic-aperture"]
    argv += ["--clients", "40", "--servers", "20", "--requests", "4000"]
    code, out, _ = _run([*argv, "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["aperture"] == 12
    per_client = {r["policy"]: r["connections_total"] / 40 for r in data["results"]}
    # About 12 each (not ~1.5 against ~12.8 as before).
    assert per_client["random-aperture"] >= 0.95 * 12
    assert per_client["deterministic-aperture"] >= 0.95 * 12
    assert per_client["random-aperture"] == pytest.approx(
        per_client["deterministic-aperture"], rel=0.25
    )
    code, out, _ = _run(argv, capsys)
    assert code == 0
    assert "Both aperture policies ran at aperture 12" in " ".join(out.split())
    # A smaller fleet caps the default at --servers; --aperture overrides it.
    code, out, _ = _run([*argv[:-4], "--servers", "6", "--requests", "2000", "--json"], capsys)
    assert json.loads(out)["aperture"] == 6
    code, out, _ = _run([*argv, "--aperture", "3", "--json"], capsys)
    assert json.loads(out)["aperture"] == 3
