"""The top-k tutorial's Python sessions run as written (doctest over its pycon blocks)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["tutorials/topk.md", "how-to/merge-sketches.md", "how-to/topk-on-dask.md"]


@pytest.mark.parametrize("page", PAGES)
def test_pycon_blocks_run(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.*?)```", text, flags=re.S)
    assert blocks, f"{page} has no pycon session"
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(blocks), {}, page, page, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
