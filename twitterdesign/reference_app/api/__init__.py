"""The HTTP layer: routers for the Mastodon client API and the lesson's API."""

from __future__ import annotations

__all__: list[str] = []
