"""The ASGI application and the server that runs it inside the bot's event loop.

`create_app(services, settings)` is the one factory: the room screen and the rapporteur's Mini
App register their routes here, and webhook mode (issue 9) adds its endpoint the same way, so
one port serves everything and every page uses the bot's own domain services.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import Settings
from bot.container import Services
from web import editor_pages, screen_pages
from web.common import WebContext

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"

# Telegram's script (initData, theme, downloadFile) is the only outside resource; the QR code is
# inline SVG and everything else is served from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


class SecurityHeaders:
    """Headers on every answer: no referrer (screen links carry their token in the path), no
    MIME sniffing, a strict content policy, and no caching of anything dynamic."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                ]
                if not static and not any(k == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    services: Services,
    settings: Settings,
    *,
    bot_username: str | None = None,
    bot_token: str | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The web application; `bot_username` builds the join link shown as a QR code, `bot_token`
    (default: the configured one) checks Mini App sign-ins and keys the CSRF tokens;
    `extra_routes`: webhook mode's endpoint and /metrics (telegram_edge.serve)."""
    context = WebContext(services, settings, bot_token or settings.token(), bot_username)
    routes = [
        *extra_routes,
        *screen_pages.routes(),
        *editor_pages.routes(),
        Route("/healthz", _health),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
    app.state.web = context
    return app


def monitoring_app(services: Services) -> Starlette:
    """Only /healthz and /metrics: what a scheduler process serves (`workshop-bot scheduler --port`)."""
    from types import SimpleNamespace

    from web.webhook import metrics_route

    app = Starlette(routes=[Route("/healthz", _health), metrics_route()])
    app.state.web = SimpleNamespace(services=services, closing=asyncio.Event())
    return app


async def _health(request: Any) -> Any:
    """200 "ok" when the database answers and its schema is at this code's migration head;
    503 with the reason otherwise (a load balancer takes the worker out of rotation)."""
    from starlette.responses import PlainTextResponse

    db = request.app.state.web.services.db
    try:
        async with asyncio.timeout(5):
            current = await db.current_revision()
    except Exception:  # unreachable, or refusing us: the driver's exception types vary
        return PlainTextResponse("database unreachable", status_code=503)  # i18n: not shown (for the load balancer)
    if current != db.head_revision():
        return PlainTextResponse("database migrations not current", status_code=503)  # i18n: not shown
    return PlainTextResponse("ok")


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the bot's Application owns Ctrl+C and SIGTERM
    and stops this server from its shutdown hook."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class WebServer:
    """uvicorn serving the application as a task of the running event loop."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,  # paths carry screen tokens; never log them
            log_config=None,
            log_level="warning",
            lifespan="off",
            proxy_headers=True,  # behind a local reverse proxy, rate limits see the real client
            timeout_graceful_shutdown=3,
        )
        self.app = app
        self.server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve(), name="web-server")
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises the bind error, if any
                raise RuntimeError("the web server stopped during start-up")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._task is None:
            return
        context = self.app.state.web
        context.closing.set()  # live screens end their streams at once
        context.services.live.notify_all()
        context.services.screens.close()
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
