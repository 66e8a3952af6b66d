"""``twitterdesign estimate`` and ``twitterdesign regions``."""

from __future__ import annotations

import json
import subprocess
import sys

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


def test_no_args_prints_the_lesson_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["estimate"], capsys)
    assert code == 0, err
    for fragment in ("preset 'lesson'", "1.5B", "255 TB", "93.2 PB", "394 Gbps", "156,250"):
        assert fragment in out, fragment
    assert "≈ 255 TB" in out  # the source's number beside ours


def test_json_is_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["estimate", "--preset", "lesson-2022", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["tweets_per_day"] == 750e6
    assert data["servers_at_average_load"] == 8  # 5e9 / 86,400 / 8,000 = 7.2 → 8
    assert data["storage_bytes_per_day_by_type"]["image"] == pytest.approx(15e12)


def test_set_accepts_human_units(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "estimate",
            "--set",
            "daily_active_users=250M",
            "--set",
            "video_bytes=6 MB",
            "--set",
            "image_fraction=0%",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    # 250M × 3 tweets × (250 B + 5% × 6 MB).
    assert data["storage_bytes_per_day"] == pytest.approx(250e6 * 3 * (250 + 0.05 * 6e6))
    assert data["workload"]["image_fraction"] == 0


def test_explain_shows_arithmetic(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["estimate", "--explain"], capsys)
    assert code == 0
    assert "500M daily users × 3 tweets = 1.5B tweets/day" in out
    assert "Which server count answers which question" in out


def test_compare_shows_presets_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["estimate", "--compare", "lesson", "primer", "twitter-2012"], capsys)
    assert code == 0
    header = next(line for line in out.splitlines() if "lesson" in line and "primer" in line)
    assert "twitter-2012" in header
    code, out, _ = run(["estimate", "--compare", "lesson", "primer", "--json"], capsys)
    assert set(json.loads(out)) == {"lesson", "primer"}


def test_list_presets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["estimate", "--list-presets"], capsys)
    assert code == 0
    for name in ("lesson", "lesson-2022", "twitter-2012", "primer", "QCon", "system-design-primer"):
        assert name in out
    code, out, _ = run(["estimate", "--list-presets", "--json"], capsys)
    assert [p["name"] for p in json.loads(out)] == [
        "lesson",
        "lesson-2022",
        "twitter-2012",
        "primer",
    ]


def test_regions_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["regions"], capsys)
    assert code == 0
    assert "Asia-Pacific" in out
    assert "United States" in out
    assert "Rest of world" in out
    code, out, _ = run(
        ["regions", "--preset", "lesson", "--basis", "average_load", "--json"], capsys
    )
    data = json.loads(out)
    assert data["basis"] == "average_load"
    # 2 servers at average load, raised to one per region for six regions.
    assert data["total_servers"] == 6
    assert sum(r["servers"] for r in data["regions"]) == 6


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["estimate", "--preset", "nope"], "preset"),
        (["estimate", "--set", "daily_active_users"], "--set"),
        (["estimate", "--set", "no_such_field=1"], "field"),
        (["estimate", "--set", "daily_active_users=-5"], "daily_active_users"),
        (["estimate", "--set", "image_fraction=1.5"], "image_fraction"),
        (["estimate", "--set", "daily_active_users=0"], "daily_active_users"),
        (["estimate", "--set", "daily_active_users=1e300"], "daily_active_users"),
        (["estimate", "--set", "peak_to_average=100000"], "peak_to_average"),
        (["estimate", "--set", "requests_per_server_per_second=1e-300"], "requests_per_server"),
        (["regions", "--set", "daily_active_users=0"], "daily_active_users"),
        (["estimate", "--set", "total_users=1M"], "total_users"),
        (["estimate", "--set", "image_bytes=big"], "image_bytes"),
        (["estimate", "lesson"], "unexpected argument"),
        (["estimate", "--compare", "lesson", "--set", "image_bytes=1"], "--set"),
        (["regions", "--basis", "busiest"], "basis"),
        (["regions", "--preset", "nope"], "preset"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert needle in lines[0]
    assert "Traceback" not in err


def test_subprocess_error_has_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "twitterdesign", "estimate", "--set", "video_fraction=NaN"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "video_fraction" in proc.stderr


def test_compare_without_names_shows_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["estimate", "--compare", "--json"], capsys)
    assert code == 0
    assert set(json.loads(out)) == {"lesson", "lesson-2022", "twitter-2012", "primer"}


def test_regions_with_set_and_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["regions", "--set", "daily_active_users=1B", "--min-servers", "0", "--json"], capsys
    )
    assert code == 0
    data = json.loads(out)
    # 1B × 20 / 86,400 × 4 / 64,000 = 14.5 → 15 servers at peak, no minimum added.
    assert data["total_servers"] == 15
    assert sum(c["servers"] for c in data["countries"]) == 15


def test_regions_explains_its_total_rounding_and_minimums(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["regions"], capsys)
    assert code == 0
    text = " ".join(out.split())
    # The title's number is explained: the peak count, and what the minimums added.
    assert "Regions — preset 'lesson', 10 servers" in text
    assert "Countries — preset 'lesson', 8 servers" in text
    assert "8 servers is the estimate's servers at peak (the 80/20 rule" in text
    assert "largest remainders" in text
    assert "equal users are rounded alike" in text
    assert "Europe, Middle East & Africa got fewer from their countries" in text
    assert "(+2), so the regions hold 10 servers" in text
    code, out, _ = run(["regions", "--min-servers", "0"], capsys)
    assert "a region's servers are its countries' sum" in " ".join(out.split())
