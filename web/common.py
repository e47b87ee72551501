"""What every web route shares: the services, the templates in each language, refusals,
client keys.

The templates are written in English with `{{ _("…") }}` (and `ngettext`) around every text,
through jinja2's i18n extension; `bot.i18n_catalog` extracts them into the "web" domain with
Babel's jinja2 extractor. Each locale has its own template environment with that locale's
Translator installed (`pages(locale)`), so a page is rendered in one language from top to
bottom, `<html lang>` included, without passing a translator through every template.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import jinja2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from bot.config import Settings
from bot.container import Services
from bot.i18n import DEFAULT_LOCALE, LOCALES, Translator, translator
from web import texts
from web.security import Csrf, LinkSigner, RateLimiter

TEMPLATE_DIR = Path(__file__).parent / "templates"
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
        return f"https://t.me/{self.bot_username}?start={code}" if self.bot_username else None  # i18n: not shown


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@functools.cache
def pages(locale: str) -> Jinja2Templates:
    """The templates, rendering in `locale` (one environment per locale, built once)."""
    tr = translator(locale)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=jinja2.select_autoescape(), extensions=["jinja2.ext.i18n"]
    )
    # Old-style callables: `_()` returns the plain translation, and `.format(name=…)` fills the
    # `{name}` placeholders the catalogue uses everywhere; autoescaping then escapes the result.
    cast(Any, env).install_gettext_callables(tr.gettext, tr.ngettext, newstyle=False, pgettext=tr.pgettext)
    env.globals.update(t=texts, lang=tr.locale)
    return Jinja2Templates(env=env)


def browser_locale(request: Request) -> str:
    """Before anyone has signed in, the language the browser asks for (Accept-Language, in the
    order of its q-values); the first one we speak wins, else English."""
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            wanted.append((-quality, index, tag))
    for _quality, _index, tag in sorted(wanted):
        primary = tag.split("-", 1)[0].lower()
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def browser_translator(request: Request) -> Translator:
    return translator(browser_locale(request))


def refusal(reason: str, tr: Translator, *, html: bool = False, request: Request | None = None) -> Response:
    """A refusal the page can show, in `tr`'s language: JSON for the API, a small page for browsers."""
    status = REFUSAL_STATUS.get(reason, 400)
    message = tr.gettext(texts.APP_REFUSED.get(reason, texts.APP_REFUSED["invalid"]))
    headers = {"Retry-After": "30"} if status == 429 else None
    if html and request is not None:
        return pages(tr.locale).TemplateResponse(request, "refused.html", {"message": message}, status_code=status, headers=headers)
    return JSONResponse({"error": reason, "message": message, "lang": tr.locale}, status_code=status, headers=headers)
