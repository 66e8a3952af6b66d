"""The lesson's design diagrams: drawn offline at build time, legible on a phone, linked
to the code that implements them."""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = Path("/usr/bin/chromium")
SVG = "{http://www.w3.org/2000/svg}"
#: Width of the content column on a 360-pixel phone (Material's 16-pixel margins).
PHONE_COLUMN_PX = 328


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("td_diagrams_test", DOCS / "diagrams.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


DIAGRAMS: dict[str, str] = _module().render_all()


def test_the_lessons_five_diagrams_are_drawn() -> None:
    assert set(DIAGRAMS) == {
        "high-level-design.svg",
        "post-flow.svg",
        "timeline-read-path.svg",
        "topk-counters.svg",
        "client-side-lb.svg",
    }


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_diagram_is_valid_svg_with_text_legible_on_a_phone(name: str) -> None:
    root = ET.fromstring(DIAGRAMS[name])
    assert root.tag == f"{SVG}svg"
    width = float(root.attrib["viewBox"].split()[2])
    assert root.find(f"{SVG}title") is not None  # a name for screen readers
    sizes = [float(t.attrib["font-size"]) for t in root.iter(f"{SVG}text")]
    assert sizes
    # Scaled down to a phone's column, the smallest text stays at 13 px or more.
    assert min(sizes) * PHONE_COLUMN_PX / width >= 13, (name, min(sizes), width)
    # Nothing to fetch: no links, images or fonts from anywhere.
    assert not re.search(r"(?:href|src)=|url\((?!#)|@import", DIAGRAMS[name])


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_each_diagram_is_shown_and_linked_to_its_module(name: str) -> None:
    uses = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(rf"!\[[^\]]+\]\([./]*figures/diagrams/{re.escape(name)}\)", text):
            rest = re.sub(r"^\{[^}]*\}", "", text[match.end() :]).strip()
            caption = rest.split("\n\n", 1)[0]
            uses.append((page.name, caption))
    assert uses, f"{name} is not shown on any page"
    for page, caption in uses:
        assert re.search(r"\]\(\.\./reference/[\w-]+\.md\)", caption), (page, caption)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_text_stays_inside_its_box_and_the_picture(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    measure = """() => {
      const rects = Array.from(document.querySelectorAll('rect[rx="8"]')).map(
        (r) => r.getBBox());
      const width = document.documentElement.viewBox.baseVal.width;
      return Array.from(document.querySelectorAll('text')).map((t) => {
        const b = t.getBBox();
        const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
        const box = rects.find((r) => r.x <= cx && cx <= r.x + r.width
                                      && r.y <= cy && cy <= r.y + r.height);
        return {text: t.textContent, left: b.x, right: b.x + b.width, width: width,
                box: box ? {left: box.x, right: box.x + box.width} : null};
      });
    }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            for name, svg in DIAGRAMS.items():
                path = tmp_path / name
                path.write_text(svg, encoding="utf-8")
                page.goto(path.as_uri())
                for t in page.evaluate(measure):
                    assert t["left"] >= 0, (name, t)
                    assert t["right"] <= t["width"], (name, t)
                    if t["box"] is not None:
                        assert t["box"]["left"] + 2 <= t["left"], (name, t)
                        assert t["right"] <= t["box"]["right"] - 2, (name, t)
        finally:
            browser.close()
