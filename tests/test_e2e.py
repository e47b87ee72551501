"""End to end: the real PTB Application and HTTP stack against the local fake Bot API,
several simulated users, assertions on what the bot sent and what the database holds."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from fake_bot_api import FakeBotAPI, FakeUser, SentMessage
from storage.models import ChatState, Contribution, Event, Participant, Role, RoleName
from telegram_edge.offline import OfflineBot
from tests.agenda_samples import EXPERT_MEETING
from tests.conftest import ORGANISER

TRICKY = "Use <b>not</b> bold & *stars* _under_ 🕊️ — السلام עברית"


async def _setup_session(api: FakeBotAPI, agenda: str = EXPERT_MEETING) -> tuple[FakeUser, str]:
    """The organiser sends the agenda as a file and opens the first session."""
    organiser = api.user(ORGANISER, "Olivia", username="olivia")
    created = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", agenda.encode(), "application/x-yaml"))
    codes = re.findall(r"<code>([A-Z0-9]{6})</code>", created[0].text)
    assert len(codes) == 3, created[0].text
    opened = await organiser.reply_after(lambda: organiser.send(f"/open {codes[0]}"))
    assert "is now <b>open</b>" in opened[0].text
    return organiser, codes[0]


async def _onboard(user: FakeUser, code: str, name: str, community: str, *, deep_link: bool = True) -> SentMessage:
    replies = await user.reply_after(lambda: user.send(f"/start {code}" if deep_link else f"/join {code}"), count=2)
    assert "Do you agree?" in replies[1].text
    await user.reply_after(lambda: user.press(replies[1], text="✅ I agree"))
    await user.reply_after(lambda: user.send(name))
    await user.reply_after(lambda: user.send("Ministry of Examples"))
    shown = await user.reply_after(lambda: user.press(user.last(), text=community), count=2)
    assert "Question 1 of 3" in shown[1].plain_text
    return shown[1]


async def _count(bot: OfflineBot, model: type, *where: object) -> int:
    async with bot.services.db.session() as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_setup_join_answer_edit_restart_resume(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup_session(api)
    link = await organiser.reply_after(lambda: organiser.send(f"/link {code}"))
    assert link[0].photo and link[0].photo.startswith(b"\x89PNG")
    assert f"https://t.me/workshop_test_bot?start={code}" in link[0].text

    amira, lars, nour = api.user(2001, "Amira"), api.user(2002, "Lars"), api.user(2003, "Nour")
    prompt = await _onboard(amira, code, "Amira Haddad", "Development")
    await _onboard(lars, code, "Lars Berg", "Diplomacy", deep_link=False)

    # Markup, emoji and right-to-left text are stored and echoed exactly.
    saved = await amira.reply_after(lambda: amira.send(TRICKY))
    assert "Saved (1 for this question)" in saved[0].plain_text
    assert saved[0].parse_mode == "HTML" and saved[0].buttons()[0][0] == "Next ▶"  # posted as plain JSON: same format, same keyboard
    await amira.reply_after(lambda: amira.send("Donors still work in silos"))
    await lars.reply_after(lambda: lars.send("Bureaucracy slows joint programming"))
    nexted = await amira.reply_after(lambda: amira.press(saved[0], text="Next ▶"))
    assert "Question 2 of 3" in nexted[0].plain_text

    listing = await amira.reply_after(lambda: amira.send("/myinput"))
    assert TRICKY in listing[0].plain_text
    ask = await amira.reply_after(lambda: amira.press(listing[0], text="✏️ Edit 2"))
    assert "Donors still work in silos" in ask[0].plain_text
    edited = await amira.reply_after(lambda: amira.send("Donors still work in silos, each reporting to its capital"))
    assert "Updated" in edited[0].plain_text

    # Nour stops in the middle of onboarding, Amira in the middle of a prompt: restart the bot.
    replies = await nour.reply_after(lambda: nour.send(f"/start {code}"), count=2)
    await nour.reply_after(lambda: nour.press(replies[1], text="✅ I agree"))
    await bot.restart()

    organisation = await nour.reply_after(lambda: nour.send("Nour El-Sayed"))
    assert "organisation" in organisation[0].plain_text
    await nour.reply_after(lambda: nour.send("/skip"))
    first = await nour.reply_after(lambda: nour.press(nour.last(), text="Humanitarian"), count=2)
    assert "Question 1 of 3" in first[1].plain_text
    resumed = await amira.reply_after(lambda: amira.send("Share one timeline with donor states"))
    assert "Saved (1 for this question)" in resumed[0].plain_text  # filed under question 2
    await amira.reply_after(lambda: amira.press(resumed[0], text="Next ▶"))
    done = await amira.reply_after(lambda: amira.press(amira.last(), text="Done ✓"))
    assert "You sent 3 points" in done[0].plain_text

    async with bot.services.db.session() as db:
        rows = (await db.execute(select(Participant.display_name, Contribution.text).join(Participant).order_by(Contribution.id))).all()
        nour_row = await db.scalar(select(Participant).where(Participant.telegram_user_id == 2003))
    assert [tuple(r) for r in rows] == [
        ("Amira Haddad", TRICKY),
        ("Amira Haddad", "Donors still work in silos, each reporting to its capital"),
        ("Lars Berg", "Bureaucracy slows joint programming"),
        ("Amira Haddad", "Share one timeline with donor states"),
    ]
    assert nour_row is not None and nour_row.organisation == "" and nour_row.consent_at is not None
    assert prompt.buttons()[0][0] == "Next ▶"


async def test_bad_input_is_answered_and_nothing_is_stored(api: FakeBotAPI, bot: OfflineBot) -> None:
    _organiser, code = await _setup_session(api)
    user = api.user(2100, "Pat")
    prompt = await _onboard(user, code, "Pat", "Security / defence")
    for send in (user.send_photo, user.send_sticker, user.send_voice, user.send_location):
        reply = await user.reply_after(send)
        assert "I can only take <b>text</b>" in reply[0].text
    reply = await user.reply_after(lambda: user.send_document("notes.pdf", b"%PDF-1.4", "application/pdf"))
    assert "I can only take <b>text</b>" in reply[0].text
    too_long = await user.reply_after(lambda: user.send("x" * 2500))
    assert "2500 characters long; the limit is 2000" in too_long[0].plain_text
    unknown = await user.reply_after(lambda: user.send("/frobnicate"))
    assert "/help" in unknown[0].text

    # Someone else's buttons, forged data and stale presses change nothing and say so briefly.
    answered = len(user.callback_answers)
    user.press_data(prompt.message_id, "dy:999999")
    user.press_data(prompt.message_id, "zz:<script>")
    user.press_data(prompt.message_id, f"nx:{999}:0")
    await api.wait_for(lambda: len(user.callback_answers) >= answered + 3)
    assert all("out of date" in answer for answer in user.callback_answers[answered:])

    # Organiser commands are refused for participants.
    for command in (f"/open {code}", f"/close {code}", f"/grant {code} rapporteur @pat", "/newevent", f"/link {code}"):
        refused = await user.reply_after(lambda c=command: user.send(c))
        assert "Sorry, that's for the" in refused[0].text, command
    refused = await user.reply_after(lambda: user.send_document("agenda.yaml", EXPERT_MEETING.encode()))
    assert "Sorry, that's for the organiser only" in refused[0].text

    assert await _count(bot, Contribution) == 0
    assert await _count(bot, Role, Role.role == RoleName.RAPPORTEUR) == 0


async def test_redelivered_update_is_stored_once(api: FakeBotAPI, bot: OfflineBot) -> None:
    _organiser, code = await _setup_session(api)
    user = api.user(2200, "Dee")
    await _onboard(user, code, "Dee", "Other")
    person = {"id": 2200, "is_bot": False, "first_name": "Dee"}
    message = {
        "message_id": 9001,
        "date": 1_700_000_000,
        "chat": {"id": 2200, "type": "private", "first_name": "Dee"},
        "from": person,
        "text": "One point, once",
    }
    update_ids: list[int] = []
    first = await user.reply_after(lambda: update_ids.append(api.inject_update({"message": message})))
    assert "Saved (1 for this question)" in first[0].plain_text
    # Telegram delivers the same update (same update_id) again: the inbox has it, so it is
    # neither stored nor handled a second time.
    sent_before = len(api.messages_to(2200))
    api.redeliver(update_ids[0])
    await api.wait_for(lambda: api.pending_updates() == 0 and api.calls[-1].method == "getUpdates", what="the redelivery to be fetched")
    await api.wait_for(lambda: sum(c.method == "getUpdates" for c in api.calls[-3:]) == 3, what="two more polls")
    assert len(api.messages_to(2200)) == sent_before
    # The same message under a new update id (a replayed or forged update): stored once anyway.
    again = await user.reply_after(lambda: api.inject_update({"message": message}))
    assert "Saved (1 for this question)" in again[0].plain_text
    assert await _count(bot, Contribution) == 1


async def test_bad_agenda_names_the_line_and_creates_nothing(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser = api.user(ORGANISER, "Olivia")
    broken = EXPERT_MEETING.replace("- recommendation: What should", "- recomendation: What should", 1)
    reply = await organiser.reply_after(lambda: organiser.send("/agenda\n" + broken))
    assert 'sessions #1 "Good practice during crisis" › prompts #2 › kind' in reply[0].plain_text and "(line 20)" in reply[0].plain_text
    assert "Nothing was created" in reply[0].plain_text

    assert await _count(bot, Event) == 0


async def test_wizards_create_event_and_session(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser = api.user(ORGANISER, "Olivia")
    steps = [
        ("/newevent", "title?"),
        ("Forum on Peace & Development", "Dates?"),
        ("2026-05-14 to 2026-05-16", "Where"),
        ("Stockholm", "time zone"),
    ]
    for text, expected in steps:
        reply = await organiser.reply_after(lambda t=text: organiser.send(t))
        assert expected in reply[0].plain_text, reply[0].plain_text
    await organiser.reply_after(lambda: organiser.press(organiser.last(), text="Europe/Stockholm"))
    created = await organiser.reply_after(lambda: organiser.send("/skip"))
    assert "Event <b>Forum on Peace &amp; Development</b> created" in created[0].text

    for text in (
        "/newsession",
        "How to realize the security–development nexus?",
        "2026-05-15 09:00",
        "90 min",
        "/skip",
        "Jane Doe",
        "/skip",
        "/skip",
    ):
        await organiser.reply_after(lambda t=text: organiser.send(t))
    await organiser.reply_after(lambda: organiser.press(organiser.last(), text="Anonymous"))
    await organiser.reply_after(lambda: organiser.press(organiser.last(), text="Challenge"))
    await organiser.reply_after(lambda: organiser.send("What blocks the nexus in practice?"))
    await organiser.reply_after(lambda: organiser.press(organiser.last(), text="Recommendation"))
    await organiser.reply_after(lambda: organiser.send("What should change?"))
    done = await organiser.reply_after(lambda: organiser.press(organiser.last(), text="✓ Finish"))
    assert "created with 2 prompts" in done[0].plain_text
    code = re.search(r"Join code: ([A-Z0-9]{6})", done[0].plain_text).group(1)  # type: ignore[union-attr]

    # The anonymous session says so up front to the participant.
    await organiser.reply_after(lambda: organiser.send(f"/open {code}"))
    user = api.user(2300, "Ana")
    intro = await user.reply_after(lambda: user.send(f"/start {code}"), count=2)
    assert "This session is anonymous" in intro[0].plain_text
    assert "Fri 15 May, 09:00" in intro[0].plain_text  # shown in the event's local time, as the reader's language writes dates
    async with bot.services.db.session() as db:
        state = await db.scalar(select(ChatState).join(Participant).where(Participant.telegram_user_id == ORGANISER))
    assert state is not None and state.flow == "idle"


async def test_group_chat_points_to_private_chat(api: FakeBotAPI, bot: OfflineBot) -> None:
    group = api.group(-100123, "Forum room")
    member = api.user(2400, "Gus")
    reply = await group.reply_after(lambda: group.send(member, "/start"))
    assert "https://t.me/workshop_test_bot" in reply[0].text


# ----- first-run and daily-use behaviours (issue 10) -----------------------------------------


def _menu(api: FakeBotAPI, telegram_id: int) -> list[str]:
    return [c["command"] for c in api.my_commands({"type": "chat", "chat_id": telegram_id})]


async def test_organiser_without_event_is_shown_how_to_start(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser = api.user(ORGANISER, "Olivia")
    reply = await organiser.reply_after(lambda: organiser.send("/manage"))
    assert "You don't organise any event yet" in reply[0].plain_text and "/newevent" in reply[0].plain_text
    assert "newevent" in _menu(api, ORGANISER) and "draft" in _menu(api, ORGANISER)
    assert [c["command"] for c in api.my_commands({"type": "all_private_chats"})][0] == "join"


async def test_point_after_close_is_refused_not_dropped(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup_session(api)
    user = api.user(2500, "Zoe")
    await _onboard(user, code, "Zoe", "Diplomacy")
    saved = await user.reply_after(lambda: user.send("Share analysis early"))
    await user.reply_after(lambda: user.press(saved[0], text="Next ▶"))
    await user.reply_after(lambda: user.press(user.last(), text="Next ▶"))
    done = await user.reply_after(lambda: user.press(user.last(), text="Done ✓"))
    assert "You sent 1 point" in done[0].plain_text
    await organiser.reply_after(lambda: organiser.send(f"/close {code}"))
    late = await user.reply_after(lambda: user.send("One more thought after the end"))
    assert "is closed, so this point was not saved" in late[0].plain_text
    assert await _count(bot, Contribution) == 1


async def test_help_and_menus_follow_roles(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup_session(api)
    ravi = api.user(2600, "Ravi", username="ravi_r")
    help_text = (await ravi.reply_after(lambda: ravi.send("/help")))[0].plain_text
    assert "/myinput" in help_text and "/draft" not in help_text and "/open" not in help_text
    assert _menu(api, 2600) == []

    await organiser.reply_after(lambda: organiser.send(f"/grant {code} rapporteur @ravi_r"))
    await api.wait_for(lambda: "draft" in _menu(api, 2600), what="the rapporteur's menu")
    assert "newevent" not in _menu(api, 2600) and "open" not in _menu(api, 2600)
    help_text = (await ravi.reply_after(lambda: ravi.send("/help")))[0].plain_text
    assert "Rapporteurs" in help_text and "/draft" in help_text and "/newevent" not in help_text

    await organiser.reply_after(lambda: organiser.send(f"/grant {code} moderator @ravi_r"))
    await api.wait_for(lambda: "open" in _menu(api, 2600), what="the moderator's menu")
    help_text = (await ravi.reply_after(lambda: ravi.send("/help")))[0].plain_text
    assert "Moderators" in help_text and "/close CODE" in help_text

    await organiser.reply_after(lambda: organiser.send(f"/revoke {code} rapporteur @ravi_r"))
    await organiser.reply_after(lambda: organiser.send(f"/revoke {code} moderator @ravi_r"))
    await api.wait_for(lambda: _menu(api, 2600) == [], what="the menu removed with the last role")
    help_text = (await ravi.reply_after(lambda: ravi.send("/help")))[0].plain_text
    assert "Rapporteurs" not in help_text and "Moderators" not in help_text

    # Named in a corrected agenda, someone the bot knows is a rapporteur at once, menu included.
    named = EXPERT_MEETING.replace("    track: Plenary\n", "    track: Plenary\n    rapporteurs: ['@ravi_r']\n", 1)
    await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", named.encode()))
    await api.wait_for(lambda: "draft" in _menu(api, 2600), what="the menu of a rapporteur named in the agenda")


async def test_granted_organiser_creates_events_and_moderator_sees_only_own_sessions(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser = api.user(ORGANISER, "Olivia")
    created = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", EXPERT_MEETING.encode()))
    codes = re.findall(r"<code>([A-Z0-9]{6})</code>", created[0].text)
    ana, max_ = api.user(2700, "Ana", username="ana_org"), api.user(2701, "Max", username="max_mod")
    for person in (ana, max_):
        await person.reply_after(lambda p=person: p.send("/start"))
    await organiser.reply_after(lambda: organiser.send(f"/grant {codes[0]} organiser @ana_org"))
    await organiser.reply_after(lambda: organiser.send(f"/grant {codes[1]} moderator @max_mod"))

    # README: organisers are ORGANISER_IDS and anyone granted the organiser role.
    wizard = await ana.reply_after(lambda: ana.send("/newevent"))
    assert "New event" in wizard[0].plain_text
    await ana.reply_after(lambda: ana.send("/cancel"))
    other = EXPERT_MEETING.replace("title: Thematic meeting", "key: ana-workshop\n  title: Ana's workshop on", 1)
    mine = await ana.reply_after(lambda: ana.send("/agenda\n" + other))
    assert "Event <b>Ana's workshop on" in mine[0].text and "created" in mine[0].text
    assert await _count(bot, Event) == 2

    # A moderator of one session sees that session only: no other codes or counts.
    panels = await max_.reply_after(lambda: max_.send("/manage"), count=2)
    shown = " ".join(m.plain_text for m in panels)
    assert codes[1] in shown and codes[0] not in shown and codes[2] not in shown


async def test_corrected_agenda_updates_the_same_event(api: FakeBotAPI, bot: OfflineBot) -> None:
    future = EXPERT_MEETING.replace("2008-", "2031-")  # reminders need a session still to come
    organiser, code = await _setup_session(api, future)
    user = api.user(2800, "Ines")
    await _onboard(user, code, "Ines", "Development")
    await user.reply_after(lambda: user.send("Agencies plan separately"))
    scheduled = await organiser.reply_after(lambda: organiser.send(f"/remind {code} 15 min before start | Coffee first"))
    assert "scheduled" in scheduled[0].plain_text

    corrected = future.replace('start: "09:30"', 'start: "10:00"', 1).replace("Funding modalities", "Funding modalities for early recovery")
    corrected = corrected.replace(
        "track: Room C", "track: Room C\n    key: funding-modalities\n    chair: Jane Doe, Norad\n    rapporteurs: '@ravi_r'"
    )
    reply = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", corrected.encode()))
    text = reply[0].plain_text
    assert "updated: same join codes" in text and "@ravi_r" in text
    assert code in reply[0].text and await _count(bot, Event) == 1
    async with bot.services.db.session() as db:
        from storage.models import ScheduledItem, Session

        first = await db.scalar(select(Session).where(Session.join_code == code))
        item = await db.scalar(select(ScheduledItem))
    assert first is not None and first.starts_at is not None and first.starts_at.strftime("%H:%M") == "09:00"  # 10:00 Oslo
    assert item is not None and item.next_fire_at is not None and item.next_fire_at.strftime("%H:%M") == "08:45"  # the reminder followed
    assert await _count(bot, Contribution) == 1

    # Ravi, named by @username, becomes the session's rapporteur when he first writes.
    ravi = api.user(2801, "Ravi", username="ravi_r")
    await ravi.reply_after(lambda: ravi.send("/start"))
    await api.wait_for(lambda: "draft" in _menu(api, 2801), what="the named rapporteur's menu")
    assert await _count(bot, Role, Role.role == RoleName.RAPPORTEUR) == 1

    # A session with input that the file no longer has is refused, never deleted.
    without_first = corrected.replace(corrected[corrected.index("  - title: Good practice") : corrected.index("  - title: Planning")], "")
    refused = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", without_first.encode()))
    assert 'The session "Good practice during crisis"' in refused[0].plain_text and "holds 1 contribution and" in refused[0].plain_text
    assert "Nothing was created" in refused[0].plain_text
    # One without input goes, and says so.
    without_last = corrected[: corrected.index("  - title: Funding")]
    removed = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", without_last.encode()))
    assert "Removed (no input): Funding modalities for early recovery" in removed[0].plain_text
    from storage.models import Session as SessionRow

    assert await _count(bot, SessionRow) == 2 and await _count(bot, Contribution) == 1


async def test_chart_export_honours_version_and_event_report_skips_empty_sessions(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup_session(api)
    user = api.user(2900, "Olu")
    await _onboard(user, code, "Olu", "Security / defence")
    saved = await user.reply_after(lambda: user.send("Security and development plans diverge"))
    await user.reply_after(lambda: user.press(saved[0], text="Next ▶"))
    await user.reply_after(lambda: user.send("Plan security and development together"))
    before = len(organiser.inbox)
    organiser.send(f"/draft {code}")
    # the version line, then the chart, the DOCX and the PDF
    await api.wait_for(
        lambda: any(m.document and m.document[0].endswith(".pdf") for m in organiser.inbox[before:]), timeout=60, what="the draft"
    )
    chart = await organiser.reply_after(lambda: organiser.send(f"/export {code} chart 1"))
    assert chart[0].photo and chart[0].photo.startswith(b"\x89PNG")
    missing = await organiser.reply_after(lambda: organiser.send(f"/export {code} chart 7"))
    assert missing[0].photo is None and "7" in missing[0].plain_text
    document = await organiser.reply_after(lambda: organiser.send(f"/eventreport {code} md"))
    assert document[0].document is not None
    content = document[0].document[1].decode()
    assert "Good practice during crisis" in content
    assert "Planning modalities" not in content and "Funding modalities" not in content  # no bare headings
