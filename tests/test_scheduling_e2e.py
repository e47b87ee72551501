"""Scheduling end to end: the real Application and JobQueue against the fake Bot API, with restarts.

Time is controlled, not waited for: the meeting is in 2031 and the scheduler's clock (the
Scheduling service's `now`, which the runner also uses to register jobs) is set to a moment just
before an item is due, so "15 minutes before the session" comes a fraction of a second later.
Everything after that is real: APScheduler's timer, PTB's HTTP requests, the pacer, the database.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import delete, insert, select

import bot.services.scheduling as scheduling_module
import telegram_edge.dispatch.runner as runner_module
from bot.scheduling.delivery import deliver
from bot.scheduling.pacing import TelegramLimits
from bot.services.views import UserRef
from fake_bot_api import FakeBotAPI, FakeUser, FloodLimits, UploadedFile
from storage.db import Database
from storage.models import Delivery, DeliveryPart, DeliveryRecipient, Participant, PartState, RecipientStatus, ScheduledItem, Session
from telegram_edge.offline import OfflineBot
from tests.conftest import ORGANISER
from tests.schedule_samples import MEETING, seed_people

START = datetime(2031, 2, 11, 8, 30, tzinfo=UTC)  # the first session: 09:30-11:00 in Oslo (CET)
END = datetime(2031, 2, 11, 10, 0, tzinfo=UTC)
LEAD = timedelta(seconds=0.6)  # how long before an item is due the clock is set
CHANNEL = -1001234567890


class Clock:
    """Real time shifted to a chosen moment: it keeps running, so timers behave as in production."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Every Scheduling service built from now on (restarts included) reads this clock."""
    shifted = Clock()
    shifted.set(START - timedelta(hours=2))
    monkeypatch.setattr(scheduling_module, "utcnow", shifted.now)
    yield shifted


@pytest.fixture
def quick_chats(monkeypatch: pytest.MonkeyPatch) -> None:
    """Multi-part items (report + files) to one chat go every 0.2 s instead of 1 s (3 s in groups),
    so the test takes seconds; the fake API enforces nothing here. test_flood_* uses real limits."""
    monkeypatch.setattr(runner_module, "DEFAULT_LIMITS", TelegramLimits(private_chat_interval=0.2, group_per_minute=300))


async def _meeting(api: FakeBotAPI) -> tuple[FakeUser, str, str]:
    """The organiser sends the agenda file and opens the first session; its and the second's codes."""
    organiser = api.user(ORGANISER, "Olivia", username="olivia")
    created = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", MEETING.encode(), "application/x-yaml"))
    codes = re.findall(r"<code>([A-Z0-9]{6})</code>", created[0].text)
    await organiser.reply_after(lambda: organiser.send(f"/open {codes[0]}"))
    return organiser, codes[0], codes[1]


async def _join(user: FakeUser, code: str, name: str) -> None:
    """A new participant: deep link, consent, name, no organisation, community, first question."""
    replies = await user.reply_after(lambda: user.send(f"/start {code}"), count=2)
    await user.reply_after(lambda: user.press(replies[1], text="✅ I agree"))
    await user.reply_after(lambda: user.send(name))
    await user.reply_after(lambda: user.send("/skip"))
    shown = await user.reply_after(lambda: user.press(user.last(), text="Development"), count=2)
    assert "Question 1 of 2" in shown[1].plain_text


def _count(api: FakeBotAPI, chat_id: int, marker: str) -> int:
    return sum(marker in m.plain_text for m in api.messages_to(chat_id) if not m.edited)


def _summaries(api: FakeBotAPI) -> list[str]:
    return [m.plain_text for m in api.messages_to(ORGANISER) if "Delivery summary" in m.plain_text]


async def _due_at(
    api: FakeBotAPI, clock: Clock, due: datetime, predicate: object, what: str, *, back: datetime, slack: float = 3.0
) -> None:
    """Wait for `predicate`, and check it came true on time: not before `due`, and at most `slack` s
    after it, or after the bot was `back` if its restart outlasted LEAD (a loaded machine): an
    item already due at start is owed at once, so its lateness counts from there. The slack is
    for a loaded 2-core CI machine (a reminder came +2.13 s late there against 2 s); a scheduler
    that missed an item would be minutes late, or never."""
    await api.wait_for(predicate, timeout=8, what=what)  # type: ignore[arg-type]
    arrived = clock.now()
    late = arrived - max(due, back)
    assert arrived >= due and late < timedelta(seconds=slack), (
        f"{what} arrived {(arrived - due).total_seconds():+.2f} s from its time (the bot was back at {(back - due).total_seconds():+.2f} s)"
    )


async def _restart_just_before(bot: OfflineBot, clock: Clock, due: datetime) -> datetime:
    """Restart the bot with the clock LEAD before `due`; when it was back, by that clock."""
    clock.set(due - LEAD)
    await bot.restart()
    return clock.now()


async def test_reminder_nudge_and_report_across_restarts(clock: Clock, quick_chats: None, api: FakeBotAPI, bot: OfflineBot) -> None:
    """The issue's acceptance test: set up once, restart in between, each message once and on time."""
    organiser, code, _second = await _meeting(api)
    amira, lars, nour = api.user(2001, "Amira"), api.user(2002, "Lars"), api.user(2003, "Nour")
    for user, name in ((amira, "Amira Haddad"), (lars, "Lars Berg"), (nour, "Nour El-Sayed")):
        await _join(user, code, name)
    await amira.reply_after(lambda: amira.send("Donors still work in silos"))
    channel = api.group(CHANNEL, "Forum channel")

    # A reminder 15 minutes before the session, in one message.
    reply = await organiser.reply_after(lambda: organiser.send(f"/remind {code} 15 min before start | Coffee is served in the lobby"))
    assert "15 min before start (Tue 11 Feb, 09:15 CET)" in reply[0].plain_text
    assert [b[0] for b in reply[0].buttons()] == ["✏️ Change time", "✖ Cancel"]
    # A nudge to those who have not answered, with the wizard's buttons.
    targets = await organiser.reply_after(lambda: organiser.send("/remind"))
    audience = await organiser.reply_after(
        lambda: organiser.press(targets[0], data=next(b[1] for b in targets[0].buttons() if code in b[0]))
    )
    when = await organiser.reply_after(lambda: organiser.press(audience[0], text="👋 Those who haven't answered yet"))
    assert "When should it go out?" in when[0].plain_text and "09:30 CET" in when[0].plain_text
    bad = await organiser.reply_after(lambda: organiser.send("after lunch"))
    assert "⚠️" in bad[0].plain_text and "15 min before start" in bad[0].plain_text  # explains with examples
    await organiser.reply_after(lambda: organiser.send("10 min after start"))
    nudged = await organiser.reply_after(lambda: organiser.send("Please share one point before the break"))
    assert "Nudge to those who haven't answered yet" in nudged[0].plain_text and "09:40 CET" in nudged[0].plain_text
    # The report, 30 minutes after the end, to the participants and a channel, with its files.
    delivery = await organiser.reply_after(lambda: organiser.send(f"/deliver {code} 30 min after end to {CHANNEL}"))
    assert "Report delivery (approved report)" in delivery[0].plain_text and "11:30 CET" in delivery[0].plain_text
    listing = await organiser.reply_after(
        lambda: organiser.send("/schedule"), count=4, timeout=15
    )  # 4 messages, 1 s apart, on a busy machine
    assert ["09:15 CET" in listing[1].plain_text, "09:40 CET" in listing[2].plain_text, "11:30 CET" in listing[3].plain_text] == [True] * 3
    api.fail_chat(nour.id)  # Nour blocks the bot

    # Restart; the reminder is due 0.6 s after the bot is back.
    due = START - timedelta(minutes=15)
    back = await _restart_just_before(bot, clock, due)
    reached = lambda: _count(api, amira.id, "Coffee is served") and _count(api, lars.id, "Coffee is served")  # noqa: E731
    await _due_at(api, clock, due, reached, "the reminder", back=back)
    await api.wait_for(lambda: len(_summaries(api)) == 1, what="the reminder's summary")
    assert "Sent: 2 · 🚫 Blocked: 1 · ⚠️ Failed: 0 (of 3)" in _summaries(api)[0] and "Nour El-Sayed — blocked" in _summaries(api)[0]

    due = START + timedelta(minutes=10)
    back = await _restart_just_before(bot, clock, due)
    await _due_at(api, clock, due, lambda: _count(api, lars.id, "Please share one point"), "the nudge", back=back)
    await api.wait_for(lambda: len(_summaries(api)) == 2, what="the nudge's summary")
    assert "Sent: 1 · 🚫 Blocked: 0 · ⚠️ Failed: 0 (of 1)" in _summaries(api)[1]  # Amira answered; Nour is known blocked

    await bot.services.reporting.approve(UserRef(ORGANISER), code)  # the rapporteurs' part, done meanwhile
    due = END + timedelta(minutes=30)
    back = await _restart_just_before(bot, clock, due)

    def files(chat: int) -> list[str]:
        return [m.document[0].rsplit(".", 1)[1] for m in api.messages_to(chat) if m.document]

    def everywhere() -> bool:
        return all(sorted(files(chat)) == ["docx", "pdf"] for chat in (amira.id, lars.id, CHANNEL))

    # The report and its PDF and DOCX are rendered when it is due: 1 s alone, up to 4 s on a loaded machine.
    await _due_at(
        api, clock, due, lambda: any("Session report" in m.plain_text for m in api.messages_to(CHANNEL)), "the report", back=back, slack=8.0
    )
    await api.wait_for(everywhere, what="the report's files everywhere")
    await api.wait_for(lambda: len(_summaries(api)) == 3, what="the report's summary")
    assert "Sent: 3 · 🚫 Blocked: 0 · ⚠️ Failed: 0 (of 3)" in _summaries(api)[2]
    uploads = [c for c in api.calls if c.method == "sendDocument" and isinstance(c.params.get("document"), UploadedFile)]
    assert len(uploads) == 2  # each file uploaded once, then sent on by file_id

    await bot.restart()  # nothing is sent again after yet another restart
    for user in (amira, lars):
        assert [_count(api, user.id, m) for m in ("Coffee is served", "Session report")] == [1, 1]
        assert sorted(files(user.id)) == ["docx", "pdf"]
    assert _count(api, lars.id, "Please share one point") == 1 and _count(api, amira.id, "Please share one point") == 0
    assert api.messages_to(nour.id)[-1].plain_text.startswith("Question 1 of 2")  # nothing after blocking
    assert len(_summaries(api)) == 3 and channel.inbox
    async with bot.services.db.session() as db:
        assert await db.scalar(select(Participant.blocked_at).where(Participant.telegram_user_id == nour.id)) is not None


async def test_restart_with_jobs_pending_fires_late_ones_and_reports_old_ones(clock: Clock, api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code, _second = await _meeting(api)
    async with bot.services.db.session() as db:
        from storage.models import Session

        session_id = await db.scalar(select(Session.id).where(Session.join_code == code))
    assert session_id is not None
    await seed_people(bot.services, session_id, [(2101, "Ana"), (2102, "Ben")])
    ana, ben = api.user(2101, "Ana"), api.user(2102, "Ben")
    await organiser.reply_after(lambda: organiser.send(f"/remind {code} 15 min before start | Doors open"))
    await organiser.reply_after(lambda: organiser.send(f"/remind {code} 2031-02-11 08:00 | Breakfast is ready"))

    # The bot is down from before both were due until 10 minutes before the session: the first
    # is 5 minutes late (within its 10-minute grace) and goes out once; the other, 80 minutes late,
    # is reported to the organiser instead of being sent.
    await bot.stop()
    clock.set(START - timedelta(minutes=10))
    await bot.start()
    await api.wait_for(lambda: bool(_count(api, ana.id, "Doors open") and _count(api, ben.id, "Doors open")), what="the late reminder")
    await api.wait_for(lambda: any("Not sent" in m.plain_text for m in api.messages_to(ORGANISER)), what="the missed report")
    missed = next(m for m in api.messages_to(ORGANISER) if "Not sent" in m.plain_text)
    assert "Breakfast is ready" not in " ".join(m.plain_text for m in api.messages_to(ana.id))
    assert "due Tue 11 Feb, 08:00 CET, but the bot was offline" in missed.plain_text
    assert [b[0] for b in missed.buttons()] == ["▶ Send now", "✏️ Change time", "✖ Cancel"]

    # The organiser sends it anyway; pressing twice sends it once.
    await organiser.reply_after(lambda: organiser.press(missed, text="▶ Send now"))
    await api.wait_for(
        lambda: bool(_count(api, ana.id, "Breakfast is ready") and _count(api, ben.id, "Breakfast is ready")), what="sent now"
    )
    organiser.press_data(missed.message_id, f"sn:{missed.buttons()[0][1].split(':')[1]}")  # type: ignore[union-attr]
    await api.wait_for(lambda: len(_summaries(api)) == 2, what="two summaries")
    await bot.restart()
    await api.wait_for(lambda: "out of date" in organiser.callback_answers[-1], what="the second press refused")
    assert [_count(api, ana.id, "Doors open"), _count(api, ana.id, "Breakfast is ready")] == [1, 1]
    assert [_count(api, ben.id, "Doors open"), _count(api, ben.id, "Breakfast is ready")] == [1, 1]
    assert len(_summaries(api)) == 2


async def _reminder_under_way(
    api: FakeBotAPI, bot: OfflineBot, clock: Clock, people: list[tuple[int, str]], text: str
) -> tuple[FakeUser, list[FakeUser], Callable[[], int]]:
    """`people` in the first session and a reminder to them due now: the organiser, the people, how many got it."""
    organiser, code, _second = await _meeting(api)
    async with bot.services.db.session() as db:
        session_id = await db.scalar(select(Session.id).where(Session.join_code == code))
    assert session_id is not None
    await seed_people(bot.services, session_id, people)
    users = [api.user(telegram_id, name) for telegram_id, name in people]
    await organiser.reply_after(lambda: organiser.send(f"/remind {code} 15 min before start | {text}"))
    await _restart_just_before(bot, clock, START - timedelta(minutes=15))
    return organiser, users, lambda: sum(_count(api, u.id, text) for u in users)


async def test_restart_in_the_middle_of_a_broadcast(clock: Clock, api: FakeBotAPI, bot: OfflineBot) -> None:
    """Stopped after about a third of 60 sends: the rest go out after the restart, nobody twice."""
    people = [(3000 + n, f"Person {n}") for n in range(60)]
    _organiser, users, received = await _reminder_under_way(api, bot, clock, people, "Room change: B")
    await api.wait_for(lambda: received() >= 20, timeout=8, what="a third of the broadcast")
    await bot.restart()
    async with bot.services.db.session() as db:
        unfinished = await db.scalar(select(Delivery.id).where(Delivery.finished_at.is_(None)))
    assert unfinished is not None or received() == 60  # it was interrupted (unless it raced to the end)
    await api.wait_for(lambda: received() == 60 and len(_summaries(api)) == 1, timeout=8, what="the rest")
    assert all(_count(api, u.id, "Room change") == 1 for u in users)
    assert "Sent: 60 · 🚫 Blocked: 0 · ⚠️ Failed: 0 (of 60)" in _summaries(api)[0]


@pytest.fixture
async def flood_api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API that enforces Telegram's flood limits (429 past them)."""
    async with FakeBotAPI(bot_username="workshop_test_bot", limits=FloodLimits()) as fake:
        yield fake


async def test_flood_wait_blocked_user_and_network_error(clock: Clock, flood_api: FakeBotAPI, database_url: str) -> None:
    """One 429 (waited out and retried once, not by PTB), one 403 (skipped, marked), one dropped
    connection (backed off and retried): everyone else gets the reminder exactly once."""
    api = flood_api
    async with OfflineBot(api, database_url, organiser_ids=[ORGANISER]) as running:
        organiser = api.user(ORGANISER, "Olivia")
        session = (await running.services.organising.import_agenda(UserRef(ORGANISER), MEETING)).event.sessions[0]
        code = session.join_code
        people = [(4000 + n, f"P{n}") for n in range(12)]
        await seed_people(running.services, session.id, people)
        for telegram_id, name in people:
            api.user(telegram_id, name)
        api.flood_once(4003, retry_after=1)
        api.fail_chat(4005)
        api.fail_network_once(4007)
        await organiser.reply_after(lambda: organiser.send(f"/remind {code} at start | We are starting"))
        floods_before = api.flood_errors
        clock.set(START - LEAD)
        await running.restart()
        await api.wait_for(lambda: len(_summaries(api)) == 1, timeout=10, what="the summary")
        assert "Sent: 11 · 🚫 Blocked: 1 · ⚠️ Failed: 0 (of 12)" in _summaries(api)[0] and "P5 — blocked" in _summaries(api)[0]
        assert [_count(api, telegram_id, "We are starting") for telegram_id, _ in people] == [1] * 5 + [0] + [1] * 6
        assert api.flood_errors - floods_before == 1  # PTB's rate limiter did not retry it behind our back
        assert running.errors == []
        async with running.services.db.session() as db:
            blocked = await db.scalar(select(Participant.blocked_at).where(Participant.telegram_user_id == 4005))
        assert blocked is not None


async def test_papers_move_cancel_and_refusals(clock: Clock, quick_chats: None, api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code, _second = await _meeting(api)
    amira = api.user(2001, "Amira")
    await _join(amira, code, "Amira Haddad")

    asked = await organiser.reply_after(lambda: organiser.send(f"/papers {code}"))
    assert "Send the background papers" in asked[0].plain_text
    await organiser.reply_after(lambda: organiser.send_document("concept-note.pdf", b"%PDF-1.4 concept", "application/pdf"))
    added = await organiser.reply_after(lambda: organiser.send_document("programme.txt", b"09:30 Opening", "text/plain"))
    assert "Added programme.txt (2 so far)" in added[0].plain_text  # a .txt here is a paper, not an agenda
    when = await organiser.reply_after(lambda: organiser.press(added[0], text="✓ Done"))
    assert "When should the papers go out?" in when[0].plain_text
    created = await organiser.reply_after(lambda: organiser.send("1 hour before start"))
    assert (
        "Background papers for Good practice during crisis will be sent: 1 h before start (Tue 11 Feb, 08:30 CET)" in created[0].plain_text
    )

    # Moving the session moves the papers with it.
    moved = await organiser.reply_after(lambda: organiser.send(f"/move {code} 2031-02-11 10:00"))
    assert "now starts Tue 11 Feb, 10:00 CET, ends Tue 11 Feb, 11:30 CET" in moved[0].plain_text
    assert "1 h before start (Tue 11 Feb, 09:00 CET)" in moved[0].plain_text
    due = START + timedelta(minutes=30) - timedelta(hours=1)
    back = await _restart_just_before(bot, clock, due)

    def documents() -> list[tuple[str, bytes]]:
        return [m.document for m in api.messages_to(amira.id) if m.document]

    await _due_at(api, clock, due, lambda: len(documents()) == 2, "the papers", back=back)
    assert documents() == [("concept-note.pdf", b"%PDF-1.4 concept"), ("programme.txt", b"09:30 Opening")]
    assert _count(api, amira.id, "Background papers · Good practice during crisis") == 1
    await api.wait_for(lambda: len(_summaries(api)) == 1, what="the papers' summary")

    # Cancel from /schedule: the card turns into "Cancelled"; a stale or forged press changes nothing.
    await organiser.reply_after(lambda: organiser.send(f"/remind {code} at close | Thank you"))
    card = (await organiser.reply_after(lambda: organiser.send("/schedule"), count=2))[1]
    cancelled = await organiser.reply_after(lambda: organiser.press(card, text="✖ Cancel"))
    assert cancelled[0].edited and "Cancelled — nothing will be sent" in cancelled[0].plain_text
    organiser.press_data(card.message_id, "sx:999999")
    await api.wait_for(lambda: "out of date" in organiser.callback_answers[-1])
    async with bot.services.db.session() as db:
        statuses = list(await db.scalars(select(ScheduledItem.status).order_by(ScheduledItem.id)))
    assert [s.value for s in statuses] == ["done", "cancelled"]

    # Participants cannot schedule anything.
    for command in (
        f"/remind {code} at close | Hi",
        "/remind",
        f"/deliver {code} at close",
        "/schedule",
        f"/move {code} 2031-02-11 12:00",
        f"/papers {code}",
    ):
        refused = await amira.reply_after(partial(amira.send, command))
        assert "Sorry, that's for the" in refused[0].plain_text, command
    usage = await organiser.reply_after(lambda: organiser.send("/deliver"))
    assert "/deliver CODE" in usage[0].plain_text
    unreachable = await organiser.reply_after(lambda: organiser.send(f"/deliver {code} at close to -1009999999999"))
    assert "I can't reach the chat" in unreachable[0].plain_text


async def test_summary_lists_every_unconfirmed_recipient_on_pages_and_resends_on_confirmation(
    clock: Clock, api: FakeBotAPI, bot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """80 parts left in flight by a crash: the summary names all 80 over several pages under
    Telegram's limit, and only the organiser's confirmed "Resend to unconfirmed" sends them again."""
    people = [(4000 + n, f"Participant with a rather long name number {n:03d}") for n in range(100)]
    organiser, users, received = await _reminder_under_way(api, bot, clock, people, "Lunch moves to 13:00")
    await api.wait_for(lambda: received() >= 3, timeout=8, what="the broadcast under way")
    await bot.stop()
    # What a crash leaves: these requests were claimed ("sending") and nobody knows if they arrived.
    database = Database(bot.settings.database_url)
    async with database.session() as db:
        delivery_id = await db.scalar(select(Delivery.id))
        waiting = list(
            await db.scalars(
                select(DeliveryRecipient.chat_id)
                .where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.status == RecipientStatus.PENDING)
                .order_by(DeliveryRecipient.position.desc())  # the last ones: surely not served yet
                .limit(80)
            )
        )
        assert len(waiting) == 80
        await db.execute(delete(DeliveryPart).where(DeliveryPart.delivery_id == delivery_id, DeliveryPart.chat_id.in_(waiting)))
        await db.execute(
            insert(DeliveryPart),
            [
                {
                    "delivery_id": delivery_id,
                    "chat_id": chat,
                    "part": 0,
                    "state": PartState.SENDING,
                    "attempts": 1,
                    "updated_at": clock.now(),
                }
                for chat in waiting
            ],
        )
    await database.dispose()
    runs: list[int] = []
    engine = deliver

    async def counted(delivery: int, *args: object, **kwargs: object) -> object:
        runs.append(delivery)
        return await engine(delivery, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner_module, "deliver", counted)
    await bot.start()
    assert bot.application is not None and bot.application.bot_data.runner is not None
    await bot.application.bot_data.runner._catch_up()  # the sweep, while it resumes
    await api.wait_for(lambda: received() == 20 and len(_summaries(api)) >= 3, timeout=10, what="the others and a paged summary")
    pages = [m for m in api.messages_to(ORGANISER) if "Delivery summary" in m.plain_text]
    assert len(pages) == 3 and all(len(p.plain_text) <= 4096 for p in pages)
    listed = [line for page in pages for line in page.plain_text.splitlines() if line.startswith("• ")]
    names = {name for telegram_id, name in people if telegram_id in waiting}
    assert sorted(line.split(" — ")[0][2:] for line in listed) == sorted(names)  # every one, once
    assert "❔ Unconfirmed: 80" in pages[0].plain_text and "✅ Sent: 20" in pages[0].plain_text
    assert [p.buttons() for p in pages[:-1]] == [[], []]
    assert pages[-1].buttons() == [("🔁 Resend to unconfirmed (80)", f"sr:{delivery_id}", None)]
    assert all(_count(api, chat, "Lunch moves") == 0 for chat in waiting)
    assert runs == [delivery_id]  # resumed once; the sweep left the running broadcast alone

    # A participant forging the button is refused; the organiser is asked, says no, then yes.
    lars = users[0]
    lars.press_data(pages[-1].message_id, f"sy:{delivery_id}")
    await api.wait_for(lambda: bool(lars.callback_answers), what="the refusal")
    asked = await organiser.reply_after(lambda: organiser.press(pages[-1], text="🔁 Resend to unconfirmed (80)"))
    assert "80 recipients" in asked[0].plain_text and "twice" in asked[0].plain_text
    declined = await organiser.reply_after(lambda: organiser.press(asked[0], text="✖ No"))
    assert declined[0].edited and declined[0].plain_text == "Nothing was resent." and not declined[0].buttons()
    assert all(_count(api, chat, "Lunch moves") == 0 for chat in waiting)
    asked = await organiser.reply_after(lambda: organiser.press(pages[-1], text="🔁 Resend to unconfirmed (80)"))
    started = await organiser.reply_after(lambda: organiser.press(asked[0], text="✅ Yes, resend"), count=2)
    assert started[0].edited and not started[0].buttons()  # cannot be pressed twice
    assert "Resending to 80 recipients" in started[1].plain_text
    await api.wait_for(lambda: received() == 100 and len(_summaries(api)) == 4, timeout=10, what="the resend and its summary")
    assert all(_count(api, u.id, "Lunch moves") == 1 for u in users)
    assert "Sent: 100 · 🚫 Blocked: 0 · ⚠️ Failed: 0 (of 100)" in _summaries(api)[-1]
    organiser.press_data(asked[0].message_id, f"sy:{delivery_id}")  # a replayed confirmation: stale, nothing sent
    await api.wait_for(lambda: "out of date" in organiser.callback_answers[-1], what="the replay refused")
    assert all(_count(api, u.id, "Lunch moves") == 1 for u in users) and len(_summaries(api)) == 4
    assert not bot.errors
