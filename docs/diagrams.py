"""The lesson's design as SVG diagrams, drawn by this script when the docs are built.

``docs/hooks.py`` calls `render_all` on every ``mkdocs build`` and adds the files to the
site under ``figures/diagrams/``, so there is nothing to fetch and nothing to keep in
sync by hand. The diagrams are tall and narrow on purpose: 400 units wide with text of at
least 16 units, so on a 360-pixel phone (a 328-pixel column) text is still 13 px or more.

Each diagram is a list of rows drawn top to bottom (one to three boxes per row, an arrow
with an optional label between rows); the load-balancing one draws clients, servers and
their connections. Run ``python docs/diagrams.py OUT_DIR`` to write the files yourself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

WIDTH = 400
MARGIN = 14
GAP = 10
FONT = 16
SMALL = 16
LINE = 20
ARROW = 34
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

#: Fill colours by role: client side, entry, service, messaging, storage, other.
COLOURS = {
    "client": "#e3f2fd",
    "entry": "#ede7f6",
    "service": "#e8f5e9",
    "stream": "#fff3e0",
    "store": "#fce4ec",
    "note": "#f5f5f5",
}
STROKE = "#37474f"
TEXT = "#1a1a1a"


@dataclass(frozen=True)
class Box:
    """One box: its text (lines split on ``\\n``) and its role's colour."""

    text: str
    role: str = "service"


@dataclass(frozen=True)
class Row:
    """Boxes side by side, and the label of the arrow that leads to the next row."""

    boxes: tuple[Box, ...]
    arrow: str | None = ""


def _text(
    x: float,
    y: float,
    line: str,
    *,
    size: int = FONT,
    weight: str = "normal",
    anchor: str = "middle",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
        f'text-anchor="{anchor}" fill="{TEXT}">{escape(line)}</text>'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{STROKE}" '
        'stroke-width="2" marker-end="url(#head)"/>'
    )


def _svg(height: float, title: str, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'width="{WIDTH}" height="{height:.0f}" role="img" '
            f'font-family="{escape(FONT_FAMILY)}">',
            f"<title>{escape(title)}</title>",
            '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{STROKE}"/></marker></defs>',
            f'<rect width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>',
            _text(WIDTH / 2, MARGIN + FONT, title, size=FONT + 2, weight="bold"),
            *body,
            "</svg>",
            "",
        ]
    )


def flow(title: str, rows: Sequence[Row]) -> str:
    """Draw ``rows`` top to bottom, with an arrow (and its label) between rows.

    A row whose ``arrow`` is None ends a part: the next row follows after a gap.
    """
    body: list[str] = []
    y = MARGIN + FONT + 16.0
    for index, row in enumerate(rows):
        n = len(row.boxes)
        width = (WIDTH - 2 * MARGIN - (n - 1) * GAP) / n
        height = max(len(b.text.split("\n")) for b in row.boxes) * LINE + 16
        for i, box in enumerate(row.boxes):
            x = MARGIN + i * (width + GAP)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'rx="8" fill="{COLOURS[box.role]}" stroke="{STROKE}" stroke-width="1.5"/>'
            )
            lines = box.text.split("\n")
            top = y + (height - len(lines) * LINE) / 2 + LINE - 5
            for k, line in enumerate(lines):
                body.append(_text(x + width / 2, top + k * LINE, line))
        y += height
        if index < len(rows) - 1:
            label = row.arrow
            if label is None:  # the next row starts a new part: a gap, no arrow
                y += 2 * GAP + 6
                continue
            span = ARROW + (LINE if label else 0)
            body.append(_arrow(WIDTH / 2, y + 2, WIDTH / 2, y + span - 2))
            if label:
                body.append(_text(WIDTH / 2 + 10, y + span / 2 + 5, label, anchor="start"))
            y += span
    return _svg(y + MARGIN, title, body)


def high_level_design() -> str:
    """The lesson's high-level design, from the client to storage."""
    return flow(
        "Twitter's high-level design",
        [
            Row((Box("Clients\n(web, mobile apps)", "client"),), "resolve; fetch media"),
            Row((Box("DNS", "entry"), Box("CDN\nimages, videos", "entry")), "API calls"),
            Row((Box("Load balancers", "entry"),), "one instance"),
            Row(
                (
                    Box("Tweet service\n+ sequencer (ids)"),
                    Box("Timeline, search,\nuser services"),
                ),
                "events",
            ),
            Row((Box("Pub-sub (Kafka)\nreal-time events", "stream"),), "consumed by"),
            Row(
                (
                    Box("Fan-out →\ntimeline caches", "stream"),
                    Box("Sharded counters,\ntop-k, trends", "stream"),
                ),
                "persisted in",
            ),
            Row(
                (
                    Box("Databases,\nkey-value stores", "store"),
                    Box("Blob store\n(media → CDN)", "store"),
                ),
                "watched by",
            ),
            Row((Box("Monitoring (metrics, tracing)", "note"),), None),
        ],
    )


def post_flow() -> str:
    """What happens when a user posts a tweet with a photo, in order."""
    return flow(
        "Posting a tweet with a photo",
        [
            Row((Box("1. Client uploads the photo\nto the blob store → media id", "client"),)),
            Row((Box("2. postTweet(text, media id)\nload balancer → tweet service", "entry"),)),
            Row((Box("3. Sequencer gives the id;\nthe tweet is stored (durable)"),)),
            Row((Box("4. 'tweet created' event\npublished to pub-sub", "stream"),)),
            Row(
                (
                    Box("5. Fan-out to\nfollowers' timelines", "stream"),
                    Box("Counters, search,\ntrends update", "stream"),
                ),
                None,
            ),
        ],
    )


def timeline_read_path() -> str:
    """Push, pull and hybrid: where the work goes when a tweet is read."""
    return flow(
        "Home timeline: push, pull, hybrid",
        [
            Row((Box("Push (fan-out on write)", "note"),), "on post"),
            Row((Box("Write the tweet id into\nevery follower's cache", "stream"),), "on read"),
            Row((Box("Read one cached list:\nfast reads, costly posts", "service"),), None),
            Row((Box("Pull (fan-out on read)", "note"),), "on post"),
            Row((Box("Store the tweet only", "store"),), "on read"),
            Row(
                (Box("Fetch every followee's recent\ntweets, merge: costly reads", "service"),),
                None,
            ),
            Row((Box("Hybrid (threshold T)", "note"),), "on post"),
            Row(
                (
                    Box("≤ T followers:\npush", "stream"),
                    Box("> T followers:\nstore only", "store"),
                ),
                "on read",
            ),
            Row((Box("Cached list + merge in\nthe few celebrities followed", "service"),), None),
        ],
    )


def topk_and_counters() -> str:
    """Counting likes and views at celebrity scale, and ranking them."""
    return flow(
        "Top-k and sharded counters",
        [
            Row((Box("Likes and views of a\ncelebrity's tweet (millions)", "client"),), "write"),
            Row(
                (
                    Box("Shard 1\nnear the\naudience", "store"),
                    Box("Shard 2", "store"),
                    Box("Shard n", "store"),
                ),
                "count = sum",
            ),
            Row((Box("Count shown on the tweet", "service"),), "events via pub-sub"),
            Row((Box("Stream processor:\ncounts per time window", "stream"),), "feeds"),
            Row((Box("Heavy-hitter sketch\n(bounded memory, error bound)", "stream"),), "ranks"),
            Row(
                (
                    Box("Top-k tweets for\nthe home timeline"),
                    Box("Trends (rising,\nper location)"),
                ),
                None,
            ),
        ],
    )


def _panel(y: float, title: str, links: Sequence[tuple[int, int]], caption: str) -> list[str]:
    """Four clients above six servers, joined by ``links`` (client, server)."""
    clients = [MARGIN + 40 + i * ((WIDTH - 2 * MARGIN - 80) / 3) for i in range(4)]
    servers = [MARGIN + 20 + i * ((WIDTH - 2 * MARGIN - 40) / 5) for i in range(6)]
    top, bottom = y + 40, y + 120
    body = [_text(WIDTH / 2, y + 18, title, weight="bold")]
    for c, s in links:
        body.append(
            f'<line x1="{clients[c]:.1f}" y1="{top + 12:.1f}" x2="{servers[s]:.1f}" '
            f'y2="{bottom - 12:.1f}" stroke="{STROKE}" stroke-width="1.5"/>'
        )
    load = [sum(1 for _, s in links if s == i) for i in range(6)]
    for i, x in enumerate(clients):
        body.append(
            f'<rect x="{x - 16:.1f}" y="{top - 12:.1f}" width="32" height="24" rx="4" '
            f'fill="{COLOURS["client"]}" stroke="{STROKE}"/>'
        )
        body.append(_text(x, top + 5, f"C{i + 1}", size=SMALL))
    for i, x in enumerate(servers):
        body.append(
            f'<circle cx="{x:.1f}" cy="{bottom:.1f}" r="14" fill="{COLOURS["service"]}" '
            f'stroke="{STROKE}"/>'
        )
        body.append(_text(x, bottom + 5, f"S{i + 1}", size=SMALL))
        body.append(_text(x, bottom + 34, f"{load[i]}", size=SMALL, weight="bold"))
    for k, line in enumerate(caption.split("\n")):
        body.append(_text(WIDTH / 2, bottom + 60 + k * LINE, line))
    return body


def client_side_lb() -> str:
    """The lesson's path for sessions: mesh, random aperture, deterministic aperture."""
    mesh = [(c, s) for c in range(4) for s in range(6)]
    random_aperture = [(0, 0), (0, 1), (1, 1), (1, 3), (2, 1), (2, 4), (3, 0), (3, 3)]
    # Each client takes the next three servers of a shared ring: every server gets 2.
    deterministic = [(c, (3 * c // 2 + k) % 6) for c in range(4) for k in range(3)]
    deterministic = sorted(set(deterministic))
    panel = 250.0
    body: list[str] = []
    y = MARGIN + FONT + 16.0
    captions = [
        ("Full mesh", mesh, "4 × 6 = 24 connections;\nload even, connections costly"),
        (
            "Random aperture (2 each)",
            random_aperture,
            "8 connections, but uneven:\nS2 has 3 clients, S3 and S6 none",
        ),
        (
            "Deterministic aperture (ring)",
            deterministic,
            "12 connections, slices of a\nshared ring: every server 2",
        ),
    ]
    for index, (title, links, caption) in enumerate(captions):
        body += _panel(y, title, links, caption)
        y += panel
        if index < len(captions) - 1:
            body.append(_arrow(WIDTH / 2, y - 14, WIDTH / 2, y + 4))
            y += 14
    body.append(_text(WIDTH / 2, y, "bold numbers: clients per server", size=SMALL))
    return _svg(y + MARGIN + 6, "Client-side load balancing", body)


#: File name → drawing function, in the lesson's order.
DIAGRAMS: dict[str, Callable[[], str]] = {
    "high-level-design.svg": high_level_design,
    "post-flow.svg": post_flow,
    "timeline-read-path.svg": timeline_read_path,
    "topk-counters.svg": topk_and_counters,
    "client-side-lb.svg": client_side_lb,
}


def render_all() -> dict[str, str]:
    """Return every diagram's SVG text by file name."""
    return {name: draw() for name, draw in DIAGRAMS.items()}


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "diagrams")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
