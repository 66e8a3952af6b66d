"""The documentation site works offline: every script and stylesheet it loads ships in docs/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _assets(section: str) -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    match = re.search(rf"^{section}:\n((?:  .*\n|\s*#.*\n)+)", text, flags=re.M)
    assert match, f"mkdocs.yml has no {section}"
    return [line.split("- ", 1)[1].strip() for line in match.group(1).splitlines() if "- " in line]


def test_every_script_and_stylesheet_is_local() -> None:
    assets = _assets("extra_javascript") + _assets("extra_css")
    assert any("katex" in a for a in assets)
    assert any("mermaid" in a for a in assets)
    for asset in assets:
        assert "://" not in asset, f"{asset} would be fetched from the network"
        assert (ROOT / "docs" / asset).is_file(), f"{asset} is missing from docs/"


def test_math_fonts_the_stylesheet_names_are_shipped() -> None:
    css = (ROOT / "docs/assets/vendor/katex/katex.min.css").read_text(encoding="utf-8")
    woff2 = set(re.findall(r"fonts/([\w-]+\.woff2)", css))
    assert woff2, "katex.min.css should reference woff2 fonts"
    missing = [f for f in woff2 if not (ROOT / "docs/assets/vendor/katex/fonts" / f).is_file()]
    assert not missing
