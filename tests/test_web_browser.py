"""The web pages in a real browser (Debian's headless Chromium driven by Playwright): the room
screen updates when a participant answers through the fake Bot API; the rapporteur opens the
editor from /draft's Mini App button, edits the summary, moves a statement, approves, and the
PDF reflects it; forged and expired initData are refused. In French: a French rapporteur's
editor, and the room screen of an event whose report language is French. Screenshots go to
docs/ for README."""

from __future__ import annotations

import asyncio
import functools
import io
import json
import os
import re
import shutil
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pypdf
import pytest
from playwright.async_api import expect

from bot.reports.serialize import report_from_dict
from bot.services.views import UserRef
from fake_bot_api import FakeBotAPI
from storage.models import SessionStatus
from telegram_edge.offline import OfflineBot
from tests.conftest import ORGANISER
from tests.test_report_e2e import _seed
from web.telegram_auth import sign

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (Debian: apt-get install -y chromium; .ci/run does it)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
# README's screenshots: `WORKSHOP_SCREENSHOTS=docs python -m pytest tests/test_web_browser.py` refreshes them.
SCREENSHOTS = os.environ.get("WORKSHOP_SCREENSHOTS")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the browser is what these tests exercise; the services run on both backends elsewhere."""
    return f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}"


@pytest.fixture
async def web_bot(api: FakeBotAPI, database_url: str) -> AsyncIterator[OfflineBot]:
    port = _free_port()
    running = OfflineBot(api, database_url, organiser_ids=[ORGANISER], public_url=f"http://127.0.0.1:{port}", web_port=port)
    await running.start()
    yield running
    await running.stop()
    assert running.errors == [], f"handler errors: {running.errors!r}"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        await launched.close()


async def _page(browser: Any, **options: Any) -> Any:
    page = await browser.new_page(**options)
    # Telegram's script is not reachable offline; the page falls back to the URL fragment.
    await page.route("https://telegram.org/**", lambda route: route.fulfill(status=200, content_type="application/javascript", body=""))
    return page


async def _screenshot(page: Any, name: str, tmp_path: Path) -> None:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / name))
    assert (folder / name).stat().st_size > 10_000


def _init_data(
    api: FakeBotAPI, telegram_id: int, first_name: str, *, age: int = 0, token: str | None = None, language: str | None = None
) -> str:
    user: dict[str, object] = {"id": telegram_id, "first_name": first_name}
    if language:
        user["language_code"] = language
    fields = {"auth_date": str(int(time.time()) - age), "query_id": "AAE-test", "user": json.dumps(user)}
    return sign(fields, token or api.token)


async def test_screen_updates_live_when_a_participant_answers(api: FakeBotAPI, web_bot: OfflineBot, browser: Any, tmp_path: Path) -> None:
    services = web_bot.services
    organiser = UserRef(ORGANISER, "Olivia")
    from telegram_edge.demo_script import AGENDA

    session = (await services.organising.import_agenda(organiser, AGENDA)).event.sessions[0]
    await services.organising.set_status(organiser, session.join_code, SessionStatus.OPEN)
    olivia = api.user(ORGANISER, "Olivia")
    reply = await olivia.reply_after(lambda: olivia.send(f"/screen {session.join_code}"))
    url = next(word for word in reply[0].plain_text.split() if "/screen/" in word)
    markup = reply[0].reply_markup
    assert markup is not None and any(b.get("web_app") for row in markup["inline_keyboard"] for b in row)

    page = await _page(browser, viewport={"width": 1600, "height": 900})
    await page.goto(url)
    assert await page.locator(".code").inner_text() == session.join_code
    assert await page.locator("figure.qr svg").count() == 1
    await expect(page.locator("#connection")).to_have_text("Live")

    amira = api.user(5000, "Amira")
    consent = await amira.reply_after(lambda: amira.send(f"/start {session.join_code}"), count=2)
    await amira.reply_after(lambda: amira.press(consent[1], text="✅ I agree"))
    await amira.reply_after(lambda: amira.send("Amira Haddad"))
    await amira.reply_after(lambda: amira.send("Peace Institute"))
    await amira.reply_after(lambda: amira.press(amira.last(), text="Development"), count=2)
    answer = "Early warning reaches capitals too late to act."
    sent = time.perf_counter()
    await amira.reply_after(lambda: amira.send(answer))
    await page.locator("#recent-list").get_by_text(answer).wait_for(timeout=2000)
    arrived = time.perf_counter() - sent
    assert arrived < 2.0, f"the screen showed the answer after {arrived:.2f} s"
    assert await page.locator("#contributions").inner_text() == "1"
    assert await page.locator("#joined").inner_text() == "1"
    assert "Amira" not in await page.content()  # the screen is anonymous, even for a named session

    for n, text in enumerate(["Funding cycles are too short for peacebuilding.", "Donors compete instead of coordinating."]):
        await amira.reply_after(functools.partial(amira.send, text))
        await page.locator("#recent-list").get_by_text(text).wait_for(timeout=2000)
        assert await page.locator("#contributions").inner_text() == str(n + 2)
    # The emerging themes follow, grouped in the background: every statement in one of them.
    deadline = time.monotonic() + 20
    while sum(int(n) for n in await page.locator(".themes li strong").all_inner_texts()) != 3:
        assert time.monotonic() < deadline, "the screen's themes never covered the three statements"
        await asyncio.sleep(0.2)
    await _screenshot(page, "screen.png", tmp_path)

    hidden = await olivia.reply_after(lambda: olivia.send(f"/screen {session.join_code} recent"))
    await olivia.reply_after(lambda: olivia.press(hidden[0], text=next(b[0] for b in hidden[0].buttons() if "Donors" in b[0])))
    await page.locator("#recent-list").get_by_text("Donors compete").wait_for(state="detached", timeout=3000)

    await olivia.reply_after(lambda: olivia.send(f"/screen {session.join_code} revoke"))
    await page.get_by_role("alert").wait_for(timeout=9000)  # a revoked link is noticed within 3 s
    assert "revoked" in await page.get_by_role("alert").inner_text()
    await page.close()


async def test_rapporteur_edits_moves_approves_and_the_pdf_reflects_it(
    api: FakeBotAPI, web_bot: OfflineBot, browser: Any, tmp_path: Path
) -> None:
    session_id, code = await _seed(web_bot)
    rapporteur = api.user(1001, "Ravi", username="ravi_r")
    organiser = api.user(ORGANISER, "Olivia")
    await rapporteur.reply_after(lambda: rapporteur.send("/start"))
    await organiser.reply_after(lambda: organiser.send(f"/grant {code} rapporteur @ravi_r"))
    menu = await rapporteur.reply_after(lambda: rapporteur.send(f"/edit {code}"), timeout=60)
    markup = menu[-1].reply_markup
    assert markup is not None
    button = markup["inline_keyboard"][0][0]
    assert button["text"] == "📝 Open the editor"
    url = button["web_app"]["url"]
    assert url.endswith(f"/app/editor/{session_id}")

    page = await _page(browser, viewport={"width": 430, "height": 900}, device_scale_factor=2)
    await page.goto(url + "#tgWebAppData=" + quote(_init_data(api, 1001, "Ravi")))
    await page.locator("#summary-text").wait_for()
    status = page.locator("#status")

    summary = "Participants agreed that early warning must reach decision makers within days."
    await page.get_by_role("button", name="Edit Summary").click()
    await page.get_by_label("Edit Summary").fill(summary)
    await page.get_by_role("button", name="Save").click()
    await expect(status).to_have_text(re.compile(r"^Saved as version"))
    assert await page.locator("#summary-text").inner_text() == summary

    section = page.locator("#section-challenges")
    first_theme, second_theme = section.locator("section.theme").nth(0), section.locator("section.theme").nth(1)
    moved_id = (await first_theme.locator("li.statement").last.get_attribute("id") or "")[1:]
    target_label = await second_theme.locator("h3.label").inner_text()
    statement = page.locator(f"#c{moved_id}")
    await statement.locator("summary").click()
    await statement.get_by_label("Move to theme").select_option(label=target_label)
    await statement.get_by_role("button", name="Move", exact=True).click()
    await expect(status).to_have_text(re.compile(r"^Statement moved"))
    theme_now = page.locator(f"#c{moved_id}").locator("xpath=ancestor::section[contains(@class,'theme')]")
    assert await theme_now.locator("h3.label").inner_text() == target_label
    await page.locator("#h-challenges").scroll_into_view_if_needed()
    await _screenshot(page, "editor.png", tmp_path)

    await page.get_by_role("button", name="Approve", exact=True).click()
    await expect(status).to_have_text(re.compile(r"approved as the final report"))
    href = await page.get_by_role("link", name="PDF").get_attribute("href")
    response = await page.request.get(f"{web_bot.settings.public_url}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf_text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(await response.body())).pages)
    assert summary in pdf_text

    async with web_bot.services.db.session() as db:
        from sqlalchemy import select

        from storage.models import ReportVersion

        approved = await db.scalar(
            select(ReportVersion).where(ReportVersion.session_id == session_id, ReportVersion.approved_at.is_not(None))
        )
    assert approved is not None
    report = report_from_dict(approved.content)
    assert report.summary_override == summary
    holder = next(t for s in report.sections for t in s.themes if any(st.contribution_id == int(moved_id) for st in t.statements))
    assert holder.label == target_label
    await page.close()


async def test_forged_and_expired_init_data_are_refused(api: FakeBotAPI, web_bot: OfflineBot, browser: Any) -> None:
    session_id, _code = await _seed(web_bot)
    url = f"{web_bot.settings.public_url}/app/editor/{session_id}#tgWebAppData="
    page = await _page(browser)
    await page.goto(url + quote(_init_data(api, ORGANISER, "Olivia", token="999999:FORGED-TOKEN-0123456789abcdefghij")))
    assert "signature" in await page.get_by_role("alert").inner_text()
    await page.goto("about:blank")
    await page.goto(url + quote(_init_data(api, ORGANISER, "Olivia", age=2 * 3600)))
    assert "too old" in await page.get_by_role("alert").inner_text()
    await page.goto("about:blank")
    await page.goto(url + quote(_init_data(api, 5000, "Amira")))  # a participant, not a rapporteur
    assert "rapporteurs and organisers" in await page.get_by_role("alert").inner_text()
    assert "Amira Haddad" not in await page.content()
    await page.close()


# ----- in French --------------------------------------------------------------------------


async def _report_in(web_bot: OfflineBot, session_id: int, language: str) -> None:
    """The event's report language (set here directly: choosing it is the organiser's business)."""
    from sqlalchemy import select, update

    from storage.models import Event, Session

    async with web_bot.services.db.session() as db:
        event_id = await db.scalar(select(Session.event_id).where(Session.id == session_id))
        await db.execute(update(Event).where(Event.id == event_id).values(report_language=language))


async def test_french_rapporteur_edits_in_french(api: FakeBotAPI, web_bot: OfflineBot, browser: Any) -> None:
    """The editor speaks the signed-in user's language (Telegram's language_code in the verified
    initData), whatever the browser asks for: the page switches as a whole, <html lang> too."""
    session_id, code = await _seed(web_bot)
    rapporteur = api.user(1002, "Rémi", username="remi_r", language_code="fr")
    organiser = api.user(ORGANISER, "Olivia")
    await rapporteur.reply_after(lambda: rapporteur.send("/start"))
    await organiser.reply_after(lambda: organiser.send(f"/grant {code} rapporteur @remi_r"))

    page = await _page(browser, viewport={"width": 430, "height": 900}, locale="en-GB")
    url = f"{web_bot.settings.public_url}/app/editor/{session_id}"
    await page.goto(url + "#tgWebAppData=" + quote(_init_data(api, 1002, "Rémi", language="fr")))
    await page.locator("#summary-text").wait_for()
    assert await page.evaluate("document.documentElement.lang") == "fr"
    assert await page.title() == "Éditeur de rapport"
    assert await page.locator("#summary-heading").text_content() == "Synthèse"
    assert await page.locator("#downloads-heading").text_content() == "Téléchargements"
    assert await page.get_by_role("button", name="Approuver", exact=True).count() == 1
    assert await page.get_by_role("link", name="Graphique (PNG)").count() == 1
    assert "Summary" not in await page.locator("#content").inner_text()

    summary = "Les participants souhaitent que l’alerte précoce parvienne aux décideurs en quelques jours."
    await page.get_by_role("button", name="Modifier : Synthèse").click()
    await page.get_by_label("Modifier : Synthèse").fill(summary)
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.locator("#status")).to_have_text(re.compile(r"^Enregistré comme version \d+\.$"))
    assert await page.locator("#summary-text").inner_text() == summary
    assert "(modifiée)" in await page.locator("#summary-heading").text_content()

    async with web_bot.services.db.session() as db:
        from sqlalchemy import select

        from storage.models import ReportVersion

        latest = await db.scalar(select(ReportVersion).where(ReportVersion.session_id == session_id).order_by(ReportVersion.number.desc()))
    assert latest is not None and report_from_dict(latest.content).summary_override == summary

    # The same page opened by someone on an English phone is in English.
    english = await _page(browser, locale="fr-FR")
    await english.goto(url + "#tgWebAppData=" + quote(_init_data(api, ORGANISER, "Olivia", language="en")))
    await english.locator("#summary-text").wait_for()
    assert await english.evaluate("document.documentElement.lang") == "en"
    assert await english.locator("#summary-heading").text_content() == "Summary (edited)"
    await english.close()
    await page.close()


async def test_screen_of_a_french_event_is_in_french(api: FakeBotAPI, web_bot: OfflineBot, browser: Any) -> None:
    """The room screen speaks its event's report language, not the browser's."""
    session_id, code = await _seed(web_bot)
    await _report_in(web_bot, session_id, "fr")
    olivia = api.user(ORGANISER, "Olivia")
    reply = await olivia.reply_after(lambda: olivia.send(f"/screen {code}"))
    url = next(word for word in reply[0].plain_text.split() if "/screen/" in word)

    page = await _page(browser, viewport={"width": 1600, "height": 900}, locale="en-GB")
    await page.goto(url)
    assert await page.evaluate("document.documentElement.lang") == "fr"
    await expect(page.locator("#connection")).to_have_text("En direct")
    assert await page.locator("#join-heading").text_content() == "Rejoignez la session et donnez votre avis"
    assert await page.locator("#per-prompt-heading").text_content() == "Contributions par question"
    assert await page.locator("#recent-heading").text_content() == "À l’instant"
    kinds = set(await page.locator("#recent-list .kind").all_text_contents())
    assert kinds and kinds <= {"Défis", "Recommandations"}, kinds
    counts = await page.locator(".counts").inner_text()
    assert "participants" in counts and "contributions" in counts, counts
    for english in ("Join and share your view", "Just in", "Emerging themes", "Challenges"):
        assert english not in await page.content()

    await olivia.reply_after(lambda: olivia.send(f"/screen {code} revoke"))
    await page.get_by_role("alert").wait_for(timeout=9000)
    assert await page.get_by_role("alert").inner_text() == "Ce lien d’écran a été révoqué. Demandez-en un nouveau à l’organisateur."
    missing = await _page(browser)
    await missing.goto(url)  # revoked: the page for a broken link, in the browser's language
    assert "This screen link does not work" in await missing.locator("h1").inner_text()
    await missing.close()
    await page.close()
