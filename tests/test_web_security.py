"""Every refusal of the web endpoints, through the real ASGI application and domain services
(both database backends): missing, forged, expired and malformed initData; a user without the
role; a change without the CSRF token, with another session's token or from another origin;
tampered and expired download links; unknown and revoked screen tokens; rate limits; and no
names or tokens leaking through an anonymous session's pages, JSON or logs."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.container import Services
from bot.services.views import MessageRef, UserRef
from storage.models import Anonymity, Session, SessionStatus
from tests.conftest import ORGANISER
from web.app import create_app
from web.security import RateLimiter
from web.telegram_auth import InitDataRefused, sign, validate

if TYPE_CHECKING:
    from fake_bot_api import FakeBotAPI

TOKEN = "123456:TEST-TOKEN-0123456789abcdefghij"
PUBLIC = "https://workshop.example.org"
AGENDA = """
event: {title: Forum, starts_on: 2026-02-11, timezone: Europe/Oslo}
sessions:
  - title: Planning modalities
    anonymity: anonymous
    prompts:
      - challenge: What made planning hard?
      - recommendation: What should change?
  - title: Funding
    prompts:
      - challenge: What is missing?
"""


def init_data(telegram_id: int, *, age: int = 0, token: str = TOKEN, **extra: str) -> str:
    fields = {"auth_date": str(int(time.time()) - age), "user": json.dumps({"id": telegram_id, "first_name": "X"}), **extra}
    return sign(fields, token)


def test_init_data_validation() -> None:
    good = init_data(7)
    assert validate(good, TOKEN).telegram_id == 7
    for data, reason in [
        (None, "missing"),
        ("", "missing"),
        (init_data(7, token="654321:OTHER-TOKEN-0123456789abcdefghij"), "forged"),
        (good.replace("%22id%22%3A+7", "%22id%22%3A+8"), "forged"),  # another user, same hash
        (good + "&extra=1", "forged"),
        (good + "&hash=abc", "malformed"),  # a repeated key
        (init_data(7, age=3601), "expired"),
        (init_data(7, age=-600), "expired"),  # from the future
        ("%%%", "malformed"),
        (sign({"auth_date": str(int(time.time()))}, TOKEN), "malformed"),  # no user
    ]:
        with pytest.raises(InitDataRefused) as refused:
            validate(data, TOKEN)
        assert refused.value.reason == reason, data


def test_rate_limiter_refills() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", now=0.0)
    assert limiter.has_room("a", now=1.0) and limiter.allow("a", now=1.0) and not limiter.has_room("a", now=1.0)


@pytest.fixture
async def seeded(services: Services) -> tuple[Services, int, int, list[int]]:
    """An anonymous session (with two named participants' answers) and a named one; user 2001
    is the anonymous session's rapporteur, 3000 and 3001 are participants."""
    organiser = UserRef(ORGANISER, "Olivia")
    event = (await services.organising.import_agenda(organiser, AGENDA)).event
    anonymous, named = event.sessions
    await services.organising.set_status(organiser, anonymous.join_code, SessionStatus.OPEN)
    participation = services.participation
    await participation.start(UserRef(2001, "Ravi", username="ravi"), None)
    await services.organising.grant(organiser, anonymous.join_code, "rapporteur", "@ravi")
    for n, name in enumerate(["Zenobia Quartermaine", "Ximena Oyelaran-Brightwater"]):
        user = UserRef(3000 + n, name)
        await participation.join(user, anonymous.join_code)
        await participation.consent(user, True)
        await services.router.text(user, name, MessageRef(user.telegram_id, 1))
        await services.router.text(user, "Secret Ministry", MessageRef(user.telegram_id, 2))
        await participation.choose_community(user, "development")
        await services.router.text(user, f"Planning cycles ignore conflict analysis ({n}).", MessageRef(user.telegram_id, 10))
        await services.router.text(user, f"Budgets arrive after the crisis peaks ({n}).", MessageRef(user.telegram_id, 11))
    async with services.db.session() as db:
        assert (await db.get(Session, anonymous.id)).anonymity is Anonymity.ANONYMOUS  # type: ignore[union-attr]
    return services, anonymous.id, named.id, [3000, 3001]


@pytest.fixture
async def client(seeded: tuple[Services, int, int, list[int]]) -> AsyncIterator[httpx.AsyncClient]:
    services = seeded[0]
    settings = Settings(database_url=services.settings.database_url, telegram_bot_token=SecretStr(TOKEN), public_url=PUBLIC, web_port=8080)
    app = create_app(services, settings, bot_username="workshop_test_bot")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC) as http:
        yield http


def auth(telegram_id: int, **kw: object) -> dict[str, str]:
    return {"X-Telegram-Init-Data": init_data(telegram_id, **kw)}  # type: ignore[arg-type]


NAMES = ("Zenobia", "Quartermaine", "Ximena", "Oyelaran", "Secret Ministry", "Ravi")


async def test_editor_refusals(
    client: httpx.AsyncClient, seeded: tuple[Services, int, int, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    services, session_id, named_id, _ = seeded
    draft_url, action_url = f"/app/api/{session_id}/draft", f"/app/api/{session_id}/action"

    # Sign-in: nothing without valid, fresh initData.
    assert (await client.get(draft_url)).json()["error"] == "missing"
    assert (await client.get(draft_url, headers=auth(2001, token="654321:OTHER-TOKEN-0123456789abcdefghij"))).status_code == 401
    assert (await client.get(draft_url, headers=auth(2001, age=7200))).json()["error"] == "expired"
    # The role, checked on every request: a participant, and the rapporteur on another session.
    assert (await client.get(draft_url, headers=auth(3000))).json()["error"] == "role"
    assert (await client.get(f"/app/api/{named_id}/draft", headers=auth(2001))).status_code == 403

    ravi = auth(2001)  # one initData for the page's lifetime, as Telegram gives it; the CSRF token is bound to it
    view = await client.get(draft_url, headers=ravi)
    assert view.status_code == 200
    body = view.text
    assert "Planning cycles ignore conflict analysis" in body and not any(name in body for name in NAMES)
    csrf = view.json()["csrf"]
    statement = re.search(r'data-action="hide" data-contribution="(\d+)"', view.json()["html"]).group(1)  # type: ignore[union-attr]

    hide = {"action": "hide", "contribution": statement}
    assert (await client.post(action_url, headers=ravi, json=hide)).json()["error"] == "csrf"
    assert (await client.post(action_url, headers={**ravi, "X-CSRF-Token": "0" * 64}, json=hide)).json()["error"] == "csrf"
    other = await client.get(f"/app/api/{named_id}/draft", headers=auth(ORGANISER))
    assert (await client.post(action_url, headers={**ravi, "X-CSRF-Token": other.json()["csrf"]}, json=hide)).json()["error"] == "csrf"
    forged_origin = {**ravi, "X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    assert (await client.post(action_url, headers=forged_origin, json=hide)).json()["error"] == "origin"
    # A participant with a stolen CSRF token still lacks the role.
    assert (await client.post(action_url, headers={**auth(3000), "X-CSRF-Token": csrf}, json=hide)).json()["error"] == "role"
    # A statement of another session, an unknown action, a bad body: refused, nothing stored.
    headers = {**ravi, "X-CSRF-Token": csrf, "Origin": PUBLIC}
    assert (await client.post(action_url, headers=headers, json={"action": "hide", "contribution": "999999"})).status_code == 404
    assert (await client.post(action_url, headers=headers, json={"action": "drop_tables"})).status_code == 400
    assert (await client.post(action_url, headers=headers, content=b"[1]")).status_code == 400

    done = await client.post(action_url, headers=headers, json=hide)
    assert done.status_code == 200 and "Hidden from the report" in done.json()["message"]
    async with services.db.session() as db:
        from storage.models import Contribution

        assert (await db.get(Contribution, int(statement))).hidden is True  # type: ignore[union-attr]

    # Downloads: signed for one user and format, for a few minutes; role checked again.
    link = re.search(r'href="(/app/export/\d+/csv\?[^"]+)"', done.json()["html"]).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    csv = await client.get(link)
    assert csv.status_code == 200 and "Planning cycles" in csv.text and not any(name in csv.text for name in NAMES)
    assert (await client.get(link.replace("/csv?", "/pdf?"))).json()["error"] == "link"
    assert (await client.get(re.sub(r"s=[0-9a-f]{4}", "s=0000", link))).json()["error"] == "link"
    assert (await client.get(re.sub(r"e=\d+", "e=1", link))).json()["error"] == "link"
    await services.organising.revoke(UserRef(ORGANISER), str(session_id), "rapporteur", "@ravi")
    assert (await client.get(link)).json()["error"] == "role"  # the role went: so does the download
    assert (await client.get(draft_url, headers=auth(2001))).json()["error"] == "role"

    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # httpx: this test's own client
    assert "hash=" not in logged and csrf not in logged and "auth_date" not in logged


async def test_screen_refusals_and_anonymity(
    client: httpx.AsyncClient, seeded: tuple[Services, int, int, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    services, session_id, named_id, _ = seeded
    organiser = UserRef(ORGANISER, "Olivia")
    with pytest.raises(Exception, match="organiser or moderator"):
        await services.screens.issue(UserRef(2001, "Ravi"), session_id)  # a rapporteur is not a moderator
    link = await services.screens.issue(organiser, session_id)
    async with services.db.session() as db:
        from sqlalchemy import select

        from storage.models import ScreenToken

        stored = list(await db.scalars(select(ScreenToken.token_hash)))
    assert link.token not in stored and len(stored) == 1  # only the hash is kept

    page = await client.get(f"/screen/{link.token}")
    assert page.status_code == 200 and "Planning cycles ignore conflict analysis" in page.text and link.session_id == session_id
    assert not any(name in page.text for name in NAMES)
    assert page.headers["referrer-policy"] == "no-referrer" and "script-src 'self'" in page.headers["content-security-policy"]
    assert (await client.get("/screen/not-a-token")).status_code == 404
    assert (await client.get(f"/screen/{link.token[:-1]}")).status_code == 404

    # Moderation needs initData and the organiser or moderator role, and CSRF for the change.
    moderation = f"/app/api/{session_id}/moderation"
    assert (await client.get(moderation)).status_code == 401
    assert (await client.get(moderation, headers=auth(2001))).json()["error"] == "moderator"
    olivia = auth(ORGANISER)
    listing = await client.get(moderation, headers=olivia)
    first = re.search(r'data-contribution="(\d+)"', listing.json()["html"]).group(1)  # type: ignore[union-attr]
    change = {"contribution": first, "on_screen": False}
    assert (await client.post(f"/app/api/{session_id}/screen", headers=auth(ORGANISER), json=change)).json()["error"] == "csrf"
    hidden = await client.post(f"/app/api/{session_id}/screen", headers={**olivia, "X-CSRF-Token": listing.json()["csrf"]}, json=change)
    assert hidden.status_code == 200
    snapshot = await services.screens.snapshot(session_id)
    assert snapshot is not None and int(first) not in [cid for cid, _kind, _text in snapshot.recent]
    assert snapshot.joined == 2 and snapshot.contributions == 4

    revoked = await services.screens.revoke(organiser, session_id)
    assert revoked.count == 1 and (await client.get(f"/screen/{link.token}")).status_code == 404
    assert (await client.get(f"/screen/{link.token}/live")).status_code == 404

    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # httpx: this test's own client
    assert link.token not in logged


async def test_rate_limits(client: httpx.AsyncClient, seeded: tuple[Services, int, int, list[int]]) -> None:
    _services, session_id, _named, _ = seeded
    statuses = [(await client.get(f"/app/api/{session_id}/draft", headers=auth(2001, age=9999))).status_code for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429  # failed sign-ins from one address are held off
    assert (await client.get(f"/app/api/{session_id}/draft", headers=auth(2001))).status_code == 429
    pages = [(await client.get("/screen/x")).status_code for _ in range(3)]
    assert pages[-1] == 429


async def test_screen_command_refusals_in_chat(api: "FakeBotAPI", database_url: str) -> None:
    """/screen: off without PUBLIC_URL and WEB_PORT; with them, only organisers and moderators
    get a link, and /draft's editor button appears only with them."""
    import socket

    from telegram_edge.offline import OfflineBot
    from web import texts

    async with OfflineBot(api, database_url, organiser_ids=[ORGANISER]) as plain:
        olivia = api.user(ORGANISER, "Olivia")
        organiser = UserRef(ORGANISER, "Olivia")
        session = (await plain.services.organising.import_agenda(organiser, AGENDA)).event.sessions[0]
        off = await olivia.reply_after(lambda: olivia.send(f"/screen {session.join_code}"))
        assert off[0].plain_text == texts.CHAT_SCREEN_DISABLED
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    async with OfflineBot(api, database_url, organiser_ids=[ORGANISER], public_url=f"http://127.0.0.1:{port}", web_port=port) as web_bot:
        amira = api.user(3000, "Amira")
        await amira.reply_after(lambda: amira.send("/start"))
        refused = await amira.reply_after(lambda: amira.send(f"/screen {session.join_code}"))
        assert "organiser or moderator" in refused[0].plain_text and "/screen/" not in refused[0].plain_text
        usage = await olivia.reply_after(lambda: olivia.send("/screen"))
        assert "Usage" in usage[0].plain_text
        unknown = await olivia.reply_after(lambda: olivia.send("/screen NOPE99"))
        assert "NOPE99" in unknown[0].plain_text
        link = await olivia.reply_after(lambda: olivia.send(f"/screen {session.join_code}"))
        assert f"http://127.0.0.1:{port}/screen/" in link[0].plain_text
        async with httpx.AsyncClient() as http:
            token_url = next(w for w in link[0].plain_text.split() if "/screen/" in w)
            assert (await http.get(token_url)).status_code == 200
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).text == "ok"
        assert web_bot.errors == []
