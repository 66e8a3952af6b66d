"""Status text: the hashtags and mentions in it, and what "the same request" means.

Pure functions of a status's text and parameters, shared by `StatusService` (which stores
what they find) and anyone who needs the same parsing without a store.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

__all__ = ["extract_hashtags", "extract_mentions", "request_fingerprint"]

_HASHTAG = re.compile(r"(?:^|[^\w&/])#(\w{1,100})", re.UNICODE)
_MENTION = re.compile(r"(?:^|[^\w/])@([A-Za-z0-9_]{1,30})(?:@[\w.-]+)?")


def extract_hashtags(text: str) -> tuple[str, ...]:
    """Return the distinct lower-cased hashtags of a text, in order of appearance.

    Examples:
        >>> extract_hashtags("Hello #World, #python and #world again")
        ('world', 'python')
    """
    return tuple(dict.fromkeys(t.lower() for t in _HASHTAG.findall(text)))


def extract_mentions(text: str) -> tuple[str, ...]:
    """Return the distinct usernames mentioned as ``@name`` (or ``@name@domain``).

    Examples:
        >>> extract_mentions("hi @ada and @bob@example.org, mail me@x.org")
        ('ada', 'bob')
    """
    return tuple(dict.fromkeys(_MENTION.findall(text)))


def request_fingerprint(
    text: str,
    *,
    visibility: str = "public",
    in_reply_to_id: int | None = None,
    media_ids: Sequence[int] = (),
) -> str:
    """Return the fingerprint stored with an ``Idempotency-Key``: what "the same request" means.

    Two requests are the same when they ask for the same status: the same text (exactly,
    character for character), visibility, ``in_reply_to_id`` and media ids in the same
    order; a parameter left out counts as its default. How they were encoded (JSON or form
    body, key order, ids as strings or numbers) and parameters the server ignores do not
    matter. The fingerprint is the SHA-256 of a
    canonical JSON object of those four values (sorted keys, no spaces, ASCII escapes).

    Examples:
        >>> a = request_fingerprint("hi", media_ids=[1, 2])
        >>> a == request_fingerprint("hi", visibility="public", media_ids=(1, 2))
        True
        >>> a == request_fingerprint("hi", media_ids=[2, 1])
        False
    """
    canonical = json.dumps(
        {
            "in_reply_to_id": in_reply_to_id,
            "media_ids": [int(m) for m in media_ids],
            "status": text,
            "visibility": visibility,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
