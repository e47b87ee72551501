"""What every web route shares: the services, the templates, refusals, client keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from bot.config import Settings
from bot.container import Services
from web import texts
from web.security import Csrf, LinkSigner, RateLimiter

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["t"] = texts
REFUSAL_STATUS = {
    "missing": 401,
    "forged": 401,
    "expired": 401,
    "malformed": 401,
    "role": 403,
    "moderator": 403,
    "csrf": 403,
    "origin": 403,
    "rate": 429,
    "unknown": 404,
    "invalid": 400,
    "link": 403,
}


@dataclass
class WebContext:
    services: Services
    settings: Settings
    bot_token: str
    bot_username: str | None
    csrf: Csrf = field(init=False)
    links: LinkSigner = field(init=False)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    # Per client address: pages and stream connections; per signed-in user: API calls; and
    # failed sign-ins, which get a much smaller allowance.
    page_limit: RateLimiter = field(default_factory=lambda: RateLimiter(per_minute=60, burst=20))
    api_limit: RateLimiter = field(default_factory=lambda: RateLimiter(per_minute=120, burst=30))
    refusal_limit: RateLimiter = field(default_factory=lambda: RateLimiter(per_minute=20, burst=10))
    streams: dict[int, int] = field(default_factory=dict)
    pictures: dict[int, Any] = field(default_factory=dict)  # screen_pages._Picture per session

    def __post_init__(self) -> None:
        self.csrf = Csrf(self.bot_token)
        self.links = LinkSigner(self.bot_token)

    @property
    def origin(self) -> str:
        url = self.settings.public_url or ""
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""

    def join_link(self, code: str) -> str | None:
        return f"https://t.me/{self.bot_username}?start={code}" if self.bot_username else None


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refusal(reason: str, *, html: bool = False, request: Request | None = None) -> Response:
    """A refusal the page can show: JSON for the API, a small page for browsers."""
    status = REFUSAL_STATUS.get(reason, 400)
    message = texts.APP_REFUSED.get(reason, texts.APP_REFUSED["invalid"])
    headers = {"Retry-After": "30"} if status == 429 else None
    if html and request is not None:
        return TEMPLATES.TemplateResponse(request, "refused.html", {"message": message}, status_code=status, headers=headers)
    return JSONResponse({"error": reason, "message": message}, status_code=status, headers=headers)
