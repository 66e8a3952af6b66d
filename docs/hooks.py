"""MkDocs hooks for the twitterdesign site.

``on_files`` exports the quiz bank (`twitterdesign.quiz.export_data`) into the
site as ``assets/quiz-bank.json`` and ``assets/quiz-bank.js`` on every build, so the
browser quiz (docs/quiz/index.md) always asks the package's current questions with
numbers the library computed, and works offline from the built site. The bank is loaded
with ``docs_dir`` set, so a question linking to a missing page fails the build.

It also draws the lesson's design diagrams (``docs/diagrams.py``) into
``figures/diagrams/`` as SVG files, so they are rendered at build time without network.

The browser estimator (docs/estimator/index.md) gets the lesson's presets, the
workload fields it asks for and the constants of the formulas from
``assets/estimator-data.js``, exported here from `twitterdesign.estimation`, so the
page starts from the library's own numbers (tests/test_estimator_page.py checks its
results against `estimate` on random inputs).

``on_page_markdown`` puts the command line's reference (every command, option, type,
default and example, from `twitterdesign._cli._docs.reference_markdown`) into
docs/reference/cli.md where the page says ``<!-- cli-reference -->``.
"""

from __future__ import annotations

import json
from typing import Any

from mkdocs.structure.files import File, Files

BANK_JSON = "assets/quiz-bank.json"
BANK_SCRIPT = "assets/quiz-bank.js"
CLI_MARKER = "<!-- cli-reference -->"
DIAGRAMS_DIR = "figures/diagrams"
ESTIMATOR_SCRIPT = "assets/estimator-data.js"

#: The workload fields the estimator page asks for: field, label, unit shown.
ESTIMATOR_FIELDS = (
    ("daily_active_users", "Daily active users", "users"),
    ("tweets_per_user_per_day", "Tweets per user per day", "tweets"),
    ("tweets_viewed_per_user_per_day", "Tweets viewed per user per day", "views"),
    ("requests_per_user_per_day", "Requests per user per day", "requests"),
    ("text_bytes_per_tweet", "Text and metadata per tweet", "bytes"),
    ("image_fraction", "Share of tweets with an image", "0 to 1"),
    ("image_bytes", "Image size", "bytes"),
    ("video_fraction", "Share of tweets with a video", "0 to 1"),
    ("video_bytes", "Video size", "bytes"),
    ("requests_per_server_per_second", "Requests one server handles", "per second"),
    ("peak_to_average", "Peak factor (peak ÷ average)", "×"),
    ("replication_factor", "Copies kept", "copies"),
    ("retention_years", "Years kept", "years"),
)


def estimator_data() -> dict[str, Any]:
    """The presets, fields and constants the estimator page computes with."""
    from twitterdesign.estimation import PRESETS
    from twitterdesign.estimation._report import DAYS_PER_YEAR
    from twitterdesign.units import BITS_PER_BYTE, SECONDS_PER_DAY

    names = [name for name, _, _ in ESTIMATOR_FIELDS]
    return {
        "constants": {
            "seconds_per_day": SECONDS_PER_DAY,
            "days_per_year": DAYS_PER_YEAR,
            "bits_per_byte": BITS_PER_BYTE,
        },
        "fields": [{"name": n, "label": label, "unit": u} for n, label, u in ESTIMATOR_FIELDS],
        "presets": [
            {
                "name": preset.name,
                "title": preset.title,
                "workload": {n: getattr(preset.workload, n) for n in names},
            }
            for preset in PRESETS.values()
        ],
    }


def _diagrams(docs_dir: str) -> Any:
    """Load docs/diagrams.py (a script beside this hook, not part of the package)."""
    import importlib.util
    import sys
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("td_diagrams", Path(docs_dir) / "diagrams.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def on_files(files: Files, *, config: Any) -> Files:
    """Add the exported quiz bank to the site and keep this file out of it."""
    from twitterdesign.quiz import export_data, load_bank

    for source in ("hooks.py", "diagrams.py"):
        found = files.get_file_from_path(source)
        if found is not None:
            files.remove(found)
    estimator = json.dumps(estimator_data(), ensure_ascii=False, separators=(",", ":"))
    files.append(
        File.generated(
            config, ESTIMATOR_SCRIPT, content=f"window.TWITTERDESIGN_ESTIMATOR = {estimator};\n"
        )
    )
    for name, svg in _diagrams(config["docs_dir"]).render_all().items():
        files.append(File.generated(config, f"{DIAGRAMS_DIR}/{name}", content=svg))
    data = export_data(load_bank(docs_dir=config["docs_dir"]))
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    files.append(File.generated(config, BANK_JSON, content=text + "\n"))
    # A script tag also works from file:// URLs, where browsers refuse fetch().
    script = f"window.TWITTERDESIGN_QUIZ_BANK = {text};\n"
    files.append(File.generated(config, BANK_SCRIPT, content=script))
    return files


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Files) -> str:
    """Generate the CLI reference into the page that asks for it."""
    if CLI_MARKER not in markdown:
        return markdown
    from twitterdesign._cli._docs import reference_markdown

    return markdown.replace(CLI_MARKER, reference_markdown())
