"""The browser estimator gives `twitterdesign.estimation.estimate`'s numbers, in Chromium."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.strategies import workloads
from twitterdesign.estimation import PRESETS, Workload, estimate

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

# The real mkdocs.yml and hooks, building only the pages this test opens.
ONLY_ESTIMATOR = """
/*
!/index.md
!/estimator/
!/assets/
"""
BUILD = (
    "import sys; from mkdocs.config import load_config; from mkdocs.commands.build import build; "
    "build(load_config('mkdocs.yml', site_dir=sys.argv[1], strict=False, "
    "exclude_docs=sys.argv[2]))"
)
FIELDS = (
    "daily_active_users",
    "tweets_per_user_per_day",
    "tweets_viewed_per_user_per_day",
    "requests_per_user_per_day",
    "text_bytes_per_tweet",
    "image_fraction",
    "image_bytes",
    "video_fraction",
    "video_bytes",
    "requests_per_server_per_second",
    "peak_to_average",
    "replication_factor",
    "retention_years",
)
FLOAT_RESULTS = (
    "tweets_per_day",
    "requests_per_second",
    "peak_requests_per_second",
    "storage_bytes_per_day",
    "storage_bytes_per_year",
    "storage_bytes_total",
    "incoming_bits_per_second",
    "outgoing_bits_per_second",
)
SERVER_RESULTS = (
    "servers_at_average_load",
    "servers_at_peak",
    "servers_if_all_requests_in_one_second",
    "servers_by_daily_users",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("estimator-site")
    subprocess.run(
        [sys.executable, "-c", BUILD, str(site), ONLY_ESTIMATOR],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page(viewport={"width": 390, "height": 900})
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.goto(f"{server}/estimator/")
            tab.wait_for_selector("#tde-out-servers_at_peak[data-value]")
            yield tab
            assert errors == []
        finally:
            browser.close()


def _results(page: Any) -> dict[str, float]:
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('td[data-name]'))
             .filter((c) => c.hasAttribute('data-value'))
             .map((c) => [c.dataset.name, Number(c.dataset.value)]))"""
    )


def _assert_same_as_library(page: Any, workload: Workload) -> None:
    report = estimate(workload)
    got = _results(page)
    for name in FLOAT_RESULTS:
        assert got[name] == pytest.approx(getattr(report, name), rel=1e-12, abs=1e-300), name
    for name in SERVER_RESULTS:
        assert got[name] == getattr(report, name), name


def _type(page: Any, workload: Workload) -> None:
    """Type every field through its labelled input, as a person would."""
    for name in FIELDS:
        page.fill(f"#tde-{name}", repr(float(getattr(workload, name))))


def test_opens_on_the_lessons_estimate(page: Any) -> None:
    page.get_by_role("button", name="lesson", exact=True).click()
    _assert_same_as_library(page, PRESETS["lesson"].workload)
    text = page.locator("#tde-out-servers_at_peak").inner_text()
    assert text == "8"  # the lesson's 80/20 answer


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_is_one_click_away(page: Any, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    for field in FIELDS:
        assert float(page.input_value(f"#tde-{field}")) == getattr(PRESETS[name].workload, field)
    _assert_same_as_library(page, PRESETS[name].workload)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workload=workloads())
def test_page_matches_the_library_on_random_inputs(page: Any, workload: Workload) -> None:
    _type(page, workload)
    _assert_same_as_library(page, workload)


def test_impossible_media_mix_is_explained_not_computed(page: Any) -> None:
    page.get_by_role("button", name="lesson", exact=True).click()
    page.fill("#tde-image_fraction", "0.7")
    page.fill("#tde-video_fraction", "0.5")
    assert "at most one kind of media" in page.locator("#tde-problem").inner_text()
    assert page.locator("#tde-out-servers_at_peak").inner_text() == "—"
    page.fill("#tde-video_fraction", "0.05")
    assert page.locator("#tde-problem").inner_text() == ""
