"""The home timeline before and after a change: two revisions served side by side.

A refactoring of the reference app must not make its hottest read slower. This script
serves the working tree and an earlier git revision (checked out into a temporary
worktree) as two ``twitterdesign serve`` processes, plus the FastAPI hello-world floor
of ``app_bench.py``, and hammers ``GET /api/v1/timelines/home?limit=20`` (the same 20
followees and 40 statuses as ``app_bench.py``) on each in interleaved rounds, so the
shared machine's load drifts over all three alike. Reported per revision: the ratio
home / hello world of each round, as a range over the rounds, and the ratio after /
before of each round.

Writes ``benchmarks/results/app.revision.md``.

Run: ``python benchmarks/app_revision_bench.py --before 02e8b12 --rounds 5``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_bench import FAST_HASH, HELLO, RESULTS, load, populate_home

from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.server import ServerProcess, free_port

REPO = Path(__file__).resolve().parent.parent
HOME = "/api/v1/timelines/home?limit=20"


@contextmanager
def _source(rev: str | None) -> Iterator[None]:
    """Make child processes import the package from ``rev`` (None: the working tree)."""
    if rev is None:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="app-rev-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev],
            check=True,
            capture_output=True,
        )
        old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(tree)
        try:
            yield
        finally:
            if old is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = old
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                check=True,
                capture_output=True,
            )


def _row(name: str, values: list[float]) -> str:
    return f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    hello_port = free_port()
    hello = subprocess.Popen([sys.executable, "-c", HELLO.replace("{port}", str(hello_port))])
    servers: dict[str, tuple[ServerProcess, str]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="app-rev-data-") as tmp:
            with _source(args.before):
                before = ServerProcess(
                    Settings(data_dir=Path(tmp) / "before", rate_limits_enabled=False, **FAST_HASH)
                )
                before.start()
            servers["before"] = (before, "")
            after = ServerProcess(
                Settings(data_dir=Path(tmp) / "after", rate_limits_enabled=False, **FAST_HASH)
            )
            after.start()
            servers["after"] = (after, "")
            servers = {
                name: (srv, populate_home(srv.base_url)[1]) for name, (srv, _) in servers.items()
            }
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{hello_port}/hello", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            rows: list[dict[str, float]] = []
            for i in range(args.rounds):
                order = ["hello", "before", "after"] if i % 2 == 0 else ["after", "before", "hello"]
                rps: dict[str, float] = {}
                for name in order:
                    if name == "hello":
                        rps[name] = load(hello_port, "/hello")["requests_per_second"]
                    else:
                        srv, token = servers[name]
                        rps[name] = load(srv.port, HOME, token)["requests_per_second"]
                rows.append(rps)
                sys.stdout.write(f"round {i + 1}: {rps}\n")
    finally:
        hello.terminate()
        hello.wait()
        for srv, _ in servers.values():
            srv.stop()
    before_ratio = [r["before"] / r["hello"] for r in rows]
    after_ratio = [r["after"] / r["hello"] for r in rows]
    change = [r["after"] / r["before"] for r in rows]
    lines = [
        "# Home timeline before and after a change",
        "",
        f"`GET {HOME}` (cached, 20 statuses), before = `{args.before}`, after = the working "
        f"tree; {args.rounds} interleaved rounds against the hello-world floor.",
        "",
        "| | median | min | max |",
        "|---|---:|---:|---:|",
        _row("before: home / hello world", before_ratio),
        _row("after: home / hello world", after_ratio),
        _row("after / before, same round", change),
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "app.revision.md").write_text("\n".join(lines))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
