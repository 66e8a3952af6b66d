from __future__ import annotations

import subprocess
import sys

import pytest

from twitterdesign import __version__
from twitterdesign.cli import main


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"twitterdesign {__version__}"


def test_help_lists_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "twitterdesign estimate" in capsys.readouterr().out


def test_unknown_command_exits_2_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "twitterdesign", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_help_does_not_import_heavy_modules() -> None:
    # `twitterdesign --help` must stay fast: no numpy, FastAPI or matplotlib at import.
    code = (
        "import sys; import twitterdesign.cli; "
        "mods = ('numpy', 'fastapi', 'matplotlib', 'datasketches'); "
        "heavy = [m for m in mods if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
