"""``create_app``: the FastAPI application, its error handling and its lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from twitterdesign import __version__
from twitterdesign.reference_app.api import (
    routes_accounts,
    routes_auth,
    routes_blocks,
    routes_curation,
    routes_debug,
    routes_filters,
    routes_lesson,
    routes_lists,
    routes_media,
    routes_notifications_v2,
    routes_statuses,
    routes_streaming,
    routes_timelines,
)
from twitterdesign.reference_app.api._cors import PathCorsMiddleware
from twitterdesign.reference_app.api._errors import RETRY_AFTER_S, http_status
from twitterdesign.reference_app.api._input import InputGuardMiddleware
from twitterdesign.reference_app.api._middleware import AppMetrics, GatewayMiddleware
from twitterdesign.reference_app.api._render_cache import RenderCache
from twitterdesign.reference_app.api._schemas import ERROR_RESPONSES as _ERRORS
from twitterdesign.reference_app.api._server_errors import UnexpectedErrorMiddleware
from twitterdesign.reference_app.services import AppError, Services
from twitterdesign.reference_app.settings import Settings

__all__ = ["WEB_DIR", "create_app"]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg")))
    return "Validation failed: " + "; ".join(parts)


WEB_DIR = Path(__file__).resolve().parent.parent / "web"
"""The static web client (plain ES modules, no build step), shipped in the package."""


def _serve_web_client(app: FastAPI) -> None:
    """Serve the web client: its page at ``/`` and its files under ``/web/``."""

    @app.get("/", include_in_schema=False)
    def web_client() -> FileResponse:
        # no-cache: a browser revalidates, so a new release's page is never stale.
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the reference app: Mastodon client API, the lesson's API, health and metrics.

    Args:
        settings: Configuration; read from ``TWITTERDESIGN_*`` variables when None.
        services: Pre-built services (tests, multi-process fronts); built from
            ``settings`` when None.

    Returns:
        A FastAPI app. Its lifespan starts the fan-out worker and the view flusher and
        stops them (flushing counters, closing the database) at shutdown.

    Examples:
        >>> import tempfile
        >>> from fastapi.testclient import TestClient
        >>> app = create_app(Settings(data_dir=tempfile.mkdtemp()))
        >>> with TestClient(app) as client:
        ...     client.get("/healthz").json()["status"]
        'ok'
    """
    settings = settings or Settings.from_env()
    svc = services or Services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if svc.blocking_io:
            # Route bodies run in anyio's thread pool, each holding a pooled connection
            # while it runs: more threads than connections would only queue on the pool.
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = svc.settings.database_pool_size
        svc.start()
        try:
            yield
        finally:
            svc.close()

    app = FastAPI(
        title="twitterdesign reference app",
        version=__version__,
        description=(
            "A Twitter backend built from the System Design lesson. Speaks Mastodon's "
            "client API (so Mastodon clients work) and the lesson's own API under "
            "/lesson/v1/."
        ),
        lifespan=lifespan,
    )
    app.state.services = svc
    app.state.settings = settings
    # Read per request by the routes (`off_loop_if_blocking`): a plain attribute, no call.
    app.state.blocking_io = svc.blocking_io
    app.state.render_cache = RenderCache()
    metrics = AppMetrics(svc)
    app.state.metrics = metrics

    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        status = http_status(exc)
        retry = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
        return _error(status, exc.message, retry)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            message = "Record not found" if message == "Not Found" else message
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(_request: Request, _exc: Exception) -> JSONResponse:
        # Only reached if UnexpectedErrorMiddleware (the outermost) fails itself.
        return _error(500, "internal server error")

    @app.get("/healthz", tags=["operations"], summary="Liveness and readiness", responses=_ERRORS)
    def healthz() -> dict[str, Any]:
        """Return ok if the database answers."""
        return {"status": "ok", "version": __version__, **svc.healthy()}

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={**_ERRORS, 200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}},
    )
    def prometheus_metrics() -> Response:
        """Requests and latency per route, fan-out queue depth, sketch memory."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # Routes are matched in order (the two above first) and no two share a path, so the
    # hottest reads go first: every router tried before the right one costs a scan of
    # its routes on every request.
    for module in (
        routes_timelines,
        routes_statuses,
        routes_accounts,
        routes_blocks,
        routes_filters,
        routes_auth,
        routes_media,
        routes_curation,
        routes_lists,
        routes_lesson,
        routes_streaming,
        # Last: its ``/api/v2/notifications/{group_key}`` must not shadow a fixed path.
        routes_notifications_v2,
    ):
        app.include_router(module.router, responses=_ERRORS)

    if settings.debug_api_enabled:
        # Only when asked for: otherwise its path is unknown here (404, no hint).
        app.include_router(routes_debug.router, responses=_ERRORS)

    _serve_web_client(app)

    # Listed innermost first. Hostile input is refused before any route parses it, after
    # the gateway has bounded the body; an unexpected error becomes a 500 inside the
    # gateway (so its metrics count it) and, should the gateway itself fail, outside it:
    # either way the server never sees the exception, so it keeps the connection open.
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(GatewayMiddleware, services=svc, metrics=metrics)
    app.add_middleware(UnexpectedErrorMiddleware)
    # Outermost: preflights are answered before rate limits, and every response the
    # layers below produce (a 429, a 500) carries the headers a web client needs to read it.
    app.add_middleware(PathCorsMiddleware, origins=settings.cors_origin_list)
    return app
