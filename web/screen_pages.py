"""The room screen: a full-screen page for the projector, kept live through Server-Sent Events.

The page and its stream are opened by an unguessable read-only token (`/screen CODE` in the
bot). The stream wakes when the participation service reports a committed answer, and polls a
cheap fingerprint every POLL_SECONDS for everything else (reactions, edits, joins, answers
stored by another process, a revoked token); it renders the live part once per change and
sends it as HTML. Nothing on the screen carries a name.

The screen speaks its event's report language (`events.report_language`): it is shown to a
room, not to one person, and the room is the event's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import segno
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bot.services.screen import ScreenSnapshot
from web.common import WebContext, browser_translator, client_key, pages, refusal, web

POLL_SECONDS = 1.5  # the fallback: changes the notifier cannot see show within this
MIN_INTERVAL = 1.0  # a burst of answers becomes one update; the database is read at most this often
TOKEN_CHECK_SECONDS = 3.0  # a revoked link stops its screens within this
REFRESH_SECONDS = 10.0  # re-render anyway, so themes regrouped meanwhile appear
KEEPALIVE_SECONDS = 15.0
MAX_STREAMS_PER_SESSION = 20


def routes() -> list[Route]:
    return [
        Route("/screen/{token}", screen_page),
        Route("/screen/{token}/live", screen_stream),
    ]


def _live_html(snapshot: ScreenSnapshot) -> str:
    return pages(snapshot.language).get_template("screen_live.html").render(s=snapshot)


async def screen_page(request: Request) -> Response:
    context = web(request)
    tr = browser_translator(request)
    if not context.page_limit.allow(client_key(request)) or not context.refusal_limit.has_room(client_key(request)):
        return refusal("rate", tr, html=True, request=request)
    token = request.path_params["token"]
    session_id = await context.services.screens.session_of_token(token)
    snapshot = await context.services.screens.snapshot(session_id) if session_id is not None else None
    if snapshot is None:
        context.refusal_limit.allow(client_key(request))
        return pages(tr.locale).TemplateResponse(request, "screen_missing.html", {}, status_code=404)
    link = context.join_link(snapshot.join_code)
    qr = segno.make(link or snapshot.join_code, error="m").svg_inline(scale=8, border=2, dark="#000", light="#fff", omitsize=True)
    return pages(snapshot.language).TemplateResponse(
        request,
        "screen.html",
        {"s": snapshot, "qr": qr, "link": link, "live_html": _live_html(snapshot), "stream_url": f"/screen/{token}/live"},
    )


async def screen_stream(request: Request) -> Response:
    context = web(request)
    tr = browser_translator(request)
    if not context.page_limit.allow(client_key(request)) or not context.refusal_limit.has_room(client_key(request)):
        return refusal("rate", tr)
    session_id = await context.services.screens.session_of_token(request.path_params["token"])
    if session_id is None:
        context.refusal_limit.allow(client_key(request))
        return refusal("unknown", tr)
    if context.streams.get(session_id, 0) >= MAX_STREAMS_PER_SESSION:
        return refusal("rate", tr)
    return StreamingResponse(
        _events(context, request.path_params["token"], session_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class _Picture:
    """The live part of one session's screen, rendered once and shared by all its streams."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.fingerprint: object = None
        self.html = ""
        self.seen = 0  # the notifier's version when the database was last read
        self.checked_at = self.rendered_at = -REFRESH_SECONDS


async def _current_html(context: WebContext, session_id: int) -> tuple[str, int] | None:
    """Re-render only when the fingerprint changed (or every REFRESH_SECONDS, for themes), and
    look at the database at most once per MIN_INTERVAL whatever the number of screens."""
    picture: _Picture = context.pictures.setdefault(session_id, _Picture())
    async with picture.lock:
        now = time.monotonic()
        if now - picture.checked_at < MIN_INTERVAL:
            return picture.html, picture.seen
        picture.checked_at, picture.seen = now, context.services.live.version(session_id)
        fingerprint = await context.services.screens.fingerprint(session_id)
        if fingerprint != picture.fingerprint or now - picture.rendered_at > REFRESH_SECONDS:
            snapshot = await context.services.screens.snapshot(session_id)
            if snapshot is None:
                return None
            picture.html, picture.fingerprint, picture.rendered_at = _live_html(snapshot), fingerprint, now
        return picture.html, picture.seen


async def _events(context: WebContext, token: str, session_id: int) -> AsyncIterator[str]:
    screens = context.services.screens
    context.streams[session_id] = context.streams.get(session_id, 0) + 1
    try:
        yield "retry: 2000\n\n"
        last_html = ""
        sent_at = checked_at = rendered_at = time.monotonic()
        live = context.services.live
        while not context.closing.is_set():
            if time.monotonic() - checked_at > TOKEN_CHECK_SECONDS:
                checked_at = time.monotonic()
                if await screens.session_of_token(token) != session_id:
                    yield "event: revoked\ndata: revoked\n\n"
                    return
            current = await _current_html(context, session_id)
            if current is None:
                return
            html, seen = current
            now = rendered_at = time.monotonic()
            if html != last_html:
                last_html, sent_at = html, now
                yield _sse("update", html)
            elif now - sent_at > KEEPALIVE_SECONDS:
                sent_at = now
                yield ": keepalive\n\n"
            await live.wait(session_id, POLL_SECONDS, seen)
            pause = MIN_INTERVAL - (time.monotonic() - rendered_at)
            if pause > 0:
                await asyncio.sleep(pause)  # a burst of answers becomes one update per MIN_INTERVAL
    finally:
        context.streams[session_id] -= 1


def _sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines())
    return f"event: {event}\n{lines}\n"
