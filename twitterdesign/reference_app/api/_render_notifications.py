"""Render Mastodon Notification entities (the `Renderer` draws the accounts and statuses)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twitterdesign.reference_app.api._render import Renderer, iso_ms
from twitterdesign.reference_app.services import Notification

__all__ = ["notifications_json"]


def notifications_json(r: Renderer, items: Sequence[Notification]) -> list[dict[str, Any]]:
    """Render notifications the service found visible, newest first.

    Each status is rendered once (and counted as one view) however many notifications
    point at it; a notification whose status the renderer drops (its author is gone) is
    dropped too.
    """
    statuses = {n.status.id: n.status for n in items if n.status is not None}
    rendered = {s["id"]: s for s in r.statuses(list(statuses.values()))}
    out: list[dict[str, Any]] = []
    for n in items:
        note = n.record
        status = rendered.get(str(note.status_id)) if note.status_id is not None else None
        if note.status_id is not None and status is None:
            continue
        out.append(
            {
                "id": str(note.id),
                "type": note.type,
                "created_at": iso_ms(note.created_at_ms),
                "group_key": f"ungrouped-{note.id}",
                "account": r.account(n.account),
                "status": status,
            }
        )
    return out
