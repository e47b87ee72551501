"""The rapporteur's editor and the screen moderator view, as Telegram Mini Apps.

The page itself is an empty shell: Telegram gives its script the signed `initData`, which
the page sends with every request in the X-Telegram-Init-Data header. Each request checks the
signature and its age, then the user's role for that session, then (for changes) the CSRF
token and the Origin; only then does it call the same domain services as the chat commands,
so every change is a new numbered report version. Answers are HTML fragments rendered here.

Language: the shell, served before anyone signs in, speaks the browser's language; every
answer then speaks the signed-in user's (their /language choice, else their Telegram app's
`language_code` from the verified initData) and carries `lang` and the script's own labels, so
the page switches as a whole (`<html lang>` included).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.i18n import Translator, translator
from bot.reports.render import MIME_TYPES
from bot.services.access import NotAllowed
from bot.services.reporting import SECTION_TEXT_LIMIT, Draft
from bot.services.views import UserRef
from web import texts
from web.common import WebContext, browser_translator, client_key, pages, refusal, web
from web.telegram_auth import InitDataRefused, WebAppUser, validate

EXPORTS = ("md", "html", "docx", "pdf", "csv", "chart")
LABEL_LIMIT = 80
INIT_DATA_HEADER = "x-telegram-init-data"
CSRF_HEADER = "x-csrf-token"


def routes() -> list[Route]:
    return [
        Route("/app/editor/{session_id:int}", shell("editor")),
        Route("/app/moderate/{session_id:int}", shell("moderate")),
        Route("/app/api/{session_id:int}/draft", draft_view),
        Route("/app/api/{session_id:int}/action", draft_action, methods=["POST"]),
        Route("/app/api/{session_id:int}/moderation", moderation_view),
        Route("/app/api/{session_id:int}/screen", moderation_action, methods=["POST"]),
        Route("/app/export/{session_id:int}/{fmt}", export),
    ]


def shell(page: str) -> Callable[[Request], Awaitable[Response]]:
    """The page Telegram opens: no data in it, only the script that signs in."""

    async def render(request: Request) -> Response:
        tr = browser_translator(request)
        if not web(request).page_limit.allow(client_key(request)):
            return refusal("rate", tr, html=True, request=request)
        context = {"page": page, "session_id": request.path_params["session_id"], "labels": labels(tr)}
        return pages(tr.locale).TemplateResponse(request, "app_shell.html", context)

    return render


def labels(tr: Translator) -> dict[str, str]:
    """What the page's script says by itself, in `tr`'s language."""
    return {key: tr.gettext(text) for key, text in texts.APP_LABELS.items()}


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _user_of(context: WebContext, request: Request) -> WebAppUser:
    """The signed-in Telegram user, or Refused. Failed sign-ins are rate limited per address."""
    try:
        return validate(request.headers.get(INIT_DATA_HEADER), context.bot_token)
    except InitDataRefused as problem:
        context.refusal_limit.allow(client_key(request))
        raise Refused(problem.reason) from None


def _ref(user: WebAppUser) -> UserRef:
    return UserRef(user.telegram_id, user.first_name, user.last_name, user.username, user.language)


Body = Callable[[WebContext, WebAppUser, int, Translator], Awaitable[Response]]


async def _guarded(request: Request, role: str, body: Body, *, change: bool) -> Response:
    """Rate limit, sign-in, role (on every request), CSRF and Origin for changes; then `body`,
    in the signed-in user's language (refusals before sign-in: the browser's)."""
    context = web(request)
    session_id = int(request.path_params["session_id"])
    address = client_key(request)
    tr = browser_translator(request)
    if not context.api_limit.allow(f"ip:{address}") or not context.refusal_limit.has_room(address):
        return refusal("rate", tr)  # an address that keeps failing to sign in is held off for a while
    try:
        user = _user_of(context, request)
        tr = translator(await context.services.languages.locale_of(user.telegram_id, user.language))
        if not context.api_limit.allow(f"user:{user.telegram_id}"):
            raise Refused("rate")
        allowed = (
            await context.services.report_shaping.can_report(_ref(user), session_id)
            if role == "report"
            else await context.services.screens.can_moderate(_ref(user), session_id)
        )
        if not allowed:
            raise Refused("role" if role == "report" else "moderator")
        if change:
            origin = request.headers.get("origin")
            if origin is not None and origin != context.origin:
                raise Refused("origin")
            if not context.csrf.valid(request.headers.get(CSRF_HEADER), user.telegram_id, session_id, user.auth_date):
                raise Refused("csrf")
        return await body(context, user, session_id, tr)
    except Refused as refused:
        return refusal(refused.reason, tr)
    except NotAllowed:
        return refusal("role" if role == "report" else "moderator", tr)
    except LookupError:
        return refusal("unknown", tr)
    except (ValueError, TypeError, KeyError):
        return refusal("invalid", tr)


# ----- the editor ----------------------------------------------------------------------------


async def draft_view(request: Request) -> Response:
    async def body(context: WebContext, user: WebAppUser, session_id: int, tr: Translator) -> Response:
        draft = await context.services.reporting.latest(_ref(user), session_id)
        return await _draft_response(context, user, session_id, draft, "", tr)

    return await _guarded(request, "report", body, change=False)


async def _draft_response(context: WebContext, user: WebAppUser, session_id: int, draft: Draft, message: str, tr: Translator) -> Response:
    hidden = await context.services.report_shaping.hidden_statements(_ref(user), session_id)
    downloads = []
    for fmt in EXPORTS:
        expires, signature = context.links.sign(user.telegram_id, session_id, fmt)
        downloads.append((fmt, f"/app/export/{session_id}/{fmt}?u={user.telegram_id}&e={expires}&s={signature}"))
    html = pages(tr.locale).get_template("editor_body.html").render(draft=draft, report=draft.report, hidden=hidden, downloads=downloads)
    csrf = context.csrf.token(user.telegram_id, session_id, user.auth_date)
    return JSONResponse(
        {
            "html": html,
            "csrf": csrf,
            "version": draft.version,
            "approved": draft.approved,
            "message": message,
            **_page_language(tr, texts.EDITOR_TITLE),
        }
    )


def _page_language(tr: Translator, title: str) -> dict[str, object]:
    """What the script needs to switch the whole page to the user's language."""
    return {"lang": tr.locale, "title": tr.gettext(title), "labels": labels(tr)}


async def draft_action(request: Request) -> Response:
    async def body(context: WebContext, user: WebAppUser, session_id: int, tr: Translator) -> Response:
        data = await _json(request)
        action = str(data.get("action", ""))
        draft = await _apply(context, _ref(user), session_id, action, data)
        done = tr.gettext(texts.EDITOR_DONE[action]).format(version=draft.version)
        return await _draft_response(context, user, session_id, draft, done, tr)

    return await _guarded(request, "report", body, change=True)


async def _apply(context: WebContext, user: UserRef, session_id: int, action: str, data: dict[str, Any]) -> Draft:
    """One editor action through the same services as the chat commands."""
    reporting, shaping = context.services.reporting, context.services.report_shaping

    async def statement(field: str) -> int:
        contribution_id = int(data[field])
        if await reporting.session_of_contribution(contribution_id) != session_id:
            raise LookupError(contribution_id)
        return contribution_id

    if action == "edit":
        kind, key, text = str(data["kind"]), str(data.get("key", "")), str(data["text"]).strip()
        if kind not in ("summary", "section") or not text or len(text) > SECTION_TEXT_LIMIT:
            raise ValueError(kind)
        return await reporting.edit(user, session_id, kind, "" if kind == "summary" else key, text)
    if action == "restore":
        kind = str(data["kind"])
        if kind not in ("summary", "section"):
            raise ValueError(kind)
        return await reporting.restore(user, session_id, kind, "" if kind == "summary" else str(data.get("key", "")))
    if action == "rename":
        label = " ".join(str(data["label"]).split())[:LABEL_LIMIT]
        if not label:
            raise ValueError("label")
        return await reporting.edit(user, session_id, "rename", str(await statement("contribution")), label)
    if action == "merge":
        return await reporting.edit(user, session_id, "merge", str(await statement("contribution")), str(await statement("target")))
    if action == "move":
        return await shaping.move(user, await statement("contribution"), await statement("target"))
    if action == "split":
        return await shaping.split(user, await statement("contribution"), str(data.get("label", "")))
    if action in ("hide", "unhide"):
        return await reporting.set_hidden(user, await statement("contribution"), action == "hide")
    if action == "regenerate":
        return await reporting.regenerate(user, session_id)
    if action == "approve":
        return await reporting.approve(user, session_id)
    raise ValueError(action)


async def export(request: Request) -> Response:
    """A signed download link: valid for its user and a few minutes, and the role is checked again."""
    context = web(request)
    tr = browser_translator(request)
    if not context.page_limit.allow(client_key(request)) or not context.refusal_limit.has_room(client_key(request)):
        return refusal("rate", tr)
    session_id, fmt = int(request.path_params["session_id"]), request.path_params["fmt"]
    try:
        telegram_id, expires, signature = int(request.query_params["u"]), int(request.query_params["e"]), request.query_params["s"]
    except (KeyError, ValueError):
        return refusal("link", tr)
    if fmt not in EXPORTS or not context.links.valid(telegram_id, session_id, fmt, expires, signature):
        context.refusal_limit.allow(client_key(request))
        return refusal("link", tr)
    user = UserRef(telegram_id)
    try:
        if fmt == "chart":
            from bot.reports.render.chart import render_chart

            draft = await context.services.reporting.latest(user, session_id)
            png = await asyncio.to_thread(render_chart, draft.report)
            if png is None:
                return refusal("unknown", tr)
            name, content, mime = f"chart-v{draft.version}.png", png, MIME_TYPES["png"]
        else:
            name, content = await context.services.reporting.export(user, session_id, fmt)
            mime = MIME_TYPES[fmt]
    except NotAllowed:
        return refusal("role", tr)
    except LookupError:
        return refusal("unknown", tr)
    return Response(io.BytesIO(content).getvalue(), media_type=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ----- the screen moderator view -------------------------------------------------------------


async def moderation_view(request: Request) -> Response:
    async def body(context: WebContext, user: WebAppUser, session_id: int, tr: Translator) -> Response:
        return await _moderation_response(context, user, session_id, "", tr)

    return await _guarded(request, "moderate", body, change=False)


async def _moderation_response(context: WebContext, user: WebAppUser, session_id: int, message: str, tr: Translator) -> Response:
    listing = await context.services.screens.moderation_list(_ref(user), session_id)
    html = pages(tr.locale).get_template("moderate_body.html").render(title=listing.title, statements=listing.statements)
    csrf = context.csrf.token(user.telegram_id, session_id, user.auth_date)
    return JSONResponse({"html": html, "csrf": csrf, "message": message, **_page_language(tr, texts.MODERATE_TITLE)})


async def moderation_action(request: Request) -> Response:
    async def body(context: WebContext, user: WebAppUser, session_id: int, tr: Translator) -> Response:
        data = await _json(request)
        contribution_id, on_screen = int(data["contribution"]), bool(data["on_screen"])
        if await context.services.reporting.session_of_contribution(contribution_id) != session_id:
            raise LookupError(contribution_id)
        await context.services.screens.set_on_screen(_ref(user), contribution_id, on_screen)
        message = tr.gettext(texts.MODERATE_DONE_SHOW if on_screen else texts.MODERATE_DONE_HIDE).format(id=contribution_id)
        return await _moderation_response(context, user, session_id, message, tr)

    return await _guarded(request, "moderate", body, change=True)


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > 16_384:
        raise ValueError("too large")  # i18n: not shown (answered as "invalid")
    data = json.loads(raw or b"{}")
    if not isinstance(data, dict):
        raise ValueError("not an object")  # i18n: not shown
    return data
