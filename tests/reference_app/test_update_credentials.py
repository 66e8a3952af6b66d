"""PATCH /api/v1/accounts/update_credentials: the profile a client edits, Mastodon's limits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, User

pytestmark = pytest.mark.all_engines

_PATH = "/api/v1/accounts/update_credentials"


def _patch(api: Api, user: User, **kwargs: Any) -> Any:
    return api.client.patch(_PATH, headers=user.headers, **kwargs)


def test_profile_edit_by_form_as_mastodon_py_sends_it(api: Api) -> None:
    ada = api.register("ada")
    reply = _patch(
        api,
        ada,
        data={
            "display_name": "Ada Lovelace",
            "note": "Counting <engines>",
            "bot": "true",
            "discoverable": "false",
            "fields_attributes[0][name]": "Web",
            "fields_attributes[0][value]": "https://ada.example",
            "fields_attributes[1][name]": "Born",
            "fields_attributes[1][value]": "1815",
            "source[privacy]": "unlisted",
            "source[sensitive]": "true",
            "source[language]": "en",
        },
    )
    assert reply.status_code == 200, reply.text
    me = reply.json()
    assert (me["display_name"], me["bot"], me["discoverable"]) == ("Ada Lovelace", True, False)
    assert me["note"] == "Counting &lt;engines&gt;"
    assert [(f["name"], f["value"]) for f in me["fields"]] == [
        ("Web", "https://ada.example"),
        ("Born", "1815"),
    ]
    assert me["source"]["note"] == "Counting <engines>"
    assert (me["source"]["privacy"], me["source"]["sensitive"], me["source"]["language"]) == (
        "unlisted",
        True,
        "en",
    )
    assert me["role"]["id"] == "-99"  # a CredentialAccount
    # Everyone sees the new profile; the posting defaults apply to new posts.
    public = api.client.get(f"/api/v1/accounts/{ada.id}").json()
    assert public["display_name"] == "Ada Lovelace"
    assert "source" not in public
    post = api.post(ada, "defaults apply")
    assert (post["visibility"], post["sensitive"], post["language"]) == ("unlisted", True, "en")
    prefs = api.client.get("/api/v1/preferences", headers=ada.headers).json()
    assert prefs["posting:default:visibility"] == "unlisted"


def test_json_body_and_fields_left_out_keep_their_value(api: Api) -> None:
    ada = api.register("ada")
    _patch(
        api, ada, json={"display_name": "Ada", "fields_attributes": [{"name": "a", "value": "b"}]}
    )
    reply = _patch(api, ada, json={"note": "only the note", "source": {"privacy": "private"}})
    me = reply.json()
    assert (me["display_name"], me["note"]) == ("Ada", "only the note")
    assert [(f["name"], f["value"]) for f in me["fields"]] == [("a", "b")]
    assert me["source"]["privacy"] == "private"
    # An empty list of fields clears them.
    assert _patch(api, ada, json={"fields_attributes": []}).json()["fields"] == []


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"display_name": "x" * 31}, "display_name"),
        ({"note": "x" * 501}, "note"),
        ({"fields_attributes": [{"name": str(i), "value": "v"} for i in range(5)]}, "fields"),
        ({"fields_attributes": [{"name": "n" * 256, "value": "v"}]}, "255"),
        ({"source": {"privacy": "direct"}}, "privacy"),
        ({"source": {"language": "english"}}, "language"),
        ({"locked": True}, "locked"),
    ],
)
def test_limits_answer_422_naming_the_field(api: Api, body: dict[str, Any], word: str) -> None:
    ada = api.register()
    reply = _patch(api, ada, json=body)
    assert reply.status_code == 422, reply.text
    assert word in reply.json()["error"]
    me = api.client.get("/api/v1/accounts/verify_credentials", headers=ada.headers).json()
    assert (me["display_name"], me["note"], me["fields"]) == ("", "", [])  # nothing stored


def test_bad_shapes_and_no_token(api: Api) -> None:
    ada = api.register()
    assert api.client.patch(_PATH, json={"note": "x"}).status_code == 401
    assert _patch(api, ada, json={"bot": "maybe"}).status_code == 400
    assert _patch(api, ada, json={"fields_attributes": "nope"}).status_code == 400
    assert _patch(api, ada, json={"source": "public"}).status_code == 400


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40),
    note=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=520),
)
def test_a_profile_is_stored_exactly_when_within_the_limits(api: Api, name: str, note: str) -> None:
    """Property: within the limits the profile reads back as sent; beyond them nothing changes."""
    ada = api.register()
    reply = _patch(api, ada, json={"display_name": name, "note": note})
    me = api.client.get("/api/v1/accounts/verify_credentials", headers=ada.headers).json()
    if len(name) <= 30 and len(note) <= 500:
        assert reply.status_code == 200, reply.text
        assert (me["display_name"], me["source"]["note"]) == (name, note)
    else:
        assert reply.status_code == 422
        assert (me["display_name"], me["source"]["note"]) == ("", "")
