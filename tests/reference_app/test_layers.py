"""The app's layers: routes and renderers call services only, never a store."""

from __future__ import annotations

import ast
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
