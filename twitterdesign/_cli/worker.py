"""``twitterdesign worker``: relay the outbox into the fan-out log and consume it."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Annotated

import typer

from twitterdesign._cli._common import cache_url_option, database_url_option, error_line, fail

_HELP = (
    "Run a fan-out worker: relay the database's outbox into the durable fan-out log\n"
    "(a Redis stream; one relay at a time holds a lease) and push each logged status\n"
    "into the home timelines as one consumer of the log's group. Run several on\n"
    "different hosts; a dead worker's unacknowledged entries are claimed by the others.\n"
    "With PostgreSQL and a Redis cache it also applies the deferred like/reblog/reply\n"
    "counters to their Redis shards and (one worker at a time) flushes them back.\n\n"
    "Stops cleanly on SIGTERM or Ctrl-C.\n\n"
    "Examples:\n\n"
    "  twitterdesign worker --database-url postgresql://db/tw --cache-url redis://cache:6379/0\n\n"
    "  TWITTERDESIGN_DATABASE_URL=... TWITTERDESIGN_CACHE_URL=... twitterdesign worker"
)

_REDIS_SCHEMES = ("redis", "rediss", "unix")


def _say(message: str) -> None:
    """Print a status line on stderr (stdout stays free for a future ``--json``)."""
    sys.stderr.write(f"twitterdesign worker: {message}\n")
    sys.stderr.flush()


def _mask(url: str) -> str:
    """Hide a password in ``scheme://user:password@host`` before printing the URL."""
    return re.sub(r"^([a-zA-Z][\w+.-]*://[^/:@]*):[^/@]*@", r"\1:***@", url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def worker_command(
    database_url: Annotated[
        str | None,
        database_url_option(
            "The database whose outbox is relayed.", envvar="TWITTERDESIGN_DATABASE_URL"
        ),
    ] = None,
    cache_url: Annotated[
        str | None,
        cache_url_option("The timeline store the pushes go to.", envvar="TWITTERDESIGN_CACHE_URL"),
    ] = None,
    log_url: Annotated[
        str | None,
        typer.Option(
            "--log-url",
            envvar="TWITTERDESIGN_LOG_URL",
            help="The Redis holding the fan-out log \\[default: the --cache-url Redis].",
            show_default=False,
        ),
    ] = None,
    consumer: Annotated[
        str | None,
        typer.Option(
            "--consumer",
            help="This worker's name in the group; keep it stable across restarts "
            "\\[default: the host name].",
            show_default=False,
        ),
    ] = None,
    log_prefix: Annotated[
        str | None,
        typer.Option(
            "--log-prefix",
            help="Prefix of the log's Redis keys \\[default: the log URL's ?prefix=, else "
            "td:, which is where the app's /metrics reads the log's lag].",
            show_default=False,
        ),
    ] = None,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=10_000, help="Entries per batch.")
    ] = 100,
    claim_idle_s: Annotated[
        float,
        typer.Option(
            "--claim-idle-s",
            min=0.0,
            help="Take over another worker's entries unacknowledged for this long.",
        ),
    ] = 30.0,
) -> None:
    """Relay the outbox into the fan-out log and push its entries into timelines."""
    from twitterdesign.errors import TwitterDesignError
    from twitterdesign.reference_app.log import RedisStreamLog
    from twitterdesign.reference_app.services._factory import (
        counters_deferred,
        open_status_counters,
        open_store,
        open_stream_bus,
        open_timeline_store,
        redis_prefix_of,
        url_scheme,
    )
    from twitterdesign.reference_app.services.counter_worker import CounterWorker
    from twitterdesign.reference_app.services.log_worker import LogWorker
    from twitterdesign.reference_app.services.streaming import publish_applied
    from twitterdesign.reference_app.settings import Settings
    from twitterdesign.timeline import HybridThreshold

    try:
        settings = Settings.from_env(database_url=database_url, cache_url=cache_url)
        deferred = counters_deferred(settings)
    except TwitterDesignError as exc:
        fail(str(exc))
    db_url, cache = settings.resolved_database_url, settings.resolved_cache_url
    log = log_url or cache
    if url_scheme(log) not in _REDIS_SCHEMES:
        fail(f"the fan-out log needs a redis:// URL: pass --log-url (the cache URL is {cache})")
    name = consumer or socket.gethostname()

    opened: list[object] = []
    label = f"--database-url {_mask(db_url)}"
    try:
        store = open_store(
            db_url, synchronous=settings.sqlite_synchronous, deferred_counters=deferred
        )
        opened.append(store)
        label = f"--cache-url {_mask(cache)}"
        timelines = open_timeline_store(
            cache,
            capacity=settings.timeline_cache_size,
            inactive_after_s=settings.active_user_window_s,
        )
        opened.append(timelines)
        label = f"--log-url {_mask(log)}"
        log_rest, url_prefix = redis_prefix_of(log)  # redis-py refuses ?prefix=
        fanout_log = RedisStreamLog(log_rest, prefix=log_prefix or url_prefix)
        opened.append(fanout_log)
        label = f"--cache-url {_mask(cache)}"
        status_counters = open_status_counters(cache) if deferred else None
        if status_counters is not None:
            opened.append(status_counters)
    except Exception as exc:  # one line naming the URL, never a traceback
        for thing in reversed(opened):
            with contextlib.suppress(Exception):
                thing.close()  # type: ignore[attr-defined]
        fail(f"cannot open {label}: {_first_line(exc)}")

    worker = LogWorker(
        store,
        timelines,
        fanout_log,
        policy=HybridThreshold(settings.fanout_threshold),
        consumer=name,
        batch=batch,
        claim_idle_ms=int(claim_idle_s * 1000),
        counters=(
            CounterWorker(store, status_counters, holder=name)  # type: ignore[arg-type]
            if status_counters is not None
            else None
        ),
    )
    # The streaming API hears of each status once it is in the timelines.
    stream_bus = open_stream_bus(cache)
    worker.consumer.on_entry = publish_applied(stream_bus)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    _say(f"{name} started (log {fanout_log.url}, stream {fanout_log.stream})")
    try:
        while not stop.is_set():
            try:
                worker.step()
            except Exception as exc:  # a server restarting: say so, back off, go on
                error_line(f"worker {name}: {_first_line(exc)}; retrying in 1 s")
                stop.wait(1.0)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        with contextlib.suppress(Exception):  # the lease expires by itself
            worker.relay.release()
        if worker.counters is not None:
            with contextlib.suppress(Exception):  # so does the flush lease
                worker.counters.flush()
                worker.counters.release()
        if status_counters is not None:
            status_counters.close()
        stream_bus.close()
        fanout_log.close()
        timelines.close()
        store.close()
    counted = "" if worker.counters is None else f", counter events {worker.counters.applied}"
    _say(
        f"{name} stopped: relayed {worker.relay.published}, "
        f"acknowledged {worker.consumer.acked}{counted}"
    )


def register(app: typer.Typer) -> None:
    """Add ``worker`` to the command-line app."""
    app.command("worker", help=_HELP)(worker_command)
