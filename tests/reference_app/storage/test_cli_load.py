"""``twitterdesign load``: a synthetic history into an empty database, from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twitterdesign.cli import main
from twitterdesign.reference_app.storage import SQLiteStore


def test_load_fills_an_empty_sqlite_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "tw.sqlite3"
    with pytest.raises(SystemExit) as exc:
        main(["load", "--database-url", f"sqlite:///{db}", "-u", "50", "-s", "200", "--json"])
    assert exc.value.code == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["accounts"], report["statuses"]) == (50, 200)
    store = SQLiteStore(db)
    try:
        assert store.count_accounts() == 50
        assert store.count_statuses() == 200
        assert store.event_head() == 0
    finally:
        store.close()


def test_load_refuses_a_database_that_holds_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'tw.sqlite3'}"
    with pytest.raises(SystemExit):
        main(["load", "--database-url", url, "-u", "10", "-s", "5"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["load", "--database-url", url, "-u", "10", "-s", "5"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "empty store" in err
    assert "Traceback" not in err


def test_load_names_an_unsupported_url(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["load", "--database-url", "ftp://nowhere", "-u", "10"])
    assert exc.value.code == 2
    assert "database_url" in capsys.readouterr().err
