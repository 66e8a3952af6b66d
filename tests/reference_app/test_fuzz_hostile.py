"""Every route of /openapi.json, driven with hostile values on a real server: no 5xx, ever.

Two generators feed one keep-alive client on a real uvicorn server (127.0.0.1, a thread):

- our own hypothesis strategies, aimed at what broke hand-written parsers before: ``--1``,
  huge integers, the int64 edges, non-ASCII digits, lone surrogates in JSON, forms,
  multipart fields and query strings, JSON nested far too deep, JSON of the wrong type,
  malformed and empty bodies, for every operation's path, query and body;
- schemathesis, positive and negative data from the schema itself.

Each request must answer below 500 (an error as ``{"error": "..."}``) and leave the
connection open: a plain request right after it must travel on the same TCP connection
unless the server said ``Connection: close``. Examples are bounded and derandomized, so the run is
the same every time and takes seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app._live import register_user
from tests.reference_app._threaded import local_port, serve_in_thread
from tests.reference_app.conftest import make_settings, openapi_spec
from tests.strategies import (
    INT64_MAX,
    hostile_integers,
    hostile_number_texts,
    json_values,
    lone_surrogate_texts,
    nested_json,
)
from twitterdesign.reference_app import create_app

schemathesis = pytest.importorskip("schemathesis")

_METHODS = ("get", "post", "put", "patch", "delete")
# Parameters the Mastodon routes read by hand (not declared in the schema).
_UNDECLARED_QUERY = (
    "limit",
    "max_id",
    "since_id",
    "min_id",
    "offset",
    "q",
    "type",
    "id[]",
    "types[]",
    "exclude_types[]",
    "acct",
    "exclude_replies",
    "only_media",
    "access_token",
)
_BODY_KINDS = (
    "none",
    "empty",
    "object",
    "wrong-type",
    "deep",
    "garbage",
    "raw-surrogate",
    "form",
    "multipart",
)
_COMMON_FIELDS = ("status", "in_reply_to_id", "media_ids[]", "visibility", "description", "id")


@dataclass(frozen=True)
class Operation:
    """One method and path of /openapi.json, with the names of what it reads."""

    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_fields: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _operations(spec: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in spec["paths"].items():
        for method in _METHODS:
            if method not in item:
                continue
            op = item[method]
            params = op.get("parameters", [])
            fields: set[str] = set()
            for media in op.get("requestBody", {}).get("content", {}).values():
                fields.update(media.get("schema", {}).get("properties", {}))
            found.append(
                Operation(
                    method.upper(),
                    path,
                    tuple(p["name"] for p in params if p["in"] == "path"),
                    tuple(p["name"] for p in params if p["in"] == "query"),
                    tuple(sorted(fields)),
                )
            )
    return found


SPEC = openapi_spec()
OPERATIONS = _operations(SPEC)


class KeepAliveProbe:
    """One persistent client that checks every answer and the connection it came on."""

    def __init__(self, url: str, token: str) -> None:
        self.token = token
        self._ports: list[int | None] = []
        self._last: tuple[int, str] | None = None  # (local port, request) kept open
        self.client = httpx.Client(
            base_url=url,
            timeout=60,
            limits=httpx.Limits(max_connections=1),
            event_hooks={"response": [lambda r: self._ports.append(local_port(r))]},
        )

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request: no 5xx, errors as ``{"error"}``, and on the last connection.

        The request before it (since `forget`) must have left the connection open unless
        it said ``Connection: close``; a failure names that request.
        """
        self._ports.clear()
        sent = f"{method} {url} {str(kwargs.get('content', kwargs.get('data', '')))[:200]}"
        reply = self.client.request(method, url, **kwargs)
        where = (sent, reply.status_code, reply.text[:300])
        assert self._ports, where
        port = self._ports[-1]
        assert port is not None, ("the server closed the connection", *where)
        if self._last is not None:
            assert port == self._last[0], ("the connection was closed after", self._last[1])
        closing = reply.headers.get("connection", "").lower() == "close"
        self._last = None if closing else (port, sent)
        assert reply.status_code < 500, where
        if reply.status_code >= 400 and "json" in reply.headers.get("content-type", ""):
            body = reply.json()
            assert isinstance(body, dict), where
            assert set(body) == {"error"}, where
            assert isinstance(body["error"], str), where
        return reply

    def forget(self) -> None:
        """Start afresh: the next request may open a connection."""
        self._last = None

    def check(self, method: str, url: str, **kwargs: Any) -> None:
        """Send one request, then a plain one that must reuse the same connection.

        Each call stands alone, so a failing hypothesis example shrinks to the request
        that broke the connection, not to whatever came after it.
        """
        self.forget()
        self.send(method, url, **kwargs)
        assert self.send("GET", "/healthz").status_code == 200

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeepAliveProbe]:
    app = create_app(make_settings(tmp_path_factory.mktemp("fuzz")))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as setup:
        auth = register_user(setup, "fuzzer", scopes="read write follow push")
        assert setup.post("/api/v1/statuses", headers=auth, json={"status": "#seed"}).is_success
        token = auth["Authorization"].removeprefix("Bearer ")
        probe = KeepAliveProbe(url, token)
        try:
            yield probe
        finally:
            probe.close()


@pytest.fixture
def same_connection(probe: KeepAliveProbe) -> Iterator[KeepAliveProbe]:
    """The probe, afresh; after the test, a plain request on the connection it left."""
    probe.forget()
    yield probe
    assert probe.send("GET", "/healthz").status_code == 200


# --- our hostile strategies -------------------------------------------------------------
_text_values = st.one_of(
    hostile_number_texts,
    lone_surrogate_texts,
    st.text(max_size=30),
    st.sampled_from(["", "null", "true", "[]", "{}", "\x00", "%", "%ED%A0%80", "\ufeff"]),
)
_json_field_values = st.one_of(
    _text_values,
    hostile_integers,
    json_values,
    st.integers(min_value=0, max_value=1_200).map(lambda d: json.loads(nested_json(min(d, 900)))),
)


def _percent(text: str) -> str:
    # A lone surrogate goes out as the bytes UTF-8 would give it (ED A0 80): not UTF-8.
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _form(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{_percent(k)}={_percent(v)}" for k, v in pairs).encode()


@st.composite
def hostile_requests(draw: st.DrawFn, op: Operation, token: str) -> dict[str, Any]:
    """A request for ``op`` with hostile path, query and body values."""
    path = op.path
    for name in op.path_params:
        value = draw(_text_values.filter(lambda v: v.strip(" ./") != ""))
        path = path.replace("{" + name + "}", _percent(value))
    names = [*op.query_params, *_UNDECLARED_QUERY]
    query = draw(st.lists(st.tuples(st.sampled_from(names), _text_values), max_size=4))
    url = f"{path}?{_form(query).decode()}" if query else path
    headers = {"Authorization": f"Bearer {token}"} if draw(st.integers(0, 9)) else {}
    fields = [*op.body_fields, *_COMMON_FIELDS]
    kind = draw(st.sampled_from(_BODY_KINDS))
    request: dict[str, Any] = {"method": op.method, "url": url, "headers": headers}
    as_json = {**headers, "Content-Type": "application/json"}
    if kind == "empty":
        request.update(headers=as_json, content=b"")
    elif kind == "object":
        body = draw(st.dictionaries(st.sampled_from(fields), _json_field_values, max_size=5))
        request.update(headers=as_json, content=json.dumps(body, ensure_ascii=True).encode())
    elif kind == "wrong-type":
        request.update(headers=as_json, content=json.dumps(draw(json_values)).encode())
    elif kind == "deep":
        depth = draw(st.integers(min_value=90, max_value=5_000))
        field = draw(st.sampled_from(fields))
        request.update(headers=as_json, content=f'{{"{field}": {nested_json(depth)}}}'.encode())
    elif kind == "garbage":
        request.update(headers=as_json, content=draw(st.binary(max_size=40)))
    elif kind == "raw-surrogate":
        field = draw(st.sampled_from(fields))
        request.update(headers=as_json, content=f'{{"{field}": "a'.encode() + b'\xed\xa0\x80"}')
    elif kind == "form":
        pairs = draw(st.lists(st.tuples(st.sampled_from(fields), _text_values), max_size=5))
        request.update(
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            content=_form(pairs),
        )
    elif kind == "multipart":
        description = draw(_text_values).encode("utf-8", "surrogatepass")
        request.update(
            data={"description": description},
            files={"file": ("x.png", draw(st.binary(max_size=64)), "image/png")},
        )
    return request


# --- the attacks that broke the app before, on every route -----------------------------
_PATH_ATTACKS = (str(INT64_MAX), str(INT64_MAX + 1), "-1", "--1", "١٢٣", "9" * 30, "\ud800")
_NUMBER_ATTACKS = ("--1", str(INT64_MAX + 1), "١٢")
_PAGINATION = ("limit", "max_id", "since_id", "min_id", "offset")
_BODY_ATTACKS: tuple[object, ...] = ("x\ud800y", INT64_MAX + 1, 10**30, "--1")


def _fill(path: str, values: dict[str, str]) -> str:
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", _percent(values.get(name, "1")))
    return path


def known_attacks(op: Operation, token: str) -> Iterator[dict[str, Any]]:
    """Yield, for ``op``, each attack outside testing found, aimed at each input it reads."""
    auth = {"Authorization": f"Bearer {token}"}
    as_json = {**auth, "Content-Type": "application/json"}
    base = {"method": op.method, "headers": auth}
    for name in op.path_params:
        for value in _PATH_ATTACKS:
            yield {**base, "url": _fill(op.path, {name: value})}
    path = _fill(op.path, {})
    names = (*_PAGINATION, *op.query_params)
    for name in names:
        for value in _NUMBER_ATTACKS:
            yield {**base, "url": f"{path}?{_form([(name, value)]).decode()}"}
    surrogates = _form([(name, "q\udc00") for name in names]).decode()
    yield {**base, "url": f"{path}?{surrogates}"}
    if op.method == "GET":
        return
    fields = op.body_fields or ("status",)
    for field in fields:
        for attack in _BODY_ATTACKS:
            body = json.dumps({field: attack}, ensure_ascii=True).encode()
            yield {**base, "url": path, "headers": as_json, "content": body}
    form = _form([(field, "f\udfff") for field in fields])
    yield {
        **base,
        "url": path,
        "headers": {**auth, "Content-Type": "application/x-www-form-urlencoded"},
        "content": form,
    }
    deep = f'{{"{fields[0]}": {nested_json(2_000)}}}'.encode()
    raw_surrogate = f'{{"{fields[0]}": "a'.encode() + b'\xed\xa0\x80"}'
    for content in (deep, raw_surrogate, b"[]", b'"x"', b"1", b"null", b"", b"\xff{"):
        yield {**base, "url": path, "headers": as_json, "content": content}


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_route_survives_the_known_attacks(
    op: Operation, same_connection: KeepAliveProbe
) -> None:
    for request in known_attacks(op, same_connection.token):
        same_connection.send(**request)


# --- hypothesis: hostile values anywhere ------------------------------------------------
@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_route_survives_hostile_values(op: Operation, probe: KeepAliveProbe) -> None:
    @settings(
        max_examples=10,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=hostile_requests(op, probe.token))
    def run(request: dict[str, Any]) -> None:
        probe.check(**request)

    run()


# --- schemathesis -----------------------------------------------------------------------
schema = schemathesis.openapi.from_dict(SPEC)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)
# The coverage phase's boundary and negative values stay; its unexpected-method probes
# (hundreds of 405s) do not test parsing, and cost most of its time.
schema.config.phases.coverage.unexpected_methods = set()


@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_schemathesis_cases_never_get_5xx_or_close_the_connection(
    case: Any, same_connection: KeepAliveProbe
) -> None:
    probe = same_connection
    kwargs = case.as_transport_kwargs(
        base_url=str(probe.client.base_url), headers={"Authorization": f"Bearer {probe.token}"}
    )
    for unused in ("follow_redirects", "allow_redirects", "cookies"):
        kwargs.pop(unused, None)
    if "data" in kwargs and not isinstance(kwargs["data"], dict):
        raw = kwargs.pop("data")  # a non-form body (schemathesis sends odd ones on purpose)
        kwargs["content"] = raw if isinstance(raw, bytes) else str(raw).encode()
    kwargs["url"] = str(kwargs["url"]).removeprefix(str(probe.client.base_url).rstrip("/"))
    # No follow-up request per case (schemathesis' coverage phase sends over a thousand):
    # the next case checks that this one left the connection open, and names it if not.
    probe.send(kwargs.pop("method"), kwargs.pop("url"), **kwargs)
