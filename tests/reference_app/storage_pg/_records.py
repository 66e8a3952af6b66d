"""Record builders shared by the PostgreSQL store tests."""

from __future__ import annotations

from twitterdesign.reference_app.storage import StatusRecord

__all__ = ["make_status"]


def make_status(sid: int, author: int, text: str = "hello", **kw: object) -> StatusRecord:
    """A status record with zero counters; ``created_at_ms`` defaults to the id."""
    fields: dict[str, object] = {
        "id": sid,
        "account_id": author,
        "text": text,
        "visibility": "public",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog_of_id": None,
        "created_at_ms": sid,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "views_count": 0,
    }
    fields.update(kw)
    return StatusRecord(**fields)  # type: ignore[arg-type]
