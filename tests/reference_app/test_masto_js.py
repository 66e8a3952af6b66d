"""masto.js (the library behind the Elk web client), unchanged, against a live server.

A node script logs in with a token this test made, posts a status through masto.js's
REST client and waits for it on masto.js's websocket streaming client (the ``user``
stream). masto.js is installed from the npm registry once per test session (``npm install
masto``; the version is pinned: masto 7 and later need node 22, Debian ships 18 and 20).
Skipped only where ``node`` or ``npm`` is missing (CI installs both).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.reference_app._live import live_server, register_user

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

MASTO_VERSION = "6.10.4"

SCRIPT = r"""
import { createRestAPIClient, createStreamingAPIClient } from "masto";

const [url, accessToken] = process.argv.slice(2);
const fail = (why) => { console.log(JSON.stringify({ error: why })); process.exit(2); };
setTimeout(() => fail("no update arrived within 60 s"), 60_000);

const rest = createRestAPIClient({ url, accessToken, timeout: 10_000 });
const me = await rest.v1.accounts.verifyCredentials();
const instance = await rest.v2.instance.fetch();
const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming,
  accessToken,
  retry: 3,
});
const events = streaming.user.subscribe();
const posted = [];
// The subscription is sent when the socket opens: post until one post comes back.
const poster = setInterval(async () => {
  const status = await rest.v1.statuses.create({ status: `hello from masto.js ${posted.length}` });
  posted.push(status.id);
}, 500);
for await (const event of events) {
  if (event.event === "update" && event.payload.content.includes("hello from masto.js")) {
    clearInterval(poster);
    console.log(JSON.stringify({
      me: me.username,
      stream: event.stream,
      id: event.payload.id,
      author: event.payload.account.username,
      content: event.payload.content,
    }));
    break;
  }
}
events.unsubscribe();
streaming.close();
process.exit(0);
"""


def _installed_version(where: Path) -> str | None:
    manifest = where / "node_modules" / "masto" / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def masto_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with masto.js installed and the test script.

    Kept in the pytest cache between sessions where the cache is on (an install is reused
    while it has the pinned version); a fresh directory per session otherwise (CI).
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the masto.js test (apt-get install nodejs npm)")
    cache = getattr(request.config, "cache", None)
    where = cache.mkdir("masto-js") if cache is not None else tmp_path_factory.mktemp("masto-js")
    (where / "stream.mjs").write_text(SCRIPT)
    if _installed_version(where) == MASTO_VERSION:
        return where
    (where / "package.json").write_text('{"private": true, "type": "module"}\n')
    installed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", f"masto@{MASTO_VERSION}"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert installed.returncode == 0, f"npm install masto failed:\n{installed.stderr}"
    assert _installed_version(where) == MASTO_VERSION
    return where


def test_masto_js_posts_and_receives_its_post_over_the_websocket(
    masto_dir: Path, tmp_path: Path
) -> None:
    with live_server(tmp_path / "data") as url:
        with httpx.Client(base_url=url) as client:
            headers = register_user(client, "elk", scopes="read write")
        token = headers["Authorization"].removeprefix("Bearer ")
        ran = subprocess.run(
            ["node", "stream.mjs", url, token],
            cwd=masto_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, f"node failed:\n{ran.stdout}\n{ran.stderr}"
        out = json.loads(ran.stdout.strip().splitlines()[-1])
        assert out["me"] == "elk"
        assert out["stream"] == ["user"]
        assert out["author"] == "elk"
        assert out["content"].startswith("<p>hello from masto.js")
        # What arrived is the status the server stored, readable through the REST API.
        with httpx.Client(base_url=url) as client:
            stored = client.get(f"/api/v1/statuses/{out['id']}", headers=headers)
        assert stored.status_code == 200
        assert stored.json()["content"] == out["content"]
