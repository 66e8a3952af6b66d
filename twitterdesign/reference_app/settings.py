"""Settings of the reference app, from arguments or ``TWITTERDESIGN_*`` environment variables."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twitterdesign._validate import check_choice, check_int, check_number
from twitterdesign.errors import InvalidParameterError

__all__ = ["ENV_PREFIX", "Settings"]

ENV_PREFIX = "TWITTERDESIGN_"
"""Prefix of the environment variables `Settings.from_env` reads."""

_SQLITE = "sqlite:///"
_FILE = "file://"
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s?#,]+", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that configures one app instance.

    Every field can be set as ``TWITTERDESIGN_<FIELD NAME IN CAPITALS>`` in the
    environment, e.g. ``TWITTERDESIGN_DATA_DIR=/var/lib/tw``,
    ``TWITTERDESIGN_RATE_LIMITS_ENABLED=false``.

    Attributes:
        data_dir: Directory holding the database and the media blob store (unless
            ``database_url`` or ``blob_url`` put them elsewhere).
        database_url: Where accounts, statuses and the outbox live:
            ``sqlite:///<path>`` (everything after ``sqlite:///`` is the file's path, so
            ``sqlite:////var/lib/tw.db`` is absolute), or
            ``postgresql://user:password@host:5432/dbname`` (``postgres://`` too; an
            optional ``?schema=<name>`` keeps every table in that schema, created if
            missing; other query parameters, e.g. ``sslmode``, go to libpq). None means
            ``sqlite:///<data_dir>/twitterdesign.sqlite3`` (`resolved_database_url`).
        database_pool_size: Most connections to a network database (PostgreSQL); the
            thread pool that runs request handlers is sized to match.
        cache_url: Where home timelines are cached: ``memory://`` (this process's memory,
            the default).
        blob_url: Where media bytes live: ``file://<directory>`` (everything after
            ``file://`` is the path) or ``memory://`` (lost at exit; for tests). None
            means ``file://<data_dir>/media`` (`resolved_blob_url`).
        sqlite_synchronous: ``"FULL"`` (an acknowledged write survives power loss) or
            ``"NORMAL"`` (survives a process crash; faster).
        worker_id: Snowflake worker id of this process (0..1023).
        instance_title: Name shown by ``/api/v1/instance``.
        domain: Host name used in ``acct`` handles and as the instance ``uri``.
        contact_email: The address people write to about this server, shown as
            ``email`` by ``/api/v1/instance`` and ``contact.email`` by
            ``/api/v2/instance``. None means ``admin@<domain>`` (`resolved_contact_email`).
        public_url: Base URL for links in responses; derived from each request if None.
        max_status_chars: Longest status text, in characters (the lesson's 280).
        max_media_attachments: Media per status.
        media_max_bytes: Largest accepted image upload.
        media_max_pixels: Most pixels of an uploaded image, checked from its header before
            it is decoded (of all frames together, if animated); Mastodon's
            ``image_matrix_limit``, 4096 x 4096.
        max_request_bytes: Largest request body accepted at all (413 beyond).
        registrations_open: Whether ``POST /api/v1/accounts`` creates accounts.
        rate_limits_enabled: Whether to enforce the three limits below on ``/api/``,
            ``/oauth/`` and ``/lesson/`` requests. The defaults are Mastodon's
            (``config/initializers/rack_attack.rb``): 300 requests per 5 minutes per
            access token, 1,500 per account over all its tokens, and 300 per client IP
            for *unauthenticated* requests only — a request with a valid token counts
            against its token and account, never against the IP, so users behind one
            address (a browser tab, an office NAT) do not share a budget. A request with
            an invalid token counts as unauthenticated. IPv6 clients are limited per /64.
        rate_limit_per_token: Requests per window per access token (Mastodon: 300).
        rate_limit_per_account: Requests per window per account, over all its tokens
            (Mastodon: 1,500).
        rate_limit_per_ip: Unauthenticated requests per window per client IP
            (Mastodon: 300).
        rate_limit_window_s: Length of the rate-limit window (Mastodon: 5 minutes).
        fanout_threshold: Largest follower count whose posts are still pushed into
            followers' caches; accounts with more are "celebrities", pulled at read time
            (``twitterdesign.timeline.HybridThreshold``). 1,000 bounds one post's fan-out
            to 1,000 cache writes, a few milliseconds of a worker's time, while almost
            every account is still pushed. `twitterdesign timeline simulate` defaults to
            10,000 for its 100,000-user graph and the demo to half its users; the how-to
            "Choose a fan-out threshold" explains each and how to pick yours.
        fanout_in_app: Whether this process consumes the outbox and pushes new statuses
            into home timelines itself (every process does, each into its own timelines,
            in the embedded mode). False when ``twitterdesign worker`` processes do the
            fan-out into shared Redis timelines: then no app process pushes at all.
        timeline_cache_size: Entries kept per home timeline cache (Twitter kept 800).
        ranked_home_candidates: How many of the newest home-timeline entries compete
            for the ranked ("Top") home timeline
            (`twitterdesign.reference_app.services.ranking`).
        active_user_window_s: Followers who have not read their home timeline for this
            long get no pushes; their cache is rebuilt from storage on the next read.
        trends_window_s: How far back trends look.
        sketch_persist_interval_s: How often trend/view sketches are saved.
        trends_publish_interval_s: Over a network database (several app instances on
            one PostgreSQL), how often each instance publishes its changed trend
            sketches for the others to merge: trends agree across instances up to this
            lag. Unused by the embedded SQLite mode.
        view_flush_interval_s: How often buffered view counts are written to storage.
        counter_mode: How favourite, reblog, reply and view counters reach the status
            columns. ``"inline"``: in the writer's transaction (views: batched per
            process). ``"deferred"``: the cluster's sharded counters — the transaction
            logs a counter event, workers add it to Redis shards and flush the sums to
            PostgreSQL in batches (no row lock shared by every like of a hot status);
            needs a PostgreSQL
            ``database_url`` and a Redis ``cache_url``. ``"auto"`` (the default):
            deferred exactly when both are set that way, inline otherwise (see
            `twitterdesign.reference_app.services.counters`).
        cors_origins: Origins whose web pages may call the API, comma-separated: ``*``
            (any, Mastodon's choice: the API authenticates by bearer token only, never
            by cookie), exact origins such as ``https://elk.zone,http://localhost:5173``,
            or empty to send no CORS headers.
        token_cache_ttl_s: Seconds each app process trusts an access-token lookup it
            has made, when several processes share a Redis ``cache_url``: a hit costs
            no database round trip. A revoke takes effect at once in the process that
            revoked and in the others as soon as the stream bus delivers it; this is
            the bound should that message be lost. 0 looks every token up every time.
            (The embedded mode always looks up: SQLite answers in microseconds.)
        trust_forwarded_for: Take the client address from ``X-Forwarded-For`` sent by a
            proxy on the loopback interface (the multi-process front sets it).
        argon2_time_cost: Argon2id iterations for password hashes.
        argon2_memory_kib: Argon2id memory for password hashes.
        debug_api_enabled: Serve the read-only teaching endpoint
            ``GET /lesson/v1/debug/statuses/{id}`` (how a status was fanned out, its
            sharded counters, its Snowflake id decoded; the web client's "How it works"
            panel). Off by default: the route then answers 404 like any unknown path.
            ``twitterdesign demo --keep-serving`` turns it on.

    Examples:
        >>> Settings(data_dir="/tmp/tw").database_path.name
        'twitterdesign.sqlite3'
        >>> Settings(data_dir="/tmp/tw").resolved_blob_url
        'file:///tmp/tw/media'
        >>> Settings.from_env({"TWITTERDESIGN_MAX_STATUS_CHARS": "500"}).max_status_chars
        500
    """

    data_dir: Path = field(default_factory=lambda: Path("twitterdesign-data"))
    database_url: str | None = None
    database_pool_size: int = 10
    cache_url: str = "memory://"
    blob_url: str | None = None
    sqlite_synchronous: str = "FULL"
    worker_id: int = 0
    instance_title: str = "twitterdesign"
    domain: str = "localhost"
    contact_email: str | None = None
    public_url: str | None = None
    max_status_chars: int = 280
    max_media_attachments: int = 4
    media_max_bytes: int = 8_000_000
    media_max_pixels: int = 16_777_216
    max_request_bytes: int = 10_000_000
    registrations_open: bool = True
    rate_limits_enabled: bool = True
    rate_limit_per_token: int = 300
    rate_limit_per_account: int = 1_500
    rate_limit_per_ip: int = 300
    rate_limit_window_s: float = 300.0
    fanout_threshold: int = 1_000
    fanout_in_app: bool = True
    timeline_cache_size: int = 800
    ranked_home_candidates: int = 200
    active_user_window_s: float = 7 * 86_400.0
    trends_window_s: float = 6 * 3600.0
    sketch_persist_interval_s: float = 30.0
    trends_publish_interval_s: float = 2.0
    view_flush_interval_s: float = 2.0
    counter_mode: str = "auto"
    cors_origins: str = "*"
    token_cache_ttl_s: float = 30.0
    trust_forwarded_for: bool = False
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    debug_api_enabled: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        for name in ("database_url", "cache_url", "blob_url"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or "://" not in value):
                # Which schemes are supported is the factory's business; this only
                # catches a value that is not a URL at all.
                raise InvalidParameterError(name, value, "a URL such as scheme://...")
        check_choice("sqlite_synchronous", self.sqlite_synchronous, ["FULL", "NORMAL"])
        check_choice("counter_mode", self.counter_mode, ["auto", "inline", "deferred"])
        for origin in self.cors_origin_list:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise InvalidParameterError(
                    "cors_origins",
                    self.cors_origins,
                    "*, or comma-separated origins such as https://elk.zone (scheme, host, "
                    "optional port; no path)",
                )
        if self.contact_email is not None and not _EMAIL.fullmatch(self.contact_email):
            raise InvalidParameterError(
                "contact_email", self.contact_email, "an address such as admin@example.org"
            )
        check_int("worker_id", self.worker_id, minimum=0, maximum=1023)
        for name in (
            "max_status_chars",
            "media_max_bytes",
            "media_max_pixels",
            "max_request_bytes",
            "rate_limit_per_token",
            "rate_limit_per_account",
            "rate_limit_per_ip",
            "fanout_threshold",
            "timeline_cache_size",
            "argon2_time_cost",
            "database_pool_size",
        ):
            check_int(name, getattr(self, name), minimum=1)
        check_int("max_media_attachments", self.max_media_attachments, minimum=0, maximum=16)
        check_int("argon2_memory_kib", self.argon2_memory_kib, minimum=8)
        check_int("ranked_home_candidates", self.ranked_home_candidates, minimum=1, maximum=800)
        check_number("token_cache_ttl_s", self.token_cache_ttl_s, minimum=0.0)
        for name in (
            "active_user_window_s",
            "rate_limit_window_s",
            "trends_window_s",
            "sketch_persist_interval_s",
            "trends_publish_interval_s",
            "view_flush_interval_s",
        ):
            check_number(name, getattr(self, name), minimum=0.0, min_inclusive=False)

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        """``cors_origins`` split at commas, blanks dropped (empty: CORS off).

        Examples:
            >>> Settings(cors_origins="https://elk.zone, http://localhost:5173").cors_origin_list
            ('https://elk.zone', 'http://localhost:5173')
        """
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())

    @property
    def resolved_contact_email(self) -> str:
        """``contact_email``, or ``admin@<domain>`` when it is None.

        Examples:
            >>> Settings(domain="social.example").resolved_contact_email
            'admin@social.example'
        """
        if self.contact_email is not None:
            return self.contact_email
        return f"admin@{self.domain}"

    @property
    def resolved_database_url(self) -> str:
        """``database_url``, or the SQLite file inside ``data_dir`` when it is None."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'twitterdesign.sqlite3'}"

    @property
    def resolved_cache_url(self) -> str:
        """``cache_url`` (it has a default; the property exists for symmetry)."""
        return self.cache_url

    @property
    def resolved_blob_url(self) -> str:
        """``blob_url``, or the ``media`` directory inside ``data_dir`` when it is None."""
        if self.blob_url is not None:
            return self.blob_url
        return f"file://{self.data_dir / 'media'}"

    @property
    def database_path(self) -> Path:
        """The SQLite file: from a ``sqlite:///`` database URL, else inside ``data_dir``."""
        url = self.resolved_database_url
        if url.startswith(_SQLITE):
            return Path(url[len(_SQLITE) :])
        return self.data_dir / "twitterdesign.sqlite3"

    @property
    def media_dir(self) -> Path:
        """The blob directory: from a ``file://`` blob URL, else ``media`` in ``data_dir``."""
        url = self.resolved_blob_url
        if url.startswith(_FILE):
            return Path(url[len(_FILE) :])
        return self.data_dir / "media"

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_env(self) -> dict[str, str]:
        """Return the ``TWITTERDESIGN_*`` variables that reproduce these settings.

        Examples:
            >>> Settings(data_dir="/tmp/x", rate_limits_enabled=False).to_env()[
            ...     "TWITTERDESIGN_RATE_LIMITS_ENABLED"]
            'false'
        """
        out: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            text = str(value).lower() if isinstance(value, bool) else str(value)
            out[ENV_PREFIX + f.name.upper()] = text
        return out

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``TWITTERDESIGN_*`` variables, then apply ``overrides``.

        Args:
            environ: The environment to read; ``os.environ`` when None.
            **overrides: Field values that win over the environment.

        Raises:
            InvalidParameterError: For an unparsable value or an unknown override.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, str(f.type), raw)
        known = {f.name for f in dataclasses.fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise InvalidParameterError(key, value, "a Settings field")
            if value is not None:
                values[key] = value
        return cls(**values)


def _parse(name: str, type_name: str, raw: str) -> Any:
    text = raw.strip()
    try:
        if type_name == "bool":
            low = text.lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        if type_name == "int":
            return int(text)
        if type_name == "float":
            return float(text)
    except ValueError:
        raise InvalidParameterError(ENV_PREFIX + name.upper(), raw, f"a {type_name}") from None
    if type_name == "str | None":
        return text or None
    return text
