"""Contract of `ProfileStore`: the edited profile reads back exactly, nothing else moves."""

from __future__ import annotations

from twitterdesign.reference_app.storage import Store

from ._factories import add_users


def test_a_new_account_has_mastodons_default_profile(store: Store) -> None:
    add_users(store, 1)
    a = store.get_accounts([1])[1]
    assert (a.bot, a.discoverable, a.fields) == (False, True, ())
    assert (a.privacy, a.sensitive, a.language) == ("public", False, None)


def test_update_profile_reads_back_and_keeps_counters(store: Store) -> None:
    add_users(store, 1, 2)
    store.follow(2, 1, 10, 0)
    updated = store.update_profile(
        1,
        display_name="Ada ✨",
        note="line one\nline two",
        bot=True,
        discoverable=False,
        fields=[("Web", "https://x"), ("ünïcode", '✓ "quoted"')],
        privacy="private",
        sensitive=True,
        language="fr",
    )
    assert updated is not None
    assert store.get_accounts([1])[1] == updated
    assert updated.fields == (("Web", "https://x"), ("ünïcode", '✓ "quoted"'))
    assert (updated.display_name, updated.note) == ("Ada ✨", "line one\nline two")
    assert (updated.bot, updated.discoverable, updated.privacy) == (True, False, "private")
    assert (updated.sensitive, updated.language) == (True, "fr")
    assert updated.followers_count == 1  # the profile edit leaves counters alone
    assert store.search_accounts("ada", 5) == [updated]  # found by the new display name


def test_update_profile_of_an_unknown_account_is_none(store: Store) -> None:
    assert (
        store.update_profile(
            9,
            display_name="",
            note="",
            bot=False,
            discoverable=True,
            fields=(),
            privacy="public",
            sensitive=False,
            language=None,
        )
        is None
    )
