"""The app's layers: routes and renderers call services only, never a store."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import twitterdesign.reference_app.api as api_package

_STORE_NAMES = {"store", "_store", "timeline_store", "blobs", "view_counter"}


def _api_modules() -> list[Path]:
    return sorted(Path(api_package.__file__).parent.glob("*.py"))


def test_no_api_module_reaches_a_store() -> None:
    found = [
        f"{path.name}:{node.lineno} .{node.attr}"
        for path in _api_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in _STORE_NAMES
    ]
    assert found == []


def test_no_api_module_imports_a_storage_engine() -> None:
    found = []
    for path in _api_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {alias.name for alias in node.names}
                if ".storage.sqlite" in node.module or names & {"SQLiteStore", "FileBlobStore"}:
                    found.append(f"{path.name}:{node.lineno} {node.module}")
    assert found == []


def test_the_check_sees_a_store_access() -> None:
    """The walker above finds the pattern it forbids (so an empty result means something)."""
    tree = ast.parse("def route(s):\n    return s.store.get_accounts([1])\n")
    assert any(isinstance(n, ast.Attribute) and n.attr == "store" for n in ast.walk(tree))


def test_the_app_needs_no_cluster_extra() -> None:
    """``pip install twitterdesign[app]`` (no redis, no psycopg) serves, metrics included."""
    code = """
import sys
for name in ("redis", "psycopg", "psycopg_pool"):
    sys.modules[name] = None  # as if the cluster extra were not installed
import tempfile
from fastapi.testclient import TestClient
from twitterdesign.reference_app import Settings, create_app
settings = Settings(data_dir=tempfile.mkdtemp(), argon2_time_cost=1, argon2_memory_kib=8)
from twitterdesign.reference_app.cluster import check_reachable
check_reachable(settings)  # what ``serve`` does before it starts
with TestClient(create_app(settings)) as client:
    print(client.get("/api/v1/instance").status_code, client.get("/metrics").status_code)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["200", "200"]
