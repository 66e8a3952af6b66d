"""Profiles: what an account says about itself, edited with Mastodon's update_credentials.

Mastodon's limits (``Account`` validations): a display name of at most 30 characters, a
note (bio) of at most 500, at most 4 profile fields of at most 255 characters per name
and per value; ``source[privacy]`` is the default visibility of new posts (``public``,
``unlisted`` or ``private``), ``source[sensitive]`` whether new posts are sensitive by
default, ``source[language]`` their default language. A field left out keeps its value.

``locked`` is refused when true: a locked account needs follow requests (approve each
follower), which this server does not have, so it could not keep the promise.

References:
    Mastodon, "Update account credentials",
    https://docs.joinmastodon.org/methods/accounts/#update_credentials
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from twitterdesign.reference_app.errors import NotFound, Unprocessable
from twitterdesign.reference_app.storage import AccountRecord, Store

__all__ = [
    "MAX_DISPLAY_NAME_CHARS",
    "MAX_FIELDS",
    "MAX_FIELD_CHARS",
    "MAX_NOTE_CHARS",
    "POSTING_PRIVACIES",
    "ProfileService",
]

MAX_DISPLAY_NAME_CHARS = 30
"""Longest display name (Mastodon's limit)."""
MAX_NOTE_CHARS = 500
"""Longest note, the bio (Mastodon's limit)."""
MAX_FIELDS = 4
"""Most profile fields (Mastodon's default)."""
MAX_FIELD_CHARS = 255
"""Longest field name, and longest field value (Mastodon's limit)."""

POSTING_PRIVACIES = ("public", "unlisted", "private")
"""What ``source[privacy]`` may be (Mastodon's documented values)."""

_LANGUAGE = re.compile(r"[a-z]{2,3}")


class ProfileService:
    """Edit profiles with Mastodon's rules.

    Args:
        store: Persistence.

    Examples:
        >>> import tempfile, pathlib
        >>> from twitterdesign.reference_app.storage import SQLiteStore
        >>> store = SQLiteStore(pathlib.Path(tempfile.mkdtemp()) / "db.sqlite3")
        >>> _ = store.create_user(1, "ada", "ada@example.org", "hash", 0)
        >>> ProfileService(store).update(1, display_name="Ada L.", fields=[("web", "x")]).fields
        (('web', 'x'),)
        >>> store.close()
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def update(
        self,
        account_id: int,
        *,
        display_name: str | None = None,
        note: str | None = None,
        locked: bool | None = None,
        bot: bool | None = None,
        discoverable: bool | None = None,
        fields: Sequence[tuple[str, str]] | None = None,
        privacy: str | None = None,
        sensitive: bool | None = None,
        language: str | None = None,
    ) -> AccountRecord:
        """Change the given parts of a profile; None keeps a part as it is.

        Fields whose name and value are both blank are dropped, as Mastodon drops them;
        an empty ``language`` clears the default language.

        Returns:
            The account as stored now.

        Raises:
            Unprocessable: A limit exceeded, an unknown privacy or language, or ``locked``.
            NotFound: The account does not exist.
        """
        current = self._store.get_accounts([account_id]).get(account_id)
        if current is None:
            raise NotFound("Record not found")
        if display_name is not None and len(display_name) > MAX_DISPLAY_NAME_CHARS:
            raise Unprocessable(
                f"display_name is too long (at most {MAX_DISPLAY_NAME_CHARS} characters, "
                f"got {len(display_name)})"
            )
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise Unprocessable(
                f"note is too long (at most {MAX_NOTE_CHARS} characters, got {len(note)})"
            )
        if locked:
            raise Unprocessable(
                "locked must be false: this server has no follow requests to approve"
            )
        if privacy is not None and privacy not in POSTING_PRIVACIES:
            raise Unprocessable(
                f"source[privacy] must be one of {', '.join(POSTING_PRIVACIES)}, not {privacy!r}"
            )
        kept = _check_fields(fields) if fields is not None else current.fields
        new_language = current.language
        if language is not None:
            new_language = language.strip().lower() or None
            if new_language is not None and not _LANGUAGE.fullmatch(new_language):
                raise Unprocessable(
                    f"source[language] must be an ISO 639 code of two or three letters, "
                    f"not {language!r}"
                )
        updated = self._store.update_profile(
            account_id,
            display_name=current.display_name if display_name is None else display_name,
            note=current.note if note is None else note,
            bot=current.bot if bot is None else bot,
            discoverable=current.discoverable if discoverable is None else discoverable,
            fields=kept,
            privacy=current.privacy if privacy is None else privacy,
            sensitive=current.sensitive if sensitive is None else sensitive,
            language=new_language,
        )
        if updated is None:
            raise NotFound("Record not found")
        return updated


def _check_fields(fields: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    kept = tuple((n, v) for n, v in fields if n.strip() or v.strip())
    if len(kept) > MAX_FIELDS:
        raise Unprocessable(f"at most {MAX_FIELDS} profile fields are allowed, got {len(kept)}")
    for name, value in kept:
        if len(name) > MAX_FIELD_CHARS or len(value) > MAX_FIELD_CHARS:
            raise Unprocessable(
                f"a profile field's name and value are at most {MAX_FIELD_CHARS} characters each"
            )
    return kept
