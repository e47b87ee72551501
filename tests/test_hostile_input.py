"""Hostile and odd input, end to end on both backends: characters no document format can hold,
NUL, numbers past any id, forged and replayed buttons, and presses without a message."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import select

from bot.reports.render.safe_text import REPLACEMENT
from fake_bot_api import FakeBotAPI
from storage.models import Contribution, Participant, Session, SessionStatus
from telegram_edge.offline import OfflineBot
from tests.conftest import ORGANISER
from tests.test_e2e import _onboard, _setup_session


async def _until(api: FakeBotAPI, chat_id: int, text: str, timeout: float = 30) -> None:
    """Wait for the bot's next message to that chat containing `text` (drafts send several)."""
    before = len(api.messages_to(chat_id))
    await api.wait_for(lambda: any(text in m.text for m in api.messages_to(chat_id)[before:]), timeout, what=text)


NASTY = "Funding \uffff arrives late \x07 and \x0b unevenly"


async def test_unsafe_characters_are_stored_and_every_report_still_renders(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup_session(api)
    amira = api.user(2001, "Amira")
    await _onboard(amira, code, "Amira \uffff Haddad", "Development")
    saved = await amira.reply_after(lambda: amira.send(NASTY))
    assert "Saved (1 for this question)" in saved[0].plain_text
    nul = await amira.reply_after(lambda: amira.send("A NUL \x00 inside"))
    assert "Saved (2 for this question)" in nul[0].plain_text  # not "something went wrong"

    organiser.send(f"/draft {code}")
    await _until(api, ORGANISER, "Version 1 (draft)")
    await api.wait_for(lambda: any(m.document and m.document[0].endswith(".pdf") for m in api.messages_to(ORGANISER)), timeout=60)
    documents = [m for m in api.messages_to(ORGANISER) if m.document is not None]
    files = dict(d.document for d in documents if d.document is not None)
    assert {name.rsplit(".", 1)[1] for name in files} == {"docx", "pdf"}
    docx = next(content for name, content in files.items() if name.endswith(".docx"))
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert f"Funding {REPLACEMENT} arrives late {REPLACEMENT} and {REPLACEMENT} unevenly" in text
    organiser.send(f"/approve {code}")
    await _until(api, ORGANISER, "is approved as the final report")
    report = await organiser.reply_after(lambda: organiser.send(f"/eventreport {code} docx"), timeout=30)
    assert report[0].document is not None and report[0].document[0].endswith(".docx")

    async with bot.services.db.session() as db:
        texts = list(await db.scalars(select(Contribution.text).order_by(Contribution.id)))
        name = await db.scalar(select(Participant.display_name).where(Participant.telegram_user_id == 2001))
    assert texts == [NASTY, f"A NUL {REPLACEMENT} inside"]  # stored as sent; only NUL is replaced
    assert name == "Amira \uffff Haddad"


async def test_numbers_past_any_id_are_unknown_not_errors(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup_session(api)
    for command in (
        "/close 99999999999999999999",
        "/open 2147483648",
        "/close -1",
        "/link 9223372036854775808",
        "/draft 99999999999",
        "/versions ²",
    ):
        reply = await organiser.reply_after(lambda c=command: organiser.send(c), timeout=10)
        assert "I can't find a session" in reply[0].text, (command, reply[0].text)
    for command in ("/hide 99999999999999999999", "/merge 1 2147483648", "/export " + code + " pdf 99999999999"):
        reply = await organiser.reply_after(lambda c=command: organiser.send(c))
        assert "Usage" in reply[0].text, (command, reply[0].text)
    grant = await organiser.reply_after(lambda: organiser.send(f"/grant {code} rapporteur 99999999999999999999999"))
    assert "I don't know" in grant[0].text
    async with bot.services.db.session() as db:
        statuses = set(await db.scalars(select(Session.status)))
    assert SessionStatus.CLOSED not in statuses


async def test_forged_replayed_and_messageless_presses_are_answered_once(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup_session(api)
    participant = api.user(2002, "Lars")
    prompt = await _onboard(participant, code, "Lars", "Diplomacy")
    await participant.reply_after(lambda: participant.send("A point to report on"))
    organiser.send(f"/draft {code}")
    await _until(api, ORGANISER, "Version 1 (draft)")
    approve_button = next(m for m in api.messages_to(ORGANISER) if "Version 1 (draft)" in m.text)

    # Replaying the organiser's report button: the refusal IS the answer to the press.
    answered = len(participant.callback_answers)
    participant.press_data(
        prompt.message_id, next(data for _l, data, _u in approve_button.buttons() if data and data.startswith("rp:approve"))
    )
    await api.wait_for(lambda: len(participant.callback_answers) > answered)
    assert "Sorry, that's for the session's rapporteurs and organisers only." in participant.callback_answers[-1]

    for data in ("rn:md:1", "rv:abc:1", "rn:1:99999999999", "rx:pdf:-1", "mi:²", "nx:2147483648:0", "rp:draft:0", "op:99999999999999"):
        before = len(participant.callback_answers)
        participant.press_data(prompt.message_id, data)
        await api.wait_for(lambda b=before: len(participant.callback_answers) > b)
        assert "out of date" in participant.callback_answers[-1], data
    participant.press_inline("dn:1")  # inline mode: no message to act on
    participant.press_data(987654, "dn:1")  # a message the bot can no longer see
    await api.wait_for(lambda: api.unanswered_callback_queries() == 0)
    assert all("out of date" in a for a in participant.callback_answers[-2:])
    presses = [c for c in api.calls if c.method == "answerCallbackQuery"]
    assert len(presses) == len(participant.callback_answers) + len(organiser.callback_answers)
    assert all(c.status == 200 for c in presses)  # never a second answer to the same press
