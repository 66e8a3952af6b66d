"""Render Mastodon's GroupedNotificationsResults (``/api/v2/notifications``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twitterdesign.reference_app.api._render import Renderer, iso_ms
from twitterdesign.reference_app.services import NotificationGroup
from twitterdesign.reference_app.storage import AccountRecord

__all__ = ["EXPAND_ACCOUNTS", "grouped_json"]

EXPAND_ACCOUNTS = ("full", "partial_avatars")
"""The values ``expand_accounts`` takes."""

_PARTIAL_FIELDS = ("id", "acct", "locked", "bot", "url", "avatar", "avatar_static")


def grouped_json(
    r: Renderer, groups: Sequence[NotificationGroup], *, expand_accounts: str = "full"
) -> dict[str, Any]:
    """Render groups as Mastodon's GroupedNotificationsResults.

    Each status and each account is rendered once however many groups refer to it. With
    ``expand_accounts="partial_avatars"`` only the newest sample account of each group and
    the statuses' authors come in full (``accounts``); the other sample accounts come in
    ``partial_accounts`` with just what an avatar row needs. A group whose status the
    renderer drops (its author is gone) is dropped.
    """
    wanted = {
        g.notification.status.id: g.notification.status
        for g in groups
        if g.notification.status is not None
    }
    statuses = r.statuses(list(wanted.values()))
    rendered = {s["id"]: s for s in statuses}
    kept = [
        g
        for g in groups
        if g.notification.status is None or str(g.notification.status.id) in rendered
    ]
    full: dict[int, AccountRecord] = {}
    partial: dict[int, AccountRecord] = {}
    for g in kept:
        for i, a in enumerate(g.sample_accounts):
            if i == 0 or expand_accounts == "full":
                full[a.id] = a
            else:
                partial.setdefault(a.id, a)
    accounts = {str(a.id): r.account(a) for a in full.values()}
    for g in kept:
        if g.notification.status is not None:
            author = rendered[str(g.notification.status.id)]["account"]
            accounts.setdefault(author["id"], author)
    out: dict[str, Any] = {
        "accounts": list(accounts.values()),
        "statuses": statuses,
        "notification_groups": [_group_json(g) for g in kept],
    }
    if expand_accounts == "partial_avatars":
        out["partial_accounts"] = [
            {k: v for k, v in r.account(a).items() if k in _PARTIAL_FIELDS}
            for i, a in partial.items()
            if str(i) not in accounts
        ]
    return out


def _group_json(g: NotificationGroup) -> dict[str, Any]:
    note = g.notification.record
    out: dict[str, Any] = {
        "group_key": g.key,
        "notifications_count": g.count,
        "type": note.type,
        "most_recent_notification_id": str(g.most_recent_id),
        "sample_account_ids": [str(a.id) for a in g.sample_accounts],
    }
    if g.paginated:
        out["page_min_id"] = str(g.page_min_id)
        out["page_max_id"] = str(g.most_recent_id)
        out["latest_page_notification_at"] = iso_ms(g.latest_at_ms)
    if note.status_id is not None:
        out["status_id"] = str(note.status_id)
    return out
