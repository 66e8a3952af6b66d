"""A complete Twitter backend wiring the library, speaking Mastodon's client API.

Layers, as in DESIGN.md: ``api`` (FastAPI routers) → ``services`` (business logic,
fan-out worker, trends, rate limits) → ``storage`` (the `Store` protocol, SQLite
by default). Start it with ``twitterdesign serve`` or build it in-process:

Examples:
    >>> import tempfile
    >>> from fastapi.testclient import TestClient
    >>> from twitterdesign.reference_app import Settings, create_app
    >>> app = create_app(Settings(data_dir=tempfile.mkdtemp()))
    >>> with TestClient(app) as client:
    ...     client.get("/api/v1/instance").json()["configuration"]["statuses"]["max_characters"]
    280
"""

from __future__ import annotations

from twitterdesign.reference_app.api.app import create_app
from twitterdesign.reference_app.server import run_server
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.settings import Settings
from twitterdesign.reference_app.storage import SQLiteStore, Store

__all__ = ["SQLiteStore", "Services", "Settings", "Store", "create_app", "run_server"]
