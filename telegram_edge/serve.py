"""Webhook mode: `workshop-bot serve` and `workshop-bot scheduler`.

A worker is one process running the ASGI application of web.app (room screen, Mini Apps,
/healthz) plus the webhook endpoint and /metrics, on uvicorn. Its Application is started
without polling; it is a scheduler candidate only with `--scheduler`. uvicorn's `--workers N`
forks N such processes on one socket; each builds its own Application in `create_worker_app`
(uvicorn calls it in the worker, as a factory), so nothing is shared but PostgreSQL.

`workshop-bot scheduler` runs a candidate with no HTTP at all: it waits for leadership
(bot.leadership), then fires schedules and runs broadcasts until it is stopped or loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette

from bot.config import Settings, load_settings
from bot.logging_setup import configure_logging

log = logging.getLogger(__name__)
CANDIDATE_ENV = "WORKSHOP_SCHEDULER_CANDIDATE"  # set by the CLI for its forked workers


async def start_application(services: Any, settings: Settings, *, scheduler: bool) -> Any:
    """An initialised, started Application that does not poll: webhook workers and the scheduler.
    (`post_init` runs only inside run_polling, so its hook is called here.)"""
    from bot import metrics
    from telegram_edge.app import build_application, on_startup

    metrics.enable()  # these processes serve /metrics; a polling bot does not import Prometheus
    _count_answers(services)
    application = build_application(settings, services, scheduler=scheduler)
    application.bot_data.webhook_worker = True  # the web pages are this worker's ASGI app, not a second server
    await application.initialize()
    await application.start()
    await on_startup(application)
    return application


def _count_answers(services: Any) -> None:
    """Answers committed, for /metrics: ahead of whoever else listens (the live room screen)."""
    from bot import metrics

    listener = services.participation.on_answer

    def on_answer(session_id: int) -> None:
        metrics.ANSWERS.inc()
        if listener is not None:
            listener(session_id)

    services.participation.on_answer = on_answer


async def stop_application(application: Any) -> None:
    from telegram_edge.app import on_shutdown

    if application.running:
        await application.stop()
    await on_shutdown(application)
    await application.shutdown()


def create_worker_app() -> Starlette:
    """uvicorn's factory, called in each worker process."""
    from starlette.routing import Route

    from bot.container import build_services
    from web.app import create_app
    from web.webhook import metrics_route, webhook_route

    settings = load_settings()
    configure_logging(settings.log_level)
    secret = settings.secret()
    scheduler = os.environ.get(CANDIDATE_ENV) == "1"
    services = build_services(settings)
    holder: dict[str, Any] = {}

    class _Deferred:
        """The endpoint needs the Application, which exists only once the lifespan has started."""

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await holder["endpoint"](scope, receive, send)

    app = create_app(
        services,
        settings,
        extra_routes=[Route(settings.webhook_path, _Deferred(), methods=["POST"]), metrics_route()],
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        application = await start_application(services, settings, scheduler=scheduler)
        holder["endpoint"] = webhook_route(application, secret, services.db, settings.webhook_path).app
        app.state.web.bot_username = application.bot.username
        try:
            yield
        finally:
            await stop_application(application)

    app.router.lifespan_context = lifespan
    return app


def serve(host: str, port: int, workers: int, *, scheduler: bool) -> None:
    """Run the workers (blocking). Several workers share their metrics through a directory."""
    import tempfile

    import uvicorn

    os.environ[CANDIDATE_ENV] = "1" if scheduler else "0"
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.TemporaryDirectory(prefix="workshop-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir.name
    try:
        uvicorn.run(
            "telegram_edge.serve:create_worker_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,  # URLs of the web pages carry tokens
            log_config=None,
            lifespan="on",
            proxy_headers=True,
            timeout_graceful_shutdown=10,
        )
    finally:
        if metrics_dir is not None:
            metrics_dir.cleanup()


async def run_scheduler(settings: Settings, *, host: str = "127.0.0.1", port: int | None = None) -> None:
    """A scheduler candidate until SIGINT/SIGTERM; with `port`, its /metrics (leadership, deliveries,
    429s) and /healthz on host:port for the monitoring."""
    from bot.container import build_services

    services = build_services(settings)
    application = await start_application(services, settings, scheduler=True)
    server = None
    if port is not None:
        from web.app import WebServer, monitoring_app

        server = WebServer(monitoring_app(services), host, port)
        await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        if server is not None:
            await server.stop()
        await stop_application(application)
