"""Run the app with uvicorn (``twitterdesign serve`` uses :func:`run_server`)."""

from __future__ import annotations

from twitterdesign.reference_app.settings import Settings

__all__ = ["run_server"]


def run_server(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
    access_log: bool = False,
) -> None:
    """Serve the app in this process until interrupted (blocking).

    Args:
        settings: The app's settings (data directory and limits).
        host: Interface to bind; loopback by default.
        port: TCP port; 0 picks a free one.
        log_level: uvicorn's log level.
        access_log: Whether uvicorn logs every request.
    """
    import uvicorn

    from twitterdesign.reference_app.api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        proxy_headers=False,
    )
