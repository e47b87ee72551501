"""The rapporteur's journey through Telegram: draft of a 20-participant session, a section
edited, approval, DOCX and PDF downloaded; participants' reactions from the digest."""

from __future__ import annotations

import io
import re
import time

import docx

from bot.services.views import MessageRef, UserRef
from fake_bot_api import FakeBotAPI, utf16_length
from storage.models import SessionStatus
from telegram_edge.demo_script import AGENDA, PEOPLE
from telegram_edge.offline import OfflineBot
from tests.conftest import ORGANISER


async def _seed(bot: OfflineBot) -> tuple[int, str]:
    """Twenty participants' input, stored through the same services the handlers use."""
    services = bot.services
    organiser = UserRef(ORGANISER, "Olivia")
    session = (await services.organising.import_agenda(organiser, AGENDA)).event.sessions[0]
    await services.organising.set_status(organiser, session.join_code, SessionStatus.OPEN)
    participation = services.participation
    for n, (name, organisation, community, challenges, recommendations) in enumerate(PEOPLE):
        user = UserRef(5000 + n, name)
        await participation.join(user, session.join_code)
        await participation.consent(user, True)
        await services.router.text(user, name, MessageRef(user.telegram_id, 1))
        await services.router.text(user, organisation, MessageRef(user.telegram_id, 2))
        await participation.choose_community(user, community)
        for i, text in enumerate(challenges):
            await services.router.text(user, text, MessageRef(user.telegram_id, 10 + i))
        await participation.next_prompt(user, session.id, 0)
        for i, text in enumerate(recommendations):
            await services.router.text(user, text, MessageRef(user.telegram_id, 20 + i))
    return session.id, session.join_code


async def test_rapporteur_drafts_edits_approves_and_downloads(api: FakeBotAPI, bot: OfflineBot) -> None:
    _session_id, code = await _seed(bot)
    organiser = api.user(ORGANISER, "Olivia")
    rapporteur = api.user(1001, "Ravi", username="ravi_r")
    await rapporteur.reply_after(lambda: rapporteur.send("/start"))
    granted = await organiser.reply_after(lambda: organiser.send(f"/grant {code} rapporteur @ravi_r"))
    assert "rapporteur" in granted[0].plain_text

    started = time.perf_counter()
    before = len(rapporteur.inbox)
    await rapporteur.reply_after(lambda: rapporteur.send("/draft"), count=1, timeout=60)
    # The report and the version line come first (one reply path), then the chart, DOCX and PDF.
    await api.wait_for(lambda: any(m.document and m.document[0].endswith(".pdf") for m in rapporteur.inbox[before:]), timeout=60)
    assert any("Version 1 (draft)" in m.text for m in rapporteur.inbox[before:])
    elapsed = time.perf_counter() - started
    draft = rapporteur.inbox[before:]
    text = "\n".join(m.plain_text for m in draft if m.method == "sendMessage")
    assert elapsed < 30, f"draft took {elapsed:.1f} s"
    assert "How to realize the security–development nexus?" in text
    assert "From Crisis Response to Peacebuilding" in text and "Stockholm" in text
    assert "The Brookings Institution" in text
    assert "contributions" in text  # every theme says how many contributions back it
    assert all(utf16_length(m.plain_text) <= 4096 for m in draft)  # the fake API enforces it too
    assert any(m.photo for m in draft)
    files = {m.document[0].rsplit(".", 1)[1]: m.document[1] for m in draft if m.document}
    assert set(files) == {"docx", "pdf"} and files["pdf"].startswith(b"%PDF")

    menu = await rapporteur.reply_after(lambda: rapporteur.send("/edit"))
    section = await rapporteur.reply_after(lambda: rapporteur.press(menu[0], text="Challenges"))
    assert re.search(r"#\d+ ", section[-1].plain_text)
    await rapporteur.reply_after(lambda: rapporteur.press(section[-1], text="✏️ Replace text"))
    replaced = await rapporteur.reply_after(
        lambda: rapporteur.send("Speakers agreed the nexus matters but struggle to implement it & fund it.")
    )
    assert "Section replaced (version 2)" in replaced[0].plain_text

    approved = await rapporteur.reply_after(lambda: rapporteur.send("/approve"), count=3)
    assert "Version 2" in approved[0].plain_text and "approved" in approved[0].plain_text
    documents = {m.document[0].rsplit(".", 1)[1]: m.document[1] for m in approved if m.document}
    document = docx.Document(io.BytesIO(documents["docx"]))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Speakers agreed the nexus matters but struggle to implement it & fund it." in body
    assert "How to realize the security–development nexus?" in body
    assert documents["pdf"].startswith(b"%PDF")

    participant = api.user(5000, "Amira")
    refused = await participant.reply_after(lambda: participant.send(f"/draft {code}"))
    assert "Sorry, that's for the" in refused[0].text


async def test_participants_react_from_the_digest(api: FakeBotAPI, bot: OfflineBot) -> None:
    await _seed(bot)
    amira = api.user(5000, "Amira")
    first = await amira.reply_after(lambda: amira.send("/react"))
    assert "Point 1 of 38" in first[0].plain_text  # 40 points, minus Amira's own two
    assert "Amira Haddad" not in first[0].plain_text
    moved = await amira.reply_after(lambda: amira.press(first[0], text="👍 Agree"))
    assert moved[0].edited and "Point 2 of 38" in moved[0].plain_text
    back = await amira.reply_after(lambda: amira.press(moved[0], text="◀"))
    assert "Your view: 👍 Agree" in back[0].plain_text
