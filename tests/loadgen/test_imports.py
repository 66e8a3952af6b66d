"""Import direction: the load generator is a client and never imports the server."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import twitterdesign.loadgen

PACKAGE = Path(twitterdesign.loadgen.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_loadgen_module_imports_the_reference_app() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5
    for path in modules:
        bad = {m for m in _imported_modules(path) if m.startswith("twitterdesign.reference_app")}
        assert not bad, f"{path.name} imports {bad}: loadgen must speak HTTP only"


def test_importing_loadgen_loads_no_server_code() -> None:
    code = (
        "import sys, twitterdesign.loadgen; "
        "print(sorted(m for m in sys.modules if m.startswith(('twitterdesign.reference_app', "
        "'fastapi', 'uvicorn'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
