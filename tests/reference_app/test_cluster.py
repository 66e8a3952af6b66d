"""``twitterdesign cluster``: app instances, fan-out workers and a front over PostgreSQL + Redis.

One cluster (2 app instances, 1 fan-out worker) runs for the module in a scratch schema and
key prefix of its own. The tests use it only through its public URL, as a client would,
and look at its processes through ``/proc`` to kill one or to check that none is left.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from tests.reference_app._live import register_user, wait_until
from tests.reference_app.storage._redis import REDIS_URL, redis_client, require_redis
from tests.reference_app.storage_pg._postgres import POSTGRES_URL, require_postgres
from twitterdesign.cli import app as cli_app
from twitterdesign.errors import InvalidParameterError, TwitterDesignError
from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.cluster import ClusterProcess, check_cluster_urls, scratch_state
from twitterdesign.reference_app.services import open_store

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[tuple[int, str]]:
    """Return ``(pid, command line)`` of every live child of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append((int(entry.name), cmdline))
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterProcess]:
    require_postgres()
    require_redis()
    with scratch_state(POSTGRES_URL, REDIS_URL) as (db, cache):
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("cluster"),
            database_url=db,
            cache_url=cache,
            rate_limits_enabled=False,
            argon2_time_cost=1,
            argon2_memory_kib=8,
            trends_publish_interval_s=0.2,
        )
        with ClusterProcess(settings, apps=2, workers=1) as running:
            yield running


def _home_ids(client: httpx.Client, headers: dict[str, str]) -> list[str]:
    reply = client.get("/api/v1/timelines/home", headers=headers)
    assert reply.status_code == 200, reply.text
    return [s["id"] for s in reply.json()]


def test_a_post_reaches_a_follower_through_the_workers(cluster: ClusterProcess) -> None:
    with httpx.Client(base_url=cluster.base_url, timeout=10) as client:
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        ada_id = client.get("/api/v1/accounts/verify_credentials", headers=ada).json()["id"]
        assert client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bob).status_code == 200
        assert _home_ids(client, bob) == []  # bob is an active reader now
        post = client.post("/api/v1/statuses", headers=ada, json={"status": "hello #cluster"})
        assert post.status_code == 200, post.text
        # No app instance pushes (fanout_in_app=false): only the worker can deliver it.
        wait_until(lambda: _home_ids(client, bob) == [post.json()["id"]], "the worker to deliver")

        # The app instances report the workers' shared totals, whichever one answers. A
        # worker adds to them after it acknowledged the batch, a moment after the push.
        def pushed() -> float:
            metrics = client.get("/metrics").text
            found = [
                float(line.split()[-1])
                for line in metrics.splitlines()
                if line.startswith("twitterdesign_fanout_statuses_pushed")
            ]
            assert found
            return found[0]

        wait_until(lambda: pushed() >= 1, "the workers' totals to count the push")
        for _ in range(4):
            assert pushed() >= 1


def test_trends_agree_on_every_instance(cluster: ClusterProcess) -> None:
    with httpx.Client(base_url=cluster.base_url, timeout=10) as client:
        cy = register_user(client, "cy")
        for i in range(6):  # the front spreads these over both instances
            reply = client.post("/api/v1/statuses", headers=cy, json={"status": f"#agree {i}"})
            assert reply.status_code == 200

        def uses() -> set[int]:
            seen = set()
            for _ in range(6):  # several answers: both instances answer some of them
                tags = client.get("/api/v1/trends/tags").json()
                seen.add(sum(int(t["history"][0]["uses"]) for t in tags if t["name"] == "agree"))
            return seen

        wait_until(lambda: uses() == {6}, "both instances to agree")


def test_a_killed_fanout_worker_is_restarted_and_delivery_goes_on(
    cluster: ClusterProcess,
) -> None:
    assert cluster.pid is not None
    workers = [p for p, cmd in _children(cluster.pid) if " worker " in f"{cmd} "]
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    with httpx.Client(base_url=cluster.base_url, timeout=10) as client:
        dan = register_user(client, "dan")
        eve = register_user(client, "eve")
        dan_id = client.get("/api/v1/accounts/verify_credentials", headers=dan).json()["id"]
        client.post(f"/api/v1/accounts/{dan_id}/follow", headers=eve)
        assert _home_ids(client, eve) == []
        posted = [
            client.post("/api/v1/statuses", headers=dan, json={"status": f"during {i}"}).json()
            for i in range(3)
        ]
        want = sorted((s["id"] for s in posted), key=int, reverse=True)
        wait_until(lambda: _home_ids(client, eve) == want, "delivery after the restart", 30.0)
    fresh = [p for p, cmd in _children(cluster.pid) if " worker " in f"{cmd} "]
    assert len(fresh) == 1
    assert fresh[0] != workers[0]


def test_stopping_the_cluster_stops_every_process(tmp_path: Path) -> None:
    require_postgres()
    require_redis()
    with scratch_state(POSTGRES_URL, REDIS_URL) as (db, cache):
        settings = Settings(
            data_dir=tmp_path, database_url=db, cache_url=cache, argon2_memory_kib=8
        )
        cluster = ClusterProcess(settings, apps=1, workers=2)
        cluster.start()
        assert cluster.pid is not None
        children = [pid for pid, _ in _children(cluster.pid)]
        assert len(children) == 3  # one app instance and two workers
        cluster.stop()
        assert cluster.poll() == 128 + signal.SIGTERM  # it ran its shutdown, as a shell expects
        wait_until(lambda: not any(Path(f"/proc/{p}").exists() for p in children), "exits", 10.0)


def test_scratch_state_removes_its_schema_and_keys() -> None:
    require_postgres()
    require_redis()
    with scratch_state(POSTGRES_URL, REDIS_URL) as (db, cache):
        schema = db.rsplit("schema=", 1)[1]
        prefix = cache.rsplit("prefix=", 1)[1]
        open_store(db, pool_size=1).close()  # creates the schema
        redis_client().set(f"{prefix}probe", "1")
        redis_client().set("td_test:outside-the-prefix", "1")
    with psycopg.connect(POSTGRES_URL) as conn:
        left = conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    assert left == (0,)
    assert list(redis_client().scan_iter(match=f"{prefix}*")) == []
    assert redis_client().get("td_test:outside-the-prefix") == "1"  # only its own keys
    redis_client().delete("td_test:outside-the-prefix")


def test_cluster_urls_must_be_shared_and_reachable(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="database_url"):
        check_cluster_urls(Settings(data_dir=tmp_path))  # SQLite: one machine's file
    with pytest.raises(InvalidParameterError, match="cache_url"):
        check_cluster_urls(
            Settings(data_dir=tmp_path, database_url="postgresql://127.0.0.1:1/x")
        )  # memory://: one process
    with pytest.raises(TwitterDesignError, match=r"--database-url: .*127\.0\.0\.1:1/x"):
        check_cluster_urls(
            Settings(
                data_dir=tmp_path,
                database_url="postgresql://127.0.0.1:1/x",
                cache_url="redis://127.0.0.1:1/0",
            )
        )


def test_cluster_command_explains_bad_urls_in_one_line() -> None:
    result = CliRunner().invoke(
        cli_app, ["cluster", "--database-url", "sqlite:///x.db", "--cache-url", "redis://h/0"]
    )
    assert result.exit_code == 2
    assert "--database-url" in result.output
    assert "postgresql://" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(
        cli_app,
        ["cluster", "--database-url", "postgresql://127.0.0.1:1/x", "--cache-url", "redis://h/0"],
    )
    assert result.exit_code == 2
    assert "127.0.0.1:1/x" in result.output
    assert "Traceback" not in result.output


def test_serve_exits_with_one_line_when_the_cache_is_unreachable(tmp_path: Path) -> None:
    import subprocess
    import sys

    from twitterdesign.reference_app.server import free_port

    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "twitterdesign", "serve", "--port", "0"),
            *("--data-dir", str(tmp_path), "--cache-url", url),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--cache-url: cannot reach Redis at redis://:***@127.0.0.1" in done.stderr
    assert "serving on" not in done.stderr  # it said so before it started, not after
    assert "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_streams_pass_through_the_front_and_carry_every_instances_posts(
    cluster: ClusterProcess,
) -> None:
    import json

    from websockets.sync.client import connect

    with httpx.Client(base_url=cluster.base_url, timeout=10) as client:
        fay = register_user(client, "fay")
        token = fay["Authorization"].split()[1]
        ws_url = cluster.base_url.replace("http", "ws", 1) + "/api/v1/streaming?stream=public"
        with (
            connect(ws_url, subprotocols=[token], open_timeout=10) as ws,  # type: ignore[list-item]
            client.stream("GET", "/api/v1/streaming/public", timeout=20) as sse,
        ):
            assert sse.status_code == 200
            assert sse.headers["content-type"].startswith("text/event-stream")
            # Posts spread over both instances by the front; each arrives on both streams.
            posted = {
                client.post("/api/v1/statuses", headers=fay, json={"status": f"live {i}"}).json()[
                    "id"
                ]
                for i in range(4)
            }
            over_ws = set()
            while over_ws != posted:
                message = json.loads(ws.recv(timeout=15))
                over_ws.add(json.loads(message["payload"])["id"])
            over_sse = set()
            lines = sse.iter_lines()
            while over_sse != posted:
                line = next(lines)
                if line.startswith("data: "):
                    over_sse.add(json.loads(line[6:])["id"])
