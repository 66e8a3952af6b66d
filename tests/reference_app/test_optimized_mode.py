"""Request checks hold under ``python -O``, which strips every ``assert`` statement.

A route that needs a user gets a `User` (``account_id: int``) from ``require(scope)``;
the check is an ``if``. These tests run write routes with an app-only token (no user) in
an optimized interpreter and expect the same 422 as in a normal one, and check that no
``assert`` is left in the API package for anything to depend on.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import twitterdesign.reference_app.api as api_package
from tests.reference_app.conftest import Api

_SCRIPT = r"""
import json, sys, tempfile
from fastapi.testclient import TestClient
from twitterdesign.reference_app import Settings, create_app

if sys.flags.optimize < 1:
    raise SystemExit("not running under python -O")
settings = Settings(data_dir=tempfile.mkdtemp(), rate_limits_enabled=False,
                    argon2_time_cost=1, argon2_memory_kib=8)
with TestClient(create_app(settings)) as client:
    app = client.post("/api/v1/apps", data={
        "client_name": "o", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "scopes": "read write follow"}).json()
    token = client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "read write follow"}).json()
    headers = {"Authorization": "Bearer " + token["access_token"]}
    out = {}
    for name, path in [("status", "/api/v1/statuses"),
                       ("follow", "/api/v1/accounts/1/follow"),
                       ("clear", "/api/v1/notifications/clear")]:
        reply = client.post(path, headers=headers, json={"status": "hi"})
        out[name] = [reply.status_code, reply.json()]
from twitterdesign.reference_app.api._deps import User
try:
    User(None, None, "write", "t")
    made = "made"
except TypeError:
    made = "TypeError"
print(json.dumps({"routes": out, "user_without_account": made}))
"""


def test_write_routes_refuse_an_app_token_under_python_dash_o(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-O", "-c", _SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    assert answers["user_without_account"] == "TypeError"
    assert set(answers["routes"]) == {"status", "follow", "clear"}
    for name, (code, body) in answers["routes"].items():
        assert code == 422, (name, code, body)
        assert body == {"error": "This method requires an authenticated user"}, name


def test_write_routes_refuse_an_app_token(api: Api) -> None:
    """The same answer in this (non-optimized) interpreter, so -O changes nothing."""
    headers = {"Authorization": f"Bearer {api.app_token}"}
    reply = api.client.post("/api/v1/statuses", headers=headers, json={"status": "hi"})
    assert reply.status_code == 422
    assert reply.json() == {"error": "This method requires an authenticated user"}


def test_no_assert_statements_in_the_api_package() -> None:
    root = Path(api_package.__file__).parent
    found = [
        f"{path.name}:{node.lineno}"
        for path in sorted(root.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assert)
    ]
    assert found == []
