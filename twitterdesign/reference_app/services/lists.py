"""Lists: named sets of followed accounts, each with a timeline and a stream of its own.

Only the owner sees or changes a list; anyone else gets "not found", as if it did not
exist. Only accounts the owner follows (or the owner) may join, and unfollowing an
account takes it out of the follower's lists (in the unfollow's own transaction), as in
Mastodon. A list's timeline is read from storage, never from a cache, so it is the same
in the embedded and the cluster mode: the members' statuses the owner may see, with the
list's ``replies_policy`` applied to replies.

References:
    Mastodon, "lists" API methods and the List entity,
    https://docs.joinmastodon.org/methods/lists/ and
    https://docs.joinmastodon.org/entities/List/
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from twitterdesign.ids import Snowflake
from twitterdesign.reference_app.errors import NotFound, Unprocessable
from twitterdesign.reference_app.storage import (
    REPLIES_POLICIES,
    ListRecord,
    Page,
    StatusRecord,
    Store,
)

__all__ = ["MAX_LIST_ACCOUNTS_PER_CALL", "MAX_TITLE_CHARS", "ListService"]

MAX_TITLE_CHARS = 256
"""The longest list title accepted."""

MAX_LIST_ACCOUNTS_PER_CALL = 250
"""Most ``account_ids`` one add or remove call takes."""


class ListService:
    """Create, read, change and delete lists, their members and their timelines.

    Args:
        store: Persistence.
        ids: Snowflake id generator.
        clock_ms: Current Unix time in milliseconds.
        hydrate: Loads statuses by id (in order) and drops those the viewer may not see.

    Examples:
        >>> import tempfile
        >>> from twitterdesign.reference_app.services import Services
        >>> from twitterdesign.reference_app.settings import Settings
        >>> s = Services(Settings(data_dir=tempfile.mkdtemp(), argon2_memory_kib=8,
        ...                       argon2_time_cost=1))
        >>> ada = s.accounts.register("ada", "ada@example.org", "correct horse")
        >>> bob = s.accounts.register("bob", "bob@example.org", "correct horse")
        >>> s.graph.follow(ada.id, bob.id)
        >>> friends = s.lists.create(ada.id, "friends")
        >>> s.lists.add_accounts(ada.id, friends.id, [bob.id])
        >>> post = s.statuses.create(bob.id, "hello list")
        >>> [x.text for x in s.lists.timeline(ada.id, friends.id, Page())[0]]
        ['hello list']
        >>> s.close()
    """

    def __init__(
        self,
        store: Store,
        ids: Snowflake,
        clock_ms: Callable[[], int],
        *,
        hydrate: Callable[[int | None, Sequence[int]], list[StatusRecord]],
    ) -> None:
        self._store = store
        self._ids = ids
        self._now = clock_ms
        self._hydrate = hydrate

    @staticmethod
    def _checked(title: str, replies_policy: str) -> str:
        title = title.strip()
        if not title:
            raise Unprocessable("Validation failed: Title can't be blank")
        if len(title) > MAX_TITLE_CHARS:
            raise Unprocessable(f"title is too long (at most {MAX_TITLE_CHARS} characters)")
        if replies_policy not in REPLIES_POLICIES:
            raise Unprocessable(
                f"replies_policy must be one of {', '.join(REPLIES_POLICIES)}, "
                f"got {replies_policy[:40]!r}"
            )
        return title

    def create(
        self, owner: int, title: str, *, replies_policy: str = "list", exclusive: bool = False
    ) -> ListRecord:
        """Create a list.

        Raises:
            Unprocessable: A blank or too long title, or an unknown ``replies_policy``.
        """
        title = self._checked(title, replies_policy)
        record = ListRecord(
            self._ids.next_id(), owner, title, replies_policy, exclusive, self._now()
        )
        self._store.create_list(record)
        return record

    def get(self, owner: int, list_id: int) -> ListRecord:
        """Return one of ``owner``'s lists.

        Raises:
            NotFound: No such list, or another account's.
        """
        found = self._store.get_list(list_id)
        if found is None or found.account_id != owner:
            raise NotFound("Record not found")
        return found

    def all(self, owner: int) -> list[ListRecord]:
        """Return every list of ``owner``, oldest first."""
        return self._store.lists_of(owner)

    def update(
        self,
        owner: int,
        list_id: int,
        *,
        title: str | None = None,
        replies_policy: str | None = None,
        exclusive: bool | None = None,
    ) -> ListRecord:
        """Change what is given of a list; keep the rest.

        Raises:
            NotFound: No such list, or another account's.
            Unprocessable: A blank or too long title, or an unknown ``replies_policy``.
        """
        current = self.get(owner, list_id)
        policy = current.replies_policy if replies_policy is None else replies_policy
        new_title = self._checked(current.title if title is None else title, policy)
        changed = self._store.update_list(
            list_id,
            title=new_title,
            replies_policy=policy,
            exclusive=current.exclusive if exclusive is None else exclusive,
        )
        if changed is None:  # deleted meanwhile
            raise NotFound("Record not found")
        return changed

    def delete(self, owner: int, list_id: int) -> None:
        """Delete a list and its memberships.

        Raises:
            NotFound: No such list, or another account's.
        """
        self.get(owner, list_id)
        self._store.delete_list(list_id)

    def accounts(self, owner: int, list_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (membership id, account id) pairs of a list, newest member first.

        Raises:
            NotFound: No such list, or another account's.
        """
        self.get(owner, list_id)
        return self._store.list_accounts_page(list_id, page)

    def add_accounts(self, owner: int, list_id: int, account_ids: Sequence[int]) -> None:
        """Add accounts to a list, all or none.

        Raises:
            NotFound: No such list or account, or ``owner`` does not follow one of them.
            Unprocessable: No account given, too many, or one is in the list already.
        """
        wanted = self._wanted(owner, list_id, account_ids)
        accounts = self._store.get_accounts(wanted)
        missing = [a for a in wanted if a not in accounts]
        if missing:
            raise NotFound(f"Record not found: no account {missing[0]}")
        already = {i for i in wanted if list_id in self._store.lists_holding([list_id], i)}
        if already:
            raise Unprocessable(f"Validation failed: account {min(already)} is already in the list")
        members = {a: self._ids.next_id() for a in wanted}
        refused = self._store.add_list_accounts(list_id, members, self._now())
        if refused:
            raise NotFound(
                f"Record not found: you do not follow account {min(refused)}, "
                "and a list holds only accounts you follow"
            )

    def remove_accounts(self, owner: int, list_id: int, account_ids: Sequence[int]) -> None:
        """Take accounts out of a list (those not in it are ignored).

        Raises:
            NotFound: No such list, or another account's.
            Unprocessable: No account given, or too many.
        """
        self._store.remove_list_accounts(list_id, self._wanted(owner, list_id, account_ids))

    def _wanted(self, owner: int, list_id: int, account_ids: Sequence[int]) -> list[int]:
        self.get(owner, list_id)
        wanted = list(dict.fromkeys(account_ids))
        if not wanted:
            raise Unprocessable("account_ids is required (one or more account ids)")
        if len(wanted) > MAX_LIST_ACCOUNTS_PER_CALL:
            raise Unprocessable(
                f"at most {MAX_LIST_ACCOUNTS_PER_CALL} account_ids per call, got {len(wanted)}"
            )
        return wanted

    def lists_with(self, owner: int, account_id: int) -> list[ListRecord]:
        """Return ``owner``'s lists that hold ``account_id``, oldest first.

        Raises:
            NotFound: No such account.
        """
        if not self._store.get_accounts([account_id]):
            raise NotFound("Record not found")
        return self._store.lists_with_account(owner, account_id)

    def timeline(
        self, owner: int, list_id: int, page: Page
    ) -> tuple[list[StatusRecord], list[int]]:
        """Return a list's statuses the owner may see, newest first, and the page's ids.

        The ids are of every status read (for the next page's cursor), the statuses only
        those still visible once their reblogged originals are checked too.

        Raises:
            NotFound: No such list, or another account's.
        """
        self.get(owner, list_id)
        ids = self._store.list_status_ids(list_id, page)
        return self._hydrate(owner, ids), ids

    def contains(self, list_id: int, status_id: int) -> bool:
        """Return whether a list's timeline shows ``status_id`` (membership, visibility to
        the owner and the reply policy, as `timeline` reads them; reblogged originals are
        the caller's to check)."""
        around = Page(max_id=status_id + 1, since_id=status_id - 1, limit=1)
        return self._store.list_status_ids(list_id, around) == [status_id]

    def holding(self, list_ids: Sequence[int], account_id: int) -> set[int]:
        """Return which of ``list_ids`` hold ``account_id`` (the streaming router asks)."""
        return self._store.lists_holding(list_ids, account_id)
