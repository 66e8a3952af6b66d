"""Render Mastodon's Conversation entity (the ``direct`` stream's ``conversation`` event)."""

from __future__ import annotations

from typing import Any

import mmh3

from twitterdesign.reference_app.api._render import Renderer
from twitterdesign.reference_app.storage import StatusRecord

__all__ = ["conversation_id", "conversation_json"]


def conversation_id(participants: set[int]) -> str:
    """A conversation's ``id``: the same for one set of participants, on every instance.

    There is no conversations table here: a conversation is the direct statuses among one
    group of accounts (Mastodon also splits them by thread), so its id is the 63-bit
    MurmurHash3 of the sorted account ids.

    Examples:
        >>> conversation_id({2, 1}) == conversation_id({1, 2}) != conversation_id({1, 3})
        True
    """
    key = ",".join(str(a) for a in sorted(participants))
    return str(mmh3.hash64(key, signed=False)[0] >> 1)


def conversation_json(r: Renderer, status: StatusRecord) -> dict[str, Any] | None:
    """Render the conversation ``status`` belongs to, as ``r``'s viewer sees it.

    ``accounts`` are the other participants (Mastodon leaves the viewer out); the
    conversation is unread for everyone but the status's author. None when the renderer
    drops the status (its author is gone).
    """
    rendered = r.statuses([status])
    if not rendered:
        return None
    participants = {status.account_id, *status.mention_ids}
    others = [a for a in sorted(participants) if a != r.viewer]
    return {
        "id": conversation_id(participants),
        "unread": r.viewer != status.account_id,
        "accounts": r.accounts_by_id(others),
        "last_status": rendered[0],
    }
