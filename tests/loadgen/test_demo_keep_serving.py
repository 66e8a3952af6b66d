"""``twitterdesign demo --keep-serving`` ends by pointing at the web client and a login,
with the teaching endpoint behind the client's "How it works" panel turned on."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from twitterdesign.loadgen import DEMO_PASSWORD


@pytest.mark.slow
def test_keep_serving_prints_the_web_client_url_and_a_login_that_works() -> None:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "twitterdesign", "demo", "--users", "20"),
            *("--requests", "20", "--concurrency", "2", "--json", "--keep-serving"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("The debug API is on"):
                break
        said = "".join(lines)
        url = re.search(r"Open the web client: (http://127\.0\.0\.1:\d+/)\n", said)
        login = re.search(r"Demo login: username (\w+), password '([^']+)'", said)
        assert url is not None, said
        assert login is not None, said
        assert login.group(2) == DEMO_PASSWORD
        page = httpx.get(url.group(1), timeout=10)
        assert page.status_code == 200
        assert 'src="web/app.js"' in page.text
        assert httpx.get(url.group(1) + "web/app.js", timeout=10).status_code == 200
        # The printed login signs in (the password grant stands in for the browser's form).
        client = httpx.Client(base_url=url.group(1), timeout=10)
        app = client.post("/api/v1/apps", data={"client_name": "t", "scopes": "read"}).json()
        token = client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": login.group(1),
                "password": login.group(2),
                "scope": "read",
            },
        )
        assert token.status_code == 200, token.text
        # A teaching demo: the "How it works" endpoint answers, and the client is told.
        assert client.get("/api/v2/instance").json()["twitterdesign"] == {"debug_api": True}
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        posts = client.get("/api/v1/timelines/public?limit=1", headers=auth).json()
        assert posts, "the demo posted nothing public"
        trace = client.get(f"/lesson/v1/debug/statuses/{posts[0]['id']}", headers=auth)
        assert trace.status_code == 200, trace.text
        assert trace.json()["id"] == posts[0]["id"]
        assert trace.json()["fanout"]["delivery"] in ("push", "pull")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
