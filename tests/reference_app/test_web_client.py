"""The web client served at ``/``, driven in Debian's Chromium with Playwright.

Two (and for the privacy check three) browser contexts use the real ``twitterdesign
serve`` process, in each storage mode, the way people do: sign up, sign in through the
OAuth page with PKCE, follow, post, watch the post arrive live, like it, reply, search
for it, open a post's "How it works" panel, switch the home timeline between Latest and
Top. Screenshots go to ``test-artifacts/web-client/`` (the docs' tutorial uses copies
of them); an axe-core scan checks the screens, light and dark, for serious accessibility
problems.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reference_app._images import encode
from tests.reference_app._live import register_user
from twitterdesign.ids import DEFAULT_EPOCH_MS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "web-client"
PASSWORD = "web client password"
# Generous waits, not timing claims: a live post normally shows within a fraction of a second.
LIVE_MS = 5_000

# The shared ``server`` fixture adds these: the "How it works" panel needs the debug API.
SERVER_ENV = {"TWITTERDESIGN_DEBUG_API_ENABLED": "true"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Person:
    """One browser context with one page, recording every console error and page error."""

    def __init__(self, browser: Any, server: str, *, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.server = server
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console: {msg.text} at {msg.location.get('url')}")
                if msg.type == "error"
                else None
            ),
        )

    def go(self, route: str) -> None:
        """Open ``route`` afresh (a reload when already there: a new hash alone is none)."""
        url = f"{self.server}/#{route}"
        if self.page.url == url:
            self.page.reload()
        else:
            self.page.goto(url)

    def sign_up(self, username: str) -> None:
        self.go("/signup")
        page = self.page
        page.get_by_label("Username").fill(username)
        page.get_by_label("Email").fill(f"{username}@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        page.get_by_role("link", name="Notifications").wait_for()

    def post(self, text: str, *, visibility: str = "Public") -> None:
        page = self.page
        page.get_by_label("What's happening?").fill(text)
        page.get_by_label("Visibility").select_option(label=visibility)
        page.get_by_role("button", name="Post", exact=True).click()
        page.locator("#notice", has_text="Posted.").wait_for()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def people(browser: Any, server: str) -> Iterator[dict[str, Person]]:
    made = {name: Person(browser, server) for name in ("alice", "bob", "carol")}
    try:
        yield made
    finally:
        for person in made.values():
            person.close()


def _status(page: Any, text: str) -> Any:
    """The status with ``text`` (its original: reblogs of it are left out)."""
    return page.locator("article.status:not(.reblog)", has_text=text)


def test_sign_up_then_sign_in_with_oauth_and_pkce(people: dict[str, Person]) -> None:
    alice = people["alice"]
    alice.sign_up("alice")
    alice.page.get_by_role("link", name="Sign out").click()
    alice.page.get_by_role("link", name="Sign in").first.wait_for()
    alice.go("/login")
    alice.page.get_by_role("button", name="Sign in with OAuth").click()
    # The server's own authorization page, which carries the PKCE challenge.
    alice.page.wait_for_url("**/oauth/authorize?**")
    assert "code_challenge_method=S256" in alice.page.url
    alice.page.get_by_label("Username or email").fill("alice")
    alice.page.get_by_label("Password").fill(PASSWORD)
    alice.page.get_by_role("button", name="Authorize").click()
    alice.page.get_by_role("link", name="Notifications").wait_for()
    assert "code=" not in alice.page.url  # the code is consumed and removed from the address
    assert alice.page.get_by_role("heading", name="Home").is_visible()
    assert alice.errors == []


def test_follow_then_a_post_arrives_live_and_likes_count_in_both(
    people: dict[str, Person],
) -> None:
    alice, bob = people["alice"], people["bob"]
    bob.sign_up("bob")
    bob.go("/search?q=alice")
    bob.page.get_by_role("link", name="alice @alice").click()
    profile = bob.page.locator(".profile")
    profile.get_by_role("button", name="Follow").click()
    profile.get_by_role("button", name="Unfollow").wait_for()
    assert profile.locator("dd.followers").inner_text() == "1"

    bob.go("/home")
    bob.page.get_by_role("heading", name="Home").wait_for()
    alice.go("/home")
    alice.post("Hello from alice about #zebracorns")
    banner = bob.page.get_by_role("button", name="Show 1 new post")
    banner.wait_for(timeout=LIVE_MS)
    assert _status(bob.page, "Hello from alice").count() == 0  # held: nothing moves
    banner.click()
    post = _status(bob.page, "Hello from alice")
    assert post.count() == 1

    like = post.get_by_role("button", name="Like 0", exact=True)
    like.click()
    liked = post.get_by_role("button", name="Like 1", exact=True)
    liked.wait_for()
    assert liked.get_attribute("aria-pressed") == "true"
    post.get_by_role("button", name="Reblog 0", exact=True).click()
    post.get_by_role("button", name="Reblog 1", exact=True).wait_for()
    # The author sees both counts too, on the post's own page, with its view count.
    alice.go("/home")
    _status(alice.page, "Hello from alice").get_by_role("link", name="open thread").click()
    alice.page.get_by_role("heading", name="Post").wait_for()
    focused = alice.page.locator("article.focused")
    focused.get_by_role("button", name="Like 1", exact=True).wait_for()
    focused.get_by_role("button", name="Reblog 1", exact=True).wait_for()
    assert re.fullmatch(r"[1-9]\d* views?", focused.locator(".views").inner_text())
    assert alice.errors == []
    assert bob.errors == []


def test_notifications_and_a_reply_in_the_thread(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    alice.go("/notifications")
    alice.page.get_by_role("heading", name="Notifications").wait_for()
    for line in ("bob followed you", "bob liked your post", "bob reblogged your post"):
        alice.page.locator(".notification", has_text=line).first.wait_for()
    # Reply from the thread page: the reply is listed under the post, and its author
    # is told of the mention.
    alice.go("/home")
    _status(alice.page, "Hello from alice").get_by_role("link", name="open thread").click()
    reply_box = alice.page.get_by_label("Reply to @alice")
    reply_box.fill("@bob thanks for the like")
    alice.page.get_by_role("button", name="Reply", exact=True).click()
    alice.page.locator("article.status", has_text="thanks for the like").wait_for()
    bob.go("/notifications")
    bob.page.get_by_role("heading", name="Notifications").wait_for()
    bob.page.locator(".notification", has_text="alice mentioned you").wait_for()
    assert alice.errors == []
    assert bob.errors == []


def test_search_finds_the_post_and_its_hashtag(people: dict[str, Person]) -> None:
    bob = people["bob"]
    bob.go("/search?q=zebracorns")
    bob.page.get_by_role("heading", name="Posts").wait_for()
    assert _status(bob.page, "Hello from alice").count() == 1
    bob.page.get_by_role("link", name="#zebracorns").first.click()
    bob.page.get_by_role("heading", name="#zebracorns").wait_for()
    _status(bob.page, "Hello from alice").wait_for()
    assert bob.errors == []


def test_how_it_works_shows_the_fan_out_counters_and_decoded_id(
    people: dict[str, Person],
) -> None:
    bob = people["bob"]
    page = bob.page
    bob.go("/home")
    post = _status(page, "Hello from alice").first
    post.wait_for()
    status_id = int(post.get_attribute("data-shown-id") or "0")
    likes = post.locator("button.fav .n").inner_text()
    reblogs = post.locator("button.boost .n").inner_text()
    views = int(post.locator(".views").inner_text().split()[0])
    toggle = post.get_by_role("button", name="How it works")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")  # keyboard-operable
    panel = post.get_by_role("region", name="How it works")
    panel.locator("table").wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert toggle.get_attribute("aria-controls") == panel.get_attribute("id")
    # The id, decoded by the lesson's layout: 41 bits of ms since the epoch, 10 of
    # worker, 12 of sequence.
    when = panel.locator(".snowflake time").get_attribute("datetime") or ""
    assert round(datetime.fromisoformat(when).timestamp() * 1000) == (
        (status_id >> 22) + DEFAULT_EPOCH_MS
    )
    assert panel.locator(".snowflake .worker").inner_text() == str((status_id >> 12) & 1023)
    assert panel.locator(".snowflake .sequence").inner_text() == str(status_id & 4095)
    # The counters add up to what the status shows (views only grow after the render).
    row = panel.locator("tr[data-counter='favourites'] .total")
    assert row.inner_text() == likes == "1"
    assert panel.locator("tr[data-counter='reblogs'] .total").inner_text() == reblogs == "1"
    assert int(panel.locator("tr[data-counter='views'] .total").inner_text()) >= views
    # bob follows alice and reads his home: the fan-out pushed it into his timeline.
    assert "@bob" in panel.locator(".fanout .pushed + .who").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1400})  # the post and panel in view,
    post.evaluate("el => el.scrollIntoView({block: 'center'})")  # clear of the sticky bar
    post.screenshot(path=str(ARTIFACTS / "how-it-works-desktop.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    # Escape from inside closes it and gives the keyboard back to its button.
    panel.get_by_role("region", name="Counters, part by part").focus()
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.textContent") == "How it works"
    assert bob.errors == []


def test_how_it_works_is_offered_only_when_the_server_says_so(
    people: dict[str, Person],
) -> None:
    bob = people["bob"]
    page = bob.page

    def without_debug(route: Any) -> None:
        reply = route.fetch()
        body = reply.json()
        body["twitterdesign"] = {"debug_api": False}
        route.fulfill(response=reply, json=body)

    page.route("**/api/v2/instance", without_debug)
    try:
        bob.go("/home")
        _status(page, "Hello from alice").first.wait_for()
        assert page.get_by_role("button", name="How it works").count() == 0
    finally:
        page.unroute_all()
    bob.go("/home")
    _status(page, "Hello from alice").first.get_by_role("button", name="How it works").wait_for()
    assert bob.errors == []


def _order(page: Any, *texts: str) -> list[str]:
    """Which of ``texts`` the home feed shows, top to bottom (waiting for them all)."""
    for text in texts:
        _status(page, text).first.wait_for()
    shown = page.locator("article.status:not(.reblog) .content").all_inner_texts()
    return [t for line in shown for t in texts if t in line]


def test_latest_or_top_orders_home_and_the_choice_is_kept(
    people: dict[str, Person], server: str
) -> None:
    bob = people["bob"]
    page = bob.page
    bob.go("/home")
    page.get_by_role("heading", name="Home").wait_for()
    token = page.evaluate("localStorage.getItem('td.token')")
    bob_auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server, timeout=30) as client:
        erin = register_user(client, "erin")
        frank = register_user(client, "frank")
        erin_id = client.get("/api/v1/accounts/verify_credentials", headers=erin).json()["id"]
        assert client.post(f"/api/v1/accounts/{erin_id}/follow", headers=bob_auth).is_success
        liked = client.post("/api/v1/statuses", headers=erin, data={"status": "ranked older"})
        quiet = client.post("/api/v1/statuses", headers=erin, data={"status": "ranked newer"})
        assert int(liked.json()["id"]) < int(quiet.json()["id"])
        for who in (bob_auth, frank):
            favourited = client.post(
                f"/api/v1/statuses/{liked.json()['id']}/favourite", headers=who
            )
            assert favourited.is_success, favourited.text
    try:
        bob.go("/home")
        latest = page.get_by_role("radio", name="Latest")
        assert latest.is_checked()
        assert _order(page, "ranked older", "ranked newer") == ["ranked newer", "ranked older"]
        page.get_by_role("radio", name="Top").check()
        page.get_by_role("feed", name="Home, top posts").wait_for()
        assert _order(page, "ranked older", "ranked newer") == ["ranked older", "ranked newer"]
        # The choice stays while navigating.
        page.get_by_role("link", name="Public").click()
        page.get_by_role("heading", name="Public").wait_for()
        page.get_by_role("link", name="Home").click()
        page.get_by_role("feed", name="Home, top posts").wait_for()
        assert page.get_by_role("radio", name="Top").is_checked()
        assert _order(page, "ranked older", "ranked newer") == ["ranked older", "ranked newer"]
        # With the keyboard: arrows move between the two choices.
        page.get_by_role("radio", name="Top").focus()
        page.keyboard.press("ArrowLeft")
        page.get_by_role("feed", name="Home", exact=True).wait_for()
        assert latest.is_checked()
        assert _order(page, "ranked older", "ranked newer") == ["ranked newer", "ranked older"]
    finally:
        page.evaluate("localStorage.setItem('td.homeOrder', 'latest')")
    assert bob.errors == []


def test_a_private_post_never_shows_to_a_non_follower(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    carol.sign_up("carol")
    carol.go("/public")
    carol.page.get_by_role("heading", name="Public").wait_for()
    bob.go("/home")
    bob.page.get_by_role("heading", name="Home").wait_for()
    alice.go("/home")
    alice.post("Only for my followers, secret walrus", visibility="Followers only")
    bob.page.get_by_role("button", name="Show 1 new post").click(timeout=LIVE_MS)
    _status(bob.page, "secret walrus").wait_for()
    # After the follower has it, the non-follower still sees nothing: live, reloaded,
    # on the author's profile or by search.
    assert carol.page.get_by_role("button", name="Show 1 new post").is_hidden()
    # Each check waits for something the same answer carries, then looks for the walrus.
    carol.go("/public")
    _status(carol.page, "Hello from alice").wait_for()
    assert _status(carol.page, "secret walrus").count() == 0
    carol.go("/search?q=walrus")
    carol.page.get_by_text("No posts found.").wait_for()
    carol.go("/search?q=alice")
    carol.page.get_by_role("link", name="alice @alice").click()
    _status(carol.page, "Hello from alice").wait_for()
    assert _status(carol.page, "secret walrus").count() == 0
    assert carol.errors == []


def test_keyboard_only_posting(people: dict[str, Person]) -> None:
    bob = people["bob"]
    page = bob.page
    bob.go("/home")
    page.get_by_role("heading", name="Home").wait_for()
    visited = []
    for _ in range(40):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement.outerHTML.slice(0, 60)"))
        if page.evaluate("document.activeElement.tagName") == "TEXTAREA":
            break
    else:
        pytest.fail(f"Tab never reached the compose box: {visited}")
    page.keyboard.type("Typed without a mouse")
    counter = page.locator(".compose .counter")
    assert counter.inner_text() == f"{280 - len('Typed without a mouse')} characters left"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Post":
            break
    page.keyboard.press("Enter")
    _status(page, "Typed without a mouse").wait_for()
    # Ctrl+Enter in the text box posts too.
    page.get_by_label("What's happening?").focus()
    page.keyboard.type("And with Ctrl+Enter")
    page.keyboard.press("Control+Enter")
    _status(page, "And with Ctrl+Enter").wait_for()
    assert bob.errors == []


def test_a_refused_like_is_rolled_back_and_said(people: dict[str, Person]) -> None:
    bob = people["bob"]
    page = bob.page
    bob.go("/public")
    post = _status(page, "Hello from alice").first
    post.wait_for()
    page.route(
        "**/unfavourite",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"error": "try later"}'
        ),
    )
    try:
        button = post.get_by_role("button", name="Like 1", exact=True)
        button.click()  # an unlike the server refuses: shown at once, then put back
        page.locator("#alert", has_text="Could not unfavourite: try later").wait_for()
        liked = post.get_by_role("button", name="Like 1", exact=True)
        assert liked.get_attribute("aria-pressed") == "true"
    finally:
        page.unroute_all()
    # The browser logs the refused call itself; anything else is a real error.
    assert [e for e in bob.errors if "status of 503" not in e] == []
    bob.errors.clear()


def test_bookmarks_hide_when_the_server_has_none(people: dict[str, Person]) -> None:
    bob = people["bob"]
    page = bob.page
    bob.go("/public")
    _status(page, "Hello from alice").first.wait_for()
    page.route(
        "**/bookmark",
        lambda route: route.fulfill(
            status=404, content_type="application/json", body='{"error": "Record not found"}'
        ),
    )
    try:
        _status(page, "Hello from alice").first.get_by_role("button", name="Bookmark").click()
        page.locator("#alert", has_text="Bookmarks are not available").wait_for()
        assert page.get_by_role("button", name="Bookmark").count() == 0
    finally:
        page.unroute_all()
        page.reload()  # the client forgets, for the tests after this one
    assert [e for e in bob.errors if "status of 404" not in e] == []
    bob.errors.clear()


def _sunset(width: int, height: int) -> bytes:
    """A small PNG: an orange sky fading into a blue sea."""
    from PIL import Image

    image = Image.new("RGB", (width, height))
    for y in range(height):
        color = (240, 120 + y, 40) if y < height // 2 else (20, 60, 120 + y)
        for x in range(width):
            image.putpixel((x, y), color)
    return encode(image, "PNG")


def test_an_image_is_previewed_and_posted_with_its_alt_text(
    people: dict[str, Person], tmp_path: Path
) -> None:
    bob = people["bob"]
    page = bob.page
    bob.go("/home")
    image = tmp_path / "sunset.png"
    image.write_bytes(_sunset(64, 48))
    page.get_by_label("Attach images").set_input_files(str(image))
    preview = page.locator(".compose .previews img")
    preview.wait_for()
    assert (preview.get_attribute("src") or "").startswith("blob:")  # local, before upload
    page.get_by_label("Alt text for sunset.png").fill("A red sunset over the sea")
    page.get_by_label("What's happening?").fill("Look at this")
    page.get_by_role("button", name="Post", exact=True).click()
    posted = _status(page, "Look at this").get_by_role("img", name="A red sunset over the sea")
    posted.wait_for()
    # The server's copy of the image, loaded (the preview is 64 px wide like the original).
    assert not (posted.get_attribute("src") or "").startswith("blob:")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=posted.element_handle()
    )
    assert page.locator(".compose .previews img").count() == 0  # the form is cleared
    assert bob.errors == []


def test_times_are_relative_with_the_full_date_on_hover(people: dict[str, Person]) -> None:
    page = people["bob"].page
    people["bob"].go("/home")
    shown = page.evaluate(
        """async () => {
          const { relativeTime } = await import("./web/dom.js");
          const now = Date.parse("2026-06-15T12:00:00Z");
          const ago = (s) => relativeTime(new Date(now - s * 1000), now);
          return [ago(2), ago(45), ago(120), ago(3 * 3600 + 59), ago(2 * 86400)];
        }"""
    )
    assert shown == ["now", "45s", "2m", "3h", "2d"]
    when = page.locator("article.status time").first
    title = when.get_attribute("title") or ""
    assert len(title) > len(when.inner_text())
    year = (when.get_attribute("datetime") or "")[:4]
    assert year in title


def test_offline_and_unreachable_are_said_plainly(people: dict[str, Person]) -> None:
    bob = people["bob"]
    bob.go("/home")
    _status(bob.page, "Hello from alice").wait_for()
    bob.context.set_offline(True)
    try:
        bob.page.locator("#alert", has_text="You are offline").wait_for()
        bob.page.get_by_role("link", name="Public").click()
        bob.page.locator("#alert", has_text="Reconnect, then try again").wait_for()
    finally:
        bob.context.set_offline(False)
    bob.page.locator("#notice", has_text="Back online").wait_for()
    assert [e for e in bob.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    bob.errors.clear()


def test_scrolling_down_loads_older_posts_by_the_link_header(
    people: dict[str, Person], server: str
) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        auth = register_user(client, "dave")
        for i in range(30):
            posted = client.post("/api/v1/statuses", headers=auth, data={"status": f"scroll {i}"})
            assert posted.status_code == 200, posted.text
    carol = people["carol"]
    carol.go("/public")
    _status(carol.page, "scroll 29").wait_for()
    first_page = carol.page.locator("article.status").count()
    assert first_page == 20  # the client asks for 20 a page
    assert _status(carol.page, "scroll 0").count() == 0
    carol.page.mouse.wheel(0, 20_000)
    _status(carol.page, "scroll 0").wait_for()  # the next page, from Link: rel="next"
    assert carol.page.locator("article.status").count() > first_page
    assert carol.errors == []


def test_counter_counts_code_points_like_the_server(people: dict[str, Person]) -> None:
    bob = people["bob"]
    bob.go("/home")
    box = bob.page.get_by_label("What's happening?")
    box.fill("🦓" * 279 + "é")
    assert bob.page.locator(".compose .counter").inner_text() == "0 characters left"
    box.fill("🦓" * 281)
    assert bob.page.locator(".compose .counter").inner_text() == "-1 characters left"
    assert bob.page.get_by_role("button", name="Post", exact=True).is_disabled()
    box.fill("")


def test_screenshots_at_desktop_and_phone_width(
    browser: Any, server: str, people: dict[str, Person]
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bob = people["bob"]
    for width, name in ((1280, "desktop"), (360, "phone")):
        bob.page.set_viewport_size({"width": width, "height": 900})
        bob.go("/home")
        _status(bob.page, "Hello from alice").wait_for()
        bob.page.screenshot(path=str(ARTIFACTS / f"home-{name}.png"))
        scroll_width = bob.page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"horizontal scrolling at {width} px"
    bob.page.set_viewport_size({"width": 1280, "height": 900})
    visitor = Person(browser, server)
    try:
        visitor.go("/signup")
        visitor.page.get_by_label("Username").wait_for()
        visitor.page.screenshot(path=str(ARTIFACTS / "signup-desktop.png"))
        assert visitor.errors == []
    finally:
        visitor.close()


def _axe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot fetch axe-core for the accessibility scan")
    where = tmp_path_factory.getbasetemp() / "axe"
    script = where / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        command = [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(where)]
        done = subprocess.run(
            [*command, "axe-core"],
            capture_output=True,
            text=True,
            timeout=240,
        )
        if done.returncode != 0 or not script.exists():
            pytest.skip(f"npm install axe-core failed (offline?): {done.stderr.strip()[-300:]}")
    return script


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(
    tmp_path_factory: pytest.TempPathFactory,
    people: dict[str, Person],
    browser: Any,
    server: str,
    scheme: str,
) -> None:
    script = _axe(tmp_path_factory)
    bob = people["bob"]
    bob.page.emulate_media(color_scheme=scheme)
    visitor = Person(browser, server)
    try:
        screens = [
            (bob, "/home", "Hello from alice"),
            (bob, "/notifications", None),
            (bob, "/search?q=zebracorns", "Hello from alice"),
            (visitor, "/signup", None),
            (visitor, "/login", None),
        ]
        visitor.page.emulate_media(color_scheme=scheme)
        for person, route, wait_text in screens:
            person.go(route)
            person.page.locator("main h1").wait_for()
            if wait_text:
                _status(person.page, wait_text).first.wait_for()
            if route == "/home":  # with a "How it works" panel open
                _status(person.page, wait_text).first.get_by_role(
                    "button", name="How it works"
                ).click()
                person.page.locator(".internals table").first.wait_for()
            person.page.add_script_tag(path=str(script))
            result = person.page.evaluate(
                "axe.run(document, {resultTypes: ['violations']})"
                ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
                "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})))"
            )
            serious = [v for v in result if v["impact"] in ("serious", "critical")]
            assert serious == [], f"{route} ({scheme}): {json.dumps(serious)}"
    finally:
        bob.page.emulate_media(color_scheme="light")
        visitor.close()
