"""The load generator against a live reference server, and the ``twitterdesign demo`` command."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from twitterdesign.errors import TwitterDesignError
from twitterdesign.loadgen import DemoConfig, run_demo
from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.server import ServerProcess


@pytest.mark.slow
def test_demo_replays_a_workload_through_the_api(tmp_path: Path) -> None:
    cfg = DemoConfig(users=60, mean_followees=4, requests=300, concurrency=4, probes=3)
    settings = Settings(
        data_dir=tmp_path,
        rate_limits_enabled=False,
        sqlite_synchronous="NORMAL",
        argon2_time_cost=1,
        argon2_memory_kib=8,
        fanout_threshold=cfg.fanout_threshold,
    )
    phases: set[str] = set()
    with ServerProcess(settings) as server:
        report = run_demo(server.base_url, cfg, progress=lambda p, _d, _t: phases.add(p))
    assert phases == {"registering users", "following", "warming caches", "replaying workload"}
    assert report.users == 63  # 60 ordinary users + 3 celebrities
    assert report.replay_requests == 300
    assert sum(e.requests for e in report.endpoints) == 300
    assert all(e.errors == 0 for e in report.endpoints)
    assert all(e.p50_ms <= e.p99_ms for e in report.endpoints)
    # The biggest celebrity (0.75 × 60 = 45 followers) is above the threshold of 30: pulled.
    assert report.celebrities[0]["followers"] == 45
    assert report.fanout["statuses_pulled"] >= 0
    assert report.fanout["statuses_pushed"] >= 1
    assert report.fanout["queue_depth"] == 0
    # Every probe post reached an active follower (the issue asks for within 5 s).
    assert report.delivery_delays_s
    assert all(d is not None and d < 5.0 for d in report.delivery_delays_s)
    assert report.trending_tags
    for tag in report.trending_tags:
        assert tag["lower_bound"] <= tag["uses"] <= tag["upper_bound"]
    for viewed in report.most_viewed:
        assert viewed["lower_bound"] <= viewed["score"] <= viewed["upper_bound"]
    assert report.capacity["servers_at_peak"] >= 1
    json.dumps(report.to_dict())  # JSON-ready


def _demo_json(*args: str) -> dict[str, Any]:
    """Run ``twitterdesign demo ARGS --concurrency 4 --json``; return its report."""
    done = subprocess.run(
        [sys.executable, "-m", "twitterdesign", "demo", *args, "--concurrency", "4", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.slow
def test_demo_command_prints_json_and_exits_0(tmp_path: Path) -> None:
    report = _demo_json("--users", "40", "--requests", "120")
    assert report["users"] == 43
    assert report["replay_requests"] == 120
    assert report["server"].startswith("http://127.0.0.1:")


_BOUNDS_9 = {"lower_bound": 9, "upper_bound": 9}


def test_demo_command_prints_the_report_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    from twitterdesign._cli.serve import _print_report
    from twitterdesign.loadgen import DemoReport, EndpointStats
    from twitterdesign.loadgen._capacity import capacity_at_scale

    report = DemoReport(
        users=13,
        follows=40,
        celebrities=[{"username": "celebrity0", "followers": 8}],
        fanout_threshold=5,
        setup_s=1.5,
        replay_requests=100,
        replay_s=2.0,
        requests_per_second=50.0,
        endpoints=[EndpointStats("GET /api/v1/timelines/home", 100, 0, 3.0, 9.0)],
        fanout={"statuses_pushed": 7.0, "deliveries": 20.0, "statuses_pulled": 2.0},
        delivery_delays_s=[0.004, None],
        trending_tags=[{"name": "python", "uses": 5, "lower_bound": 5, "upper_bound": 6}],
        most_viewed=[{"status_id": "42", "author": "user00001", "score": 9} | _BOUNDS_9],
        capacity=capacity_at_scale(50.0),
    )
    _print_report(report, "http://127.0.0.1:1")
    out = " ".join(capsys.readouterr().out.split())  # the console wraps at its width
    assert "50 requests/s" in out
    assert "GET /api/v1/timelines/home" in out
    assert "#python" in out
    assert "1 not within 10 s" in out
    assert "celebrity0 (8)" in out
    assert "servers like this one" in out


def _dropping_server() -> tuple[socket.socket, threading.Event, threading.Thread]:
    """A loopback server that accepts every connection and closes it without answering."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1.0)
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, stop, thread


def test_a_lost_connection_is_one_clear_error_naming_the_server() -> None:
    server, stop, thread = _dropping_server()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        with pytest.raises(TwitterDesignError, match=f"lost its connection to {url}") as info:
            run_demo(url, DemoConfig(users=50, requests=1, concurrency=1))
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
    assert "RemoteProtocolError" in str(info.value) or "ReadError" in str(info.value)


def test_a_server_that_is_not_there_is_one_clear_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(TwitterDesignError, match=f"lost its connection to {url}.*ConnectError"):
        run_demo(url, DemoConfig(users=50, requests=1, concurrency=1))


@pytest.mark.slow
def test_demo_cluster_replays_against_postgresql_redis_and_workers() -> None:
    import psycopg

    from tests.reference_app.storage._redis import REDIS_URL, require_redis
    from tests.reference_app.storage_pg._postgres import POSTGRES_URL, require_postgres

    require_postgres()
    require_redis()

    def schemas_and_public_tables() -> tuple[set[str], set[str]]:
        with psycopg.connect(POSTGRES_URL) as conn:
            schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
            public = {
                r[0]
                for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
        return {s for s in schemas if s.startswith("td_scratch_")}, public

    scratch_before, public_before = schemas_and_public_tables()
    report = _demo_json(
        *("--cluster", "--database-url", POSTGRES_URL, "--cache-url", REDIS_URL),
        *("--users", "30", "--requests", "100"),
    )
    # Everything happened in a scratch schema, now gone: the URL's own schema is untouched.
    scratch_after, public_after = schemas_and_public_tables()
    assert public_after == public_before
    assert scratch_after <= scratch_before
    assert report["cluster"] == {"apps": 2, "workers": 1}
    assert report["replay_requests"] == 100
    assert sum(e["errors"] for e in report["endpoints"]) == 0
    # The workers pushed (no app instance does) and the apps report their totals.
    assert report["fanout"]["statuses_pushed"] >= 1
    assert all(d is not None and d < 5.0 for d in report["delivery_delays_s"])
    assert report["trending_tags"]
