"""Mastodon.py, unchanged, against a live server: the Mastodon client API really works."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from tests.reference_app._images import png

mastodon = pytest.importorskip("mastodon")
Mastodon = mastodon.Mastodon

pytestmark = pytest.mark.slow


def _user(url: str, client_id: str, client_secret: str, name: str) -> object:
    anon = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=url)
    token = anon.create_account(
        name, "correct horse battery", f"{name}@example.org", agreement=True
    )
    assert token
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=url)
    api.log_in(f"{name}@example.org", "correct horse battery", allow_http=True)
    return api


def _wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_mastodon_py_end_to_end(server: str) -> None:
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-test", api_base_url=server, scopes=["read", "write", "follow", "push"]
    )
    ada = _user(server, client_id, client_secret, "ada")
    bob = _user(server, client_id, client_secret, "bob")
    me = ada.account_verify_credentials()
    assert me.username == "ada"
    assert ada.retrieve_mastodon_version().startswith("4.3")

    # Post, reply, read the conversation.
    root = ada.status_post("Designing Twitter with #systemdesign")
    reply = bob.status_post("@ada nice thread", in_reply_to_id=root)
    context = ada.status_context(root)
    assert [s.id for s in context.descendants] == [reply.id]
    assert reply.in_reply_to_id == root.id

    # Follow; the home timeline is filled by the background fan-out, then paged.
    bob.account_follow(me)
    rel = bob.account_relationships(me)[0]
    assert rel.following is True
    posts = [ada.status_post(f"post number {i}") for i in range(5)]
    expected = [p.id for p in reversed(posts)]
    assert _wait_for(lambda: [s.id for s in bob.timeline_home(limit=5)] == expected)
    first = bob.timeline_home(limit=3)
    second = bob.fetch_next(first)
    assert [s.id for s in first] + [s.id for s in second][:2] == expected

    # Favourite and reblog, seen in counters and notifications.
    bob.status_favourite(root)
    bob.status_reblog(root)
    got = ada.status(root)
    assert got.favourites_count == 1
    assert got.reblogs_count == 1
    kinds = {n.type for n in ada.notifications()}
    assert {"favourite", "reblog", "follow", "mention"} <= kinds

    # Search and trends.
    found = bob.search_v2("designing")
    assert [s.id for s in found.statuses] == [root.id]
    tags = bob.trending_tags()
    assert "systemdesign" in [t.name for t in tags]

    # Upload an image and attach it.
    media = ada.media_post(io.BytesIO(png(5, 4)), mime_type="image/png", description="pixels")
    with_media = ada.status_post("look", media_ids=[media])
    assert with_media.media_attachments[0].id == media.id
    assert ada.status(with_media).media_attachments[0].description == "pixels"

    # Only the author deletes.
    with pytest.raises(mastodon.MastodonAPIError):
        bob.status_delete(with_media)
    ada.status_delete(with_media)
    with pytest.raises(mastodon.MastodonNotFoundError):
        ada.status(with_media)


def test_mastodon_py_sees_clean_errors(server: str, tmp_path: Path) -> None:
    client_id, client_secret = Mastodon.create_app("errors", api_base_url=server)
    eve = _user(server, client_id, client_secret, "eve")
    with pytest.raises(mastodon.MastodonAPIError, match="280"):
        eve.status_post("x" * 281)
    with pytest.raises(mastodon.MastodonNotFoundError):
        eve.status("12345")


def test_mastodon_py_streams_a_post_as_it_happens(server: str) -> None:
    client_id, client_secret = Mastodon.create_app(
        "stream-test", api_base_url=server, scopes=["read", "write", "follow", "push"]
    )
    cy = _user(server, client_id, client_secret, "cy")
    dee = _user(server, client_id, client_secret, "dee")
    dee.account_follow(cy.account_verify_credentials())
    received: list[object] = []
    notified: list[object] = []

    class Listener(mastodon.StreamListener):  # type: ignore[misc]
        def on_update(self, status: object) -> None:
            received.append(status)

        def on_notification(self, notification: object) -> None:
            notified.append(notification)

    handle = dee.stream_user(Listener(), run_async=True, timeout=30)
    try:
        assert _wait_for(handle.is_receiving)
        posted = cy.status_post("live over server-sent events")
        assert _wait_for(lambda: [s.id for s in received] == [posted.id])
        assert received[0].account.username == "cy"
        cy.status_favourite(dee.status_post("like me"))
        assert _wait_for(lambda: [n.type for n in notified] == ["favourite"])
    finally:
        handle.close()


def test_a_real_websocket_client_streams_from_the_served_app(server: str) -> None:
    from websockets.sync.client import connect

    client_id, client_secret = Mastodon.create_app(
        "ws-test", api_base_url=server, scopes=["read", "write", "follow", "push"]
    )
    eli = _user(server, client_id, client_secret, "eli")
    url = server.replace("http", "ws", 1) + "/api/v1/streaming?stream=public"
    with connect(url, subprotocols=[eli.access_token], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send('{"type": "subscribe", "stream": "hashtag", "tag": "wsdemo"}')
        posted = eli.status_post("over a websocket #wsdemo")
        streams = []
        while len(streams) < 2:
            message = json.loads(ws.recv(timeout=10))
            if json.loads(message["payload"])["id"] == str(posted.id):
                streams.append(message["stream"])
    assert sorted(streams) == [["hashtag", "wsdemo"], ["public"]]
