"""PKCE (RFC 7636, S256) on the authorization code grant, as a browser client uses it."""

from __future__ import annotations

import base64
import hashlib
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api
from twitterdesign.reference_app.services.accounts import pkce_challenge

# Codes live in the store: PKCE is checked on SQLite and on the cluster's PostgreSQL.
pytestmark = pytest.mark.all_engines

OOB = "urn:ietf:wg:oauth:2.0:oob"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636, appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def _code(api: Api, user: str, **pkce: str) -> str:
    shown = api.client.post(
        "/oauth/authorize",
        data={
            "client_id": api.app["client_id"],
            "redirect_uri": OOB,
            "scope": "read",
            "username": user,
            "password": "pkce password",
            **pkce,
        },
    )
    assert shown.status_code == 200, shown.text
    found = re.search(r"<pre id='code'>([^<]+)</pre>", shown.text)
    assert found is not None
    return found.group(1)


def _redeem(api: Api, code: str, **extra: str) -> int:
    return api.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "code": code,
            "redirect_uri": OOB,
            **extra,
        },
    ).status_code


S256 = {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}


def test_the_page_carries_the_challenge_into_its_form(api: Api) -> None:
    page = api.client.get(
        "/oauth/authorize",
        params={"client_id": api.app["client_id"], "redirect_uri": OOB, **S256},
    )
    assert page.status_code == 200
    assert f'name="code_challenge" value="{CHALLENGE}"' in page.text
    assert 'name="code_challenge_method" value="S256"' in page.text


def test_a_code_with_a_challenge_needs_its_verifier(api: Api) -> None:
    api.register("pia", password="pkce password")
    code = _code(api, "pia", **S256)
    assert _redeem(api, code) == 401  # no verifier
    wrong = "x" * 43
    assert _redeem(api, code, code_verifier=wrong) == 401
    # Neither failed attempt burnt the code: its owner still redeems it, once.
    assert _redeem(api, code, code_verifier=VERIFIER) == 200
    assert _redeem(api, code, code_verifier=VERIFIER) == 401


def test_a_verifier_for_a_plain_code_is_ignored(api: Api) -> None:
    api.register("pete", password="pkce password")
    code = _code(api, "pete")
    assert _redeem(api, code, code_verifier=VERIFIER) == 200


def test_only_s256_and_well_formed_values_are_accepted(api: Api) -> None:
    api.register("pam", password="pkce password")
    base = {"client_id": api.app["client_id"], "redirect_uri": OOB}
    for bad, says in [
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "S256"),
        ({"code_challenge": CHALLENGE}, "S256"),
        ({"code_challenge_method": "S256"}, "without a code_challenge"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "code_challenge must"),
    ]:
        for reply in (
            api.client.get("/oauth/authorize", params={**base, **bad}),
            api.client.post(
                "/oauth/authorize",
                data={**base, **bad, "username": "pam", "password": "pkce password"},
            ),
        ):
            assert reply.status_code == 422, bad
            assert says in reply.json()["error"]
    code = _code(api, "pam", **S256)
    bad_verifier = api.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "code": code,
            "code_verifier": "has spaces " * 5,
        },
    )
    assert bad_verifier.status_code == 422
    assert "code_verifier" in bad_verifier.json()["error"]


_UNRESERVED = string.ascii_letters + string.digits + "-._~"


@settings(max_examples=200)
@given(st.text(alphabet=_UNRESERVED, min_size=43, max_size=128))
def test_challenge_is_unpadded_base64url_of_sha256(verifier: str) -> None:
    challenge = pkce_challenge(verifier)
    assert len(challenge) == 43
    assert set(challenge) <= set(string.ascii_letters + string.digits + "-_")
    padded = challenge + "="
    assert base64.urlsafe_b64decode(padded) == hashlib.sha256(verifier.encode()).digest()
