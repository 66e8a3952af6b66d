"""The built docs site in Chromium: no page requests anything outside the site, and wide
display equations scroll inside their own box instead of widening the page.

The whole site is built with the real mkdocs.yml (theme, hooks, plugins), served from
loopback, and every page is opened with request interception: a request to any other
host is recorded and aborted, so a font CDN or a script from the network fails the test
even on a machine that is online.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

BUILD = (
    "import sys; from mkdocs.config import load_config; from mkdocs.commands.build import build; "
    "build(load_config('mkdocs.yml', site_dir=sys.argv[1], strict=False))"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("offline-site")
    subprocess.run(
        [sys.executable, "-c", BUILD, str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _pages(site: Path) -> list[str]:
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("index.html"))
    return [p.removesuffix("index.html") for p in pages]


def test_no_page_requests_anything_outside_the_site(site: Path, server: str, browser: Any) -> None:
    pages = _pages(site)
    assert len(pages) >= 30  # the whole site, not a sample
    own_host = urlsplit(server).netloc
    outside: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == own_host:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context = browser.new_context()
    context.route("**/*", guard)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    try:
        for path in pages:
            page.goto(f"{server}/{path}", wait_until="networkidle")
    finally:
        context.close()
    assert outside == []
    assert errors == []


@pytest.mark.parametrize("path", ["explanation/estimation/", "explanation/timelines/"])
def test_display_equations_scroll_inside_their_own_box(
    server: str, browser: Any, path: str
) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        page.goto(f"{server}/{path}", wait_until="networkidle")
        page.wait_for_selector(".katex-display")
        boxes = page.evaluate(
            """() => Array.from(document.querySelectorAll('.md-typeset .katex-display')).map(
                 (e) => ({right: e.getBoundingClientRect().right, scroll: e.scrollWidth,
                          client: e.clientWidth, overflow: getComputedStyle(e).overflowX}))"""
        )
        page_width = page.evaluate("() => document.documentElement.scrollWidth")
    finally:
        page.close()
    assert boxes
    assert page_width <= 360  # the page itself never scrolls sideways
    for box in boxes:
        assert box["right"] <= 360 + 0.5
        if box["scroll"] > box["client"]:  # too wide for a phone: it scrolls on its own
            assert box["overflow"] in ("auto", "scroll")
    assert any(b["scroll"] > b["client"] for b in boxes), "expected a wide equation here"
