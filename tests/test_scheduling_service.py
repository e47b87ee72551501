"""Scheduling at the service level, with a fixed clock: when items fire, who gets them, moving
sessions, daylight saving, the wizards, and the database ledger surviving a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.container import Services
from bot.i18n import translator
from bot.scheduling.delivery import Blocked, Outcome, deliver
from bot.scheduling.ledger import SqlDeliveryLedger
from bot.services.access import NotAllowed
from bot.services.organising import EventCreated
from bot.services.outcomes import Notice
from bot.services.schedule_flows import AskAudience, AskFiles, AskTarget, AskWhen, DocumentRef, PaperAdded, TargetOption
from bot.services.scheduling import (
    ItemScheduled,
    Rescheduled,
    ScheduleHint,
    ScheduleList,
    SendingNow,
    SessionMoved,
    TimePassed,
    WhenUnreadable,
    WizardScheduled,
)
from bot.services.views import MessageRef, UserRef
from handlers.schedule_texts import scheduled_message
from storage.models import (
    Audience,
    DeliveryRecipient,
    ItemStatus,
    Participant,
    RecipientStatus,
    ReportVersion,
    ScheduledItem,
    ScheduleKind,
)
from storage.types import utcnow
from tests.conftest import ORGANISER
from tests.schedule_samples import DST_MEETING, MEETING, make_rapporteur, seed_people

ORG = UserRef(ORGANISER, "Olivia", username="olivia")
NOW = datetime(2031, 2, 1, 12, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def _meeting(services: Services, agenda: str = MEETING, now: datetime = NOW) -> EventCreated:
    services.scheduling.clock = lambda: now
    created = await services.organising.import_agenda(ORG, agenda)
    assert isinstance(created, EventCreated)
    return created


async def _remind(services: Services, ref: str, phrase: str, audience: Audience = Audience.EVERYONE) -> ItemScheduled:
    scheduled = await services.scheduling.remind(ORG, ref, audience, phrase)
    assert isinstance(scheduled, ItemScheduled), scheduled
    return scheduled


async def _item(services: Services, item_id: int) -> ScheduledItem:
    async with services.db.session() as db:
        item = await db.get(ScheduledItem, item_id)
        assert item is not None
        return item


async def _recipients(services: Services, delivery_id: int) -> list[int]:
    async with services.db.session() as db:
        rows = await db.scalars(
            select(DeliveryRecipient.chat_id).where(DeliveryRecipient.delivery_id == delivery_id).order_by(DeliveryRecipient.position)
        )
        return list(rows)


async def _fire(services: Services, item_id: int) -> int:
    """Open the delivery of the item's next occurrence, as the runner does; the delivery id."""
    item = await _item(services, item_id)
    assert item.next_fire_at is not None
    opened = await services.deliveries.open(item_id, item.next_fire_at, {"messages": ["hello"]})
    assert opened is not None
    return opened.delivery_id


async def test_relative_times_follow_the_session_and_the_event(services: Services) -> None:
    session = (await _meeting(services)).event.sessions[0]  # 09:30-11:00 CET = 08:30-10:00 UTC
    before = await _remind(services, session.join_code, "15 min before start | Coffee in the lobby")
    assert before.item.next_fire_at == utc(2031, 2, 11, 8, 15)
    assert before.item.text == "Coffee in the lobby" and "09:15 CET" in before.item.when_text()
    assert before.item.when_text(translator("fr")) == "15 min avant le début (mar. 11 févr., 09:15 CET)"
    close = await _remind(services, session.join_code.lower(), "at close Thank you all")  # no separator
    assert close.item.next_fire_at == utc(2031, 2, 11, 10, 0) and close.item.text == "Thank you all"
    day_before = await _remind(services, session.join_code, "1 day before")
    assert day_before.item.next_fire_at == utc(2031, 2, 10, 8, 30) and day_before.item.text == ""
    # For the whole event, the anchors are its first start and its last end.
    opening = await _remind(services, "event", "1 hour before start | Welcome")
    assert opening.item.next_fire_at == utc(2031, 2, 11, 7, 30) and opening.item.target.session_id is None
    ending = await _remind(services, "event", "at close | Safe travels")
    assert ending.item.next_fire_at == utc(2031, 2, 12, 9, 30)


async def test_unreadable_or_past_times_are_explained(services: Services) -> None:
    session = (await _meeting(services)).event.sessions[0]
    unreadable = await services.scheduling.remind(ORG, session.join_code, Audience.EVERYONE, "at lunch | Food")
    assert isinstance(unreadable, WhenUnreadable) and "at lunch" in str(unreadable.error)
    past = await services.scheduling.remind(ORG, session.join_code, Audience.EVERYONE, "2031-01-05 09:00 | Too late")
    assert isinstance(past, WhenUnreadable) and "in the past" in str(past.error)
    services.scheduling.clock = lambda: utc(2031, 2, 11, 9, 0)  # the session has started
    passed = await services.scheduling.remind(ORG, session.join_code, Audience.EVERYONE, "15 min before start | Hurry")
    assert isinstance(passed, TimePassed) and passed.target.session_id == session.id
    unknown = await services.scheduling.remind(ORG, "ZZZZZZ", Audience.EVERYONE, "at close | x")
    assert isinstance(unknown, Notice) and unknown.key == "unknown_session"
    with pytest.raises(NotAllowed):
        await services.scheduling.remind(UserRef(2001, "Pat"), session.join_code, Audience.EVERYONE, "at close | x")


async def test_moving_a_session_moves_its_relative_reminders(services: Services) -> None:
    event = (await _meeting(services)).event
    first, second = event.sessions
    changed: list[frozenset[int]] = []
    services.scheduling.add_listener(changed.append)
    relative = await _remind(services, first.join_code, "15 min before start | Coffee")
    absolute = await _remind(services, first.join_code, "2031-02-11 08:00 | Doors open")
    closing = await _remind(services, "event", "at close | Safe travels")
    assert changed == [frozenset({relative.item.id}), frozenset({absolute.item.id}), frozenset({closing.item.id})]

    moved = await services.scheduling.move_session(ORG, first.join_code, "2031-02-11 10:00")
    assert isinstance(moved, SessionMoved)
    assert moved.session.starts_at == utc(2031, 2, 11, 9, 0) and moved.session.ends_at == utc(2031, 2, 11, 10, 30)
    assert [i.id for i in moved.moved] == [relative.item.id] and not moved.passed
    assert (await _item(services, relative.item.id)).next_fire_at == utc(2031, 2, 11, 8, 45)
    assert (await _item(services, absolute.item.id)).next_fire_at == utc(2031, 2, 11, 7, 0)
    assert relative.item.id in changed[-1]
    # The event's "at close" follows its last session.
    await services.scheduling.move_session(ORG, second.join_code, "2031-02-12 11:00")
    assert (await _item(services, closing.item.id)).next_fire_at == utc(2031, 2, 12, 11, 30)

    # Moved so close that "15 min before start" is already over: it is not sent, and it says so.
    services.scheduling.clock = lambda: utc(2031, 2, 11, 9, 0)
    late = await services.scheduling.move_session(ORG, first.join_code, "2031-02-11 10:10")
    assert isinstance(late, SessionMoved) and [i.id for i in late.passed] == [relative.item.id]
    item = await _item(services, relative.item.id)
    assert item.status is ItemStatus.MISSED and item.note == "moved"
    refused = await services.scheduling.move_session(ORG, first.join_code, "15 min before start")
    assert refused == ScheduleHint("move_needs_date")


async def test_recipients_for_each_audience(services: Services) -> None:
    event = (await _meeting(services)).event
    first, second = event.sessions
    await seed_people(services, first.id, [(2001, "Amira"), (2002, "Lars"), (2003, "Nour")], answered=[2001], blocked=[2003])
    await seed_people(services, second.id, [(2004, "Dee")])
    await make_rapporteur(services, first.id, 3001, "Rita")

    everyone = await _remind(services, first.join_code, "at close | Thanks")
    nudge = await _remind(services, first.join_code, "10 min after start | Please share", Audience.NON_RESPONDERS)
    rapporteurs = await _remind(services, first.join_code, "30 min after end | Please approve", Audience.RAPPORTEURS)
    whole_event = await _remind(services, "event", "at close | Safe travels")
    assert nudge.item.kind is ScheduleKind.NUDGE and rapporteurs.item.kind is ScheduleKind.RAPPORTEUR_NUDGE
    assert await _recipients(services, await _fire(services, everyone.item.id)) == [2001, 2002]
    assert await _recipients(services, await _fire(services, nudge.item.id)) == [2002]
    assert await _recipients(services, await _fire(services, rapporteurs.item.id)) == [3001]
    assert await _recipients(services, await _fire(services, whole_event.item.id)) == [2001, 2002, 2004]

    # Once the report is approved, rapporteurs are not chased; a report may also go to a channel.
    async with services.db.session() as db:
        db.add(ReportVersion(session_id=first.id, number=1, content={}, markdown="", approved_at=utcnow()))
    again = await _remind(services, first.join_code, "45 min after end | Still waiting?", Audience.RAPPORTEURS)
    assert await _recipients(services, await _fire(services, again.item.id)) == []
    report = await services.scheduling.schedule_report(
        ORG, first.join_code, "1 hour after end", chats=(-1001234567890, -1001234567890), whole_event=True
    )
    assert isinstance(report, ItemScheduled) and report.item.options["source"] == "approved"
    assert await _recipients(services, await _fire(services, report.item.id)) == [2001, 2002, 2004, -1001234567890]


async def test_firing_is_once_per_occurrence(services: Services) -> None:
    session = (await _meeting(services)).event.sessions[0]
    await seed_people(services, session.id, [(2001, "Amira")])
    item = (await _remind(services, session.join_code, "at close | Thanks")).item
    assert item.next_fire_at is not None
    assert await services.deliveries.open(item.id, item.next_fire_at, {}) is not None
    assert await services.deliveries.open(item.id, item.next_fire_at, {}) is None  # already fired
    done = await _item(services, item.id)
    assert done.status is ItemStatus.DONE and done.next_fire_at is None and done.last_fired_at == item.next_fire_at
    assert await services.deliveries.due() == []


async def test_daylight_saving_change(services: Services) -> None:
    """Summer time starts in Oslo on 30 March 2031: a 09:00 session is 07:00 UTC that day."""
    now = utc(2031, 3, 28, 12, 0)
    session = (await _meeting(services, DST_MEETING, now)).event.sessions[0]
    assert session.starts_at == utc(2031, 3, 30, 7, 0)
    # "1 day before" keeps the wall clock: 09:00 CET the day before, 23 hours earlier.
    day_before = await _remind(services, session.join_code, "1 day before | Tomorrow at 9")
    assert day_before.item.next_fire_at == utc(2031, 3, 29, 8, 0)
    two_hours = await _remind(services, session.join_code, "2 hours before start | Soon")
    assert two_hours.item.next_fire_at == utc(2031, 3, 30, 5, 0)
    # 02:30 does not exist that night: it fires when the clocks jump, 03:00 CEST.
    skipped = await _remind(services, session.join_code, "2031-03-30 02:30 | Night owls")
    assert skipped.item.next_fire_at == utc(2031, 3, 30, 1, 0)

    # A daily digest stays at 08:00 local on both sides of the change, and ends with the event.
    daily = await _remind(services, "event", "every day at 08:00 | Today's programme")
    assert daily.item.next_fire_at == utc(2031, 3, 29, 7, 0) and "until Monday, 31 March 2031" in daily.item.when_text()
    fired_at = []
    for _ in range(4):
        item = await _item(services, daily.item.id)
        if item.next_fire_at is None:
            break
        services.scheduling.clock = lambda at=item.next_fire_at: at
        fired_at.append(item.next_fire_at)
        plan = await services.deliveries.plan(daily.item.id)
        assert plan is not None
        digest = scheduled_message(plan, translator("en"))  # a daily digest: that day's sessions, local times
        assert ("• 09:00 Sunday morning session" in digest) is (item.next_fire_at.day == 30), digest
        await _fire(services, daily.item.id)
    assert fired_at == [utc(2031, 3, 29, 7, 0), utc(2031, 3, 30, 6, 0), utc(2031, 3, 31, 6, 0)]
    assert (await _item(services, daily.item.id)).status is ItemStatus.DONE
    plan = await services.deliveries.plan(two_hours.item.id)
    assert plan is not None and plan.target.starts_at == utc(2031, 3, 30, 7, 0)


async def test_missed_items_are_recorded_and_daily_ones_move_on(services: Services) -> None:
    session = (await _meeting(services)).event.sessions[0]
    once = (await _remind(services, session.join_code, "15 min before start | Coffee")).item
    daily = (await _remind(services, "event", "every day at 08:00 | Programme")).item
    services.scheduling.clock = lambda: utc(2031, 2, 11, 12, 0)
    assert once.next_fire_at is not None and daily.next_fire_at is not None
    missed = await services.deliveries.miss(once.id, once.next_fire_at, "offline")
    assert missed is not None and missed.creator_chat == ORGANISER and missed.item.status is ItemStatus.MISSED
    assert await services.deliveries.miss(once.id, once.next_fire_at, "offline") is None  # only once
    skipped = await services.deliveries.miss(daily.id, daily.next_fire_at, "offline")
    assert skipped is not None and skipped.item.next_fire_at == utc(2031, 2, 12, 7, 0)  # the next morning
    listing = await services.scheduling.list_items(ORG)
    assert isinstance(listing, ScheduleList)
    assert [(i.id, i.status) for i in listing.items] == [(once.id, ItemStatus.MISSED), (daily.id, ItemStatus.ACTIVE)]
    # "Send now" brings a missed item back, due at once; a second press is stale.
    assert isinstance(await services.scheduling.send_now(ORG, once.id), SendingNow)
    assert await services.scheduling.send_now(ORG, once.id) == Notice("stale")
    assert (await _item(services, once.id)).next_fire_at == utc(2031, 2, 11, 12, 0)
    assert (await services.scheduling.cancel(ORG, once.id)).item.status is ItemStatus.CANCELLED  # type: ignore[union-attr]
    assert isinstance(await services.scheduling.cancel(ORG, once.id), Notice)


async def test_wizards_remind_papers_and_change(services: Services) -> None:
    session = (await _meeting(services)).event.sessions[0]
    messages = iter(range(100, 200))

    async def say(text: str) -> object:
        return await services.router.text(ORG, text, MessageRef(ORGANISER, next(messages)))

    asked = await services.schedule_flows.begin_remind(ORG)
    assert isinstance(asked, AskTarget) and TargetOption(f"s{session.id}", session.title, session.join_code) in asked.options
    assert isinstance(await services.schedule_flows.choose(ORG, f"s{session.id}"), AskAudience)
    assert (await services.schedule_flows.choose(ORG, "s999999")).key == "stale"  # type: ignore[union-attr]
    assert isinstance(await services.schedule_flows.choose(ORG, "non_responders"), AskWhen)
    wrong = await say("whenever")
    assert isinstance(wrong, WhenUnreadable)
    assert await say("10 min after start") == ScheduleHint("ask_text")
    created = await say("Please share one point before the break")
    assert isinstance(created, WizardScheduled) and created.item.kind is ScheduleKind.NUDGE, created

    files = await services.schedule_flows.begin_papers(ORG, session.join_code)
    assert isinstance(files, AskFiles) and await services.schedule_flows.is_attaching(ORG)
    for number in (1, 2):
        added = await services.schedule_flows.attach(
            ORG, DocumentRef(f"file{number}", f"u{number}", f"paper{number}.pdf", "application/pdf", 1000)
        )
        assert isinstance(added, PaperAdded) and added.count == number
    assert await say("here they are") == ScheduleHint("papers_need_file")
    assert isinstance(await services.schedule_flows.choose(ORG, "done"), AskWhen)
    papers = await say("1 day before")
    assert isinstance(papers, WizardScheduled) and papers.item.kind is ScheduleKind.PAPERS and papers.item.documents == 2
    assert not await services.schedule_flows.is_attaching(ORG)

    async with services.db.session() as db:
        items = list(await db.scalars(select(ScheduledItem).order_by(ScheduledItem.id)))
    assert [(i.kind, i.audience, i.text) for i in items] == [
        (ScheduleKind.NUDGE, Audience.NON_RESPONDERS, "Please share one point before the break"),
        (ScheduleKind.PAPERS, Audience.EVERYONE, ""),
    ]
    assert len(items[1].options["documents"]) == 2
    plan = await services.deliveries.plan(items[1].id)
    assert plan is not None and [name for _id, name in plan.documents] == ["paper1.pdf", "paper2.pdf"]

    change = await services.schedule_flows.begin_change(ORG, items[0].id)
    assert isinstance(change, AskWhen) and change.item is not None
    assert isinstance(await say("20 min after start"), Rescheduled)
    assert (await _item(services, items[0].id)).next_fire_at == utc(2031, 2, 11, 8, 50)
    # /cancel leaves a wizard without scheduling anything.
    await services.schedule_flows.begin_remind(ORG)
    assert (await services.participation.cancel(ORG)).key == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(NotAllowed):
        await services.schedule_flows.begin_remind(UserRef(2500, "Pat"))


class Crash(BaseException):
    """The process dies here."""


class _NoPacer:
    async def acquire(self, chat_id: int) -> None:
        return None

    def penalise(self, seconds: float) -> None:
        return None


async def test_database_ledger_resumes_after_a_crash_without_duplicates(services: Services) -> None:
    session = (await _meeting(services)).event.sessions[0]
    people = [(2000 + n, f"P{n}") for n in range(1, 11)]
    await seed_people(services, session.id, people)
    delivery_id = await _fire(services, (await _remind(services, session.join_code, "at close | Thanks")).item.id)
    ledger = SqlDeliveryLedger(services.db)
    sent: list[int] = []

    async def crashing(chat_id: int, part: int) -> None:
        if len(sent) == 5:
            raise Crash  # dies with the 6th recipient's send in flight
        if chat_id == 2003:
            raise Blocked("Forbidden: bot was blocked by the user")
        sent.append(chat_id)

    with pytest.raises(Crash):
        await deliver(delivery_id, ledger, crashing, _NoPacer(), concurrency=1)
    assert len(sent) == 5

    async def working(chat_id: int, part: int) -> None:
        sent.append(chat_id)

    summary = await deliver(delivery_id, ledger, working, _NoPacer(), concurrency=3)
    assert summary.unconfirmed == 1 and summary.skipped_already_done == 6
    assert len(sent) == len(set(sent)) == 8  # nobody twice
    report = await services.deliveries.finish(delivery_id)
    assert report.counts == {"sent": 8, "blocked": 1, "unconfirmed": 1}
    in_doubt = [p for p in report.problems if p.status is RecipientStatus.UNCONFIRMED]
    assert len(in_doubt) == 1 and in_doubt[0].chat_id not in sent
    assert {p.name for p in report.problems if p.status is RecipientStatus.BLOCKED} == {"P3"}
    async with services.db.session() as db:
        blocked = await db.scalar(select(Participant.blocked_at).where(Participant.telegram_user_id == 2003))
    assert blocked is not None  # later broadcasts leave them out
    assert Outcome.UNCONFIRMED.value in report.counts
