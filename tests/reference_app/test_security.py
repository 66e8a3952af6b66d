"""Security regressions: token ownership, existence oracles, media content, idempotency."""

from __future__ import annotations

import re
from typing import Any

from tests.reference_app.conftest import Api


def _client(api: Api, name: str) -> dict[str, Any]:
    reply = api.client.post(
        "/api/v1/apps",
        data={"client_name": name, "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"},
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _verify(api: Api, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return api.client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code


# --- item 1: only the issuing client may revoke a token ---------------------------------
def test_revoke_refuses_a_token_issued_to_another_client(api: Api) -> None:
    victim = api.register()  # token issued to the fixture's client
    other = _client(api, "someone else's app")
    reply = api.client.post(
        "/oauth/revoke",
        data={
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
            "token": victim.token,
        },
    )
    assert reply.status_code == 403, reply.text
    assert set(reply.json()) == {"error"}
    assert _verify(api, victim.token) == 200  # still valid
    # The issuing client may revoke it.
    own = api.client.post(
        "/oauth/revoke",
        data={
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "token": victim.token,
        },
    )
    assert own.status_code == 200
    assert _verify(api, victim.token) == 401


def test_revoke_of_an_unknown_token_is_not_an_error(api: Api) -> None:
    other = _client(api, "any app")
    for token in ("not-a-token", ""):
        reply = api.client.post(
            "/oauth/revoke",
            data={
                "client_id": other["client_id"],
                "client_secret": other["client_secret"],
                "token": token,
            },
        )
        assert reply.status_code == 200, reply.text


def test_revoke_needs_valid_client_credentials(api: Api) -> None:
    user = api.register()
    reply = api.client.post(
        "/oauth/revoke",
        data={"client_id": api.app["client_id"], "client_secret": "wrong", "token": user.token},
    )
    assert reply.status_code == 401
    assert _verify(api, user.token) == 200


def _code_for(api: Api, client: dict[str, Any], username: str, password: str) -> str:
    shown = api.client.post(
        "/oauth/authorize",
        data={
            "client_id": client["client_id"],
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            "scope": "read",
            "username": username,
            "password": password,
        },
    )
    found = re.search(r"<pre id='code'>([^<]+)</pre>", shown.text)
    assert found is not None, shown.text
    return found.group(1)


def test_authorization_code_presented_by_another_client_is_not_consumed(api: Api) -> None:
    api.register("codeowner", password="code owner pw")
    code = _code_for(api, api.app, "codeowner", "code owner pw")
    thief = _client(api, "thief")

    def redeem(client: dict[str, Any]) -> Any:
        return api.client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
                "code": code,
                "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            },
        )

    assert redeem(thief).status_code == 401
    owner = redeem(api.app)
    assert owner.status_code == 200, owner.text
    assert _verify(api, owner.json()["access_token"]) == 200
