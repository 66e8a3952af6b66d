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


def test_theme_fetches_no_web_font() -> None:
    # Material loads Roboto from a font CDN unless told not to; offline that fails.
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    theme = re.search(r"^theme:\n((?:  .*\n|\s*#.*\n)+)", text, flags=re.M)
    assert theme, "mkdocs.yml has no theme"
    assert re.search(r"^  font: false$", theme.group(1), flags=re.M)


def test_quiz_links_point_at_the_site_url() -> None:
    from twitterdesign.quiz import DOCS_URL

    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    site_url = re.search(r"^site_url: (\S+)$", text, flags=re.M)
    assert site_url, "mkdocs.yml has no site_url"
    assert site_url.group(1) == DOCS_URL


def test_every_explanation_chapter_opens_with_key_takeaways() -> None:
    chapters = sorted((ROOT / "docs/explanation").glob("*.md"))
    chapters = [c for c in chapters if c.name != "index.md"]
    assert len(chapters) >= 6
    for chapter in chapters:
        lines = chapter.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), chapter.name
        first_block = next(line for line in lines[1:] if line.strip())
        assert first_block == '!!! abstract "Key takeaways"', chapter.name


def test_topk_reference_is_split_by_family_and_complete() -> None:
    import twitterdesign.topk as topk

    pages = sorted((ROOT / "docs/reference").glob("topk-*.md"))
    assert len(pages) >= 3
    documented: list[str] = []
    for page in pages:
        names = re.findall(r"^::: twitterdesign\.topk\.(\w+)$", page.read_text("utf-8"), re.M)
        assert 0 < len(names) <= 10, page.name  # no page is one endless scroll
        documented += names
    assert sorted(documented) == sorted(topk.__all__)
    overview = (ROOT / "docs/reference/topk.md").read_text(encoding="utf-8")
    assert "members: false" in overview  # the module page lists families, not every member
