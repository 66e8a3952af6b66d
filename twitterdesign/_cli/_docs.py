"""The command tree as a Click object, for the documentation's CLI reference page.

mkdocs-click renders ``command`` into docs/reference/cli.md, so the page always shows the
options the code really has.
"""

from __future__ import annotations

import typer

from twitterdesign.cli import app

command = typer.main.get_command(app)
