"""``twitterdesign topk`` on Parquet, CSV and Arrow files and globs, locally and on Dask."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from twitterdesign._cli.topk import bare_dask_option
from twitterdesign.cli import main

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")
pytest.importorskip("pandas")

PARTS = [
    ["#tbt"] * 40 + ["#nba"] * 25 + ["#rain"] * 5 + [None] * 3,
    ["#tbt"] * 10 + ["#nba"] * 20 + ["#snow"] * 12,
    ["#rain"] * 9 + [f"#t{i}" for i in range(30)],
]
TRUTH = Counter(tag for part in PARTS for tag in part if tag is not None)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def write(tmp_path: Path, fmt: str) -> str:
    """Write the parts as files of ``fmt`` and return a glob naming them."""
    for i, part in enumerate(PARTS):
        table = pa.table({"hashtag": pa.array(part, pa.string()), "n": list(range(len(part)))})
        path = tmp_path / f"events-{i}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path)
        elif fmt == "csv":
            pcsv.write_csv(table, path)
        else:
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                w.write_table(table)
    return str(tmp_path / f"events-*.{fmt}")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "arrow"])
def test_a_glob_of_files_is_counted_with_exact_comparison(fmt, tmp_path, capsys):
    pattern = write(tmp_path, fmt)
    code, out, err = run(
        ["topk", pattern, "--column", "hashtag", "-k", "3", "--capacity", "16", "--json"], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["files"] == 3
    assert data["events"] == sum(TRUTH.values())
    assert data["distinct"] == len(TRUTH)
    assert [(row["item"], row["exact"]) for row in data["top"]] == TRUTH.most_common(3)
    for row in data["top"]:
        assert row["lower_bound"] <= row["exact"] <= row["upper_bound"]


def test_a_single_parquet_file_prints_a_table(tmp_path, capsys):
    write(tmp_path, "parquet")
    code, out, _ = run(["topk", str(tmp_path / "events-0.parquet"), "--column", "hashtag"], capsys)
    assert code == 0
    assert "#tbt" in out
    assert "hashtags" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--column", "nope"], "no column 'nope'"),
        ([], "--column is required"),
        (["--column", "n", "--sketch", "bloom"], "--sketch"),
    ],
)
def test_bad_columnar_input_is_one_line_exit_2(args, needle, tmp_path, capsys):
    pattern = write(tmp_path, "parquet")
    code, _, err = run(["topk", pattern, *args], capsys)
    assert code == 2
    assert needle in err
    assert err.count("\n") == 1


def test_a_glob_matching_nothing_and_unknown_suffixes_are_refused(tmp_path, capsys):
    code, _, err = run(["topk", str(tmp_path / "*.parquet"), "--column", "x"], capsys)
    assert (code, "no file matches" in err) == (2, True)
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    code, _, err = run(["topk", str(tmp_path / "*.json"), "--column", "x"], capsys)
    assert (code, "unknown columnar format" in err) == (2, True)


def test_a_column_of_floats_is_refused(tmp_path, capsys):
    pq.write_table(pa.table({"x": [1.5, 2.5]}), tmp_path / "f.parquet")
    code, _, err = run(["topk", str(tmp_path / "f.parquet"), "--column", "x"], capsys)
    assert code == 2
    assert "expected strings or integers" in err


def test_a_bare_dask_option_means_a_local_cluster():
    assert bare_dask_option(["topk", "a.parquet", "--dask"])[-1] == "local"
    assert bare_dask_option(["topk", "a.parquet", "--dask", "tcp://h:8786"])[-1] == "tcp://h:8786"
    assert bare_dask_option(["lb", "--dask"]) == ["lb", "--dask"]


def test_dask_mode_merges_the_files_on_a_scheduler(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    pattern = write(tmp_path, "parquet")
    with distributed.LocalCluster(
        n_workers=1, processes=False, threads_per_worker=1, dashboard_address=":0"
    ) as cluster:
        code, out, err = run(
            ["topk", pattern, "--column", "hashtag", "-k", "3", "--json",
             "--dask", cluster.scheduler_address],
            capsys,
        )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["partitions"] == 3
    assert data["events"] == sum(TRUTH.values())
    assert [(row["item"], row["estimate"]) for row in data["top"]] == TRUTH.most_common(3)
    assert "exact" not in data["top"][0]


def test_an_unreachable_scheduler_is_one_line_exit_2(tmp_path, capsys):
    pytest.importorskip("distributed")
    pattern = write(tmp_path, "parquet")
    code, _, err = run(
        ["topk", pattern, "--column", "hashtag", "--dask", "tcp://127.0.0.1:9"], capsys
    )
    assert code == 2
    assert "cannot reach the Dask scheduler" in err
