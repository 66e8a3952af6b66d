"""The web client's files: served at ``/`` and ``/web/``, every module they import present."""

from __future__ import annotations

import re

from tests.reference_app.conftest import Api
from twitterdesign.reference_app.api.app import WEB_DIR

_IMPORT = re.compile(r'^import .* from "\./([\w.-]+)";$', re.MULTILINE)


def test_the_page_and_every_module_it_loads_are_served(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="web/app.js">' in page.text
    todo, seen = ["app.js"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        reply = api.client.get(f"/web/{name}")
        assert reply.status_code == 200, name
        # Browsers run a module only when it is served as JavaScript.
        assert reply.headers["content-type"].startswith("text/javascript"), name
        todo.extend(_IMPORT.findall(reply.text))
    assert seen == {p.name for p in WEB_DIR.glob("*.js")}  # no file is left unused
    css = api.client.get("/web/app.css")
    assert css.headers["content-type"].startswith("text/css")


def test_the_client_does_not_shadow_the_api(api: Api) -> None:
    assert api.client.get("/web/missing.js").status_code == 404
    assert api.client.get("/api/v1/instance").json()["uri"]
    assert "/" not in api.client.get("/openapi.json").json()["paths"]
