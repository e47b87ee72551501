"""The participant flow at the service level: no Telegram, real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest
from sqlalchemy import event, func, select

from bot.container import Services
from bot.services.access import NotAllowed
from bot.services.organising import EventCreated, StatusChanged
from bot.services.outcomes import AnswerSaved, AskOnboarding, Finished, MyInput, Notice, ShowPrompt, Waiting
from bot.services.state import preload_actors
from bot.services.views import MessageRef, UserRef
from storage.group_commit import Preload
from storage.models import Community, Contribution, Participant, SessionStatus
from tests.agenda_samples import EXPERT_MEETING
from tests.conftest import ORGANISER

ORG = UserRef(ORGANISER, "Olivia", username="olivia")


async def _event(services: Services) -> EventCreated:
    created = await services.organising.import_agenda(ORG, EXPERT_MEETING)
    assert isinstance(created, EventCreated)
    return created


async def _onboard(services: Services, user: UserRef, code: str) -> object:
    first = await services.participation.join(user, code)
    assert isinstance(first, AskOnboarding) and first.step == "consent"
    assert isinstance(await services.participation.consent(user, True), AskOnboarding)
    assert isinstance(await services.router.text(user, "Amira Haddad", MessageRef(user.telegram_id, 1)), AskOnboarding)
    assert isinstance(await services.router.text(user, "UNDP", MessageRef(user.telegram_id, 2)), AskOnboarding)
    return await services.participation.choose_community(user, "development")


async def test_agenda_creates_event_sessions_and_prompts(services: Services) -> None:
    created = await _event(services)
    event = created.event
    assert [s.title for s in event.sessions] == ["Good practice during crisis", "Planning modalities", "Funding modalities"]
    assert [len(s.prompts) for s in event.sessions] == [3, 2, 1]
    first = event.sessions[0]
    # 09:30 in Oslo in February (CET, UTC+1) is 08:30 UTC.
    assert first.starts_at is not None and (first.starts_at.hour, first.starts_at.minute) == (8, 30)
    assert event.sessions[1].is_anonymous and event.sessions[1].track == "Room B"
    assert all(s.status is SessionStatus.DRAFT and len(s.join_code) == 6 for s in event.sessions)


async def test_join_onboard_answer_next_done(services: Services) -> None:
    session = (await _event(services)).event.sessions[0]
    await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    amira = UserRef(2001, "Amira", "Haddad")
    shown = await _onboard(services, amira, session.join_code.lower())
    assert isinstance(shown, ShowPrompt) and shown.position == 0 and shown.intro

    saved = await services.router.text(amira, "Donors fund in <silos> & *compete*", MessageRef(2001, 10))
    assert isinstance(saved, AnswerSaved) and saved.answered == 1
    saved = await services.router.text(amira, "Timelines differ 🙃 مختلفة", MessageRef(2001, 11))
    assert isinstance(saved, AnswerSaved) and saved.answered == 2
    # Telegram re-delivers the same message: stored once.
    again = await services.router.text(amira, "Timelines differ 🙃 مختلفة", MessageRef(2001, 11))
    assert isinstance(again, AnswerSaved) and again.duplicate and again.answered == 2

    moved = await services.participation.next_prompt(amira, session.id, 0)
    assert isinstance(moved, ShowPrompt) and moved.position == 1
    stale = await services.participation.next_prompt(amira, session.id, 0)
    assert stale == Notice("stale")
    # ... and again after she moved on: not filed under the new prompt.
    late = await services.router.text(amira, "Timelines differ 🙃 مختلفة", MessageRef(2001, 11))
    assert isinstance(late, AnswerSaved) and late.duplicate and late.position == 1 and late.answered == 0
    await services.router.text(amira, "Share one timeline with donors", MessageRef(2001, 12))
    assert isinstance(await services.router.skip(amira), ShowPrompt)
    finished = await services.participation.done(amira, session.id)
    assert isinstance(finished, Finished) and finished.answers == 3

    async with services.db.session() as db:
        texts = list(await db.scalars(select(Contribution.text).order_by(Contribution.id)))
        person = await db.scalar(select(Participant).where(Participant.telegram_user_id == 2001))
    assert texts == ["Donors fund in <silos> & *compete*", "Timelines differ 🙃 مختلفة", "Share one timeline with donors"]
    assert person is not None and person.display_name == "Amira Haddad" and person.community is Community.DEVELOPMENT
    assert person.consent_at is not None


async def test_an_answer_takes_two_statements(services: Services) -> None:
    """The hot path stays lean: the sender with chat state, progress, the count on the current
    prompt and the duplicate check in one SELECT, then the INSERT. (The active session's
    Progress row once fell out of the session's weak identity map and was queried again.)"""
    session = (await _event(services)).event.sessions[0]
    await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    amira = UserRef(2001, "Amira", "Haddad")
    await _onboard(services, amira, session.join_code)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split()[0].upper())

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        saved = await services.router.text(amira, "Donors fund in silos", MessageRef(2001, 10))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert isinstance(saved, AnswerSaved) and saved.answered == 1
    assert statements == ["SELECT", "INSERT"]


async def test_a_batch_of_answers_reads_its_senders_once(services: Services) -> None:
    """Answers handled at the same moment (storage.group_commit) read their senders, standings
    and duplicate checks in two SELECTs for the whole batch, and each gets what it would alone:
    its own count, and a re-delivered message is recognised as stored."""
    session = (await _event(services)).event.sessions[0]
    await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    people = [UserRef(2100 + n, f"Person {n}") for n in range(5)]
    for person in people:
        await _onboard(services, person, session.join_code)
    first = people[0]
    await services.router.text(first, "Donors fund in silos", MessageRef(first.telegram_id, 10))
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split()[0].upper())

    def answer(person: UserRef, message_id: int) -> Awaitable[object]:
        ref = MessageRef(person.telegram_id, message_id)
        return services.db.grouped(
            lambda _db: services.router.text(person, f"Point {message_id}", ref), Preload(preload_actors, (person, ref))
        )

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        outcomes = await asyncio.gather(answer(first, 10), *(answer(person, 11) for person in people[1:]))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert all(isinstance(outcome, AnswerSaved) for outcome in outcomes)
    assert [(o.duplicate, o.answered) for o in outcomes if isinstance(o, AnswerSaved)] == [(True, 1)] + [(False, 1)] * 4
    assert statements == ["SELECT", "SELECT", "INSERT"]  # senders, stored messages, the 4 new answers
    statements.clear()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        alone = await answer(first, 12)  # a group of one: the sender's own query answers it all
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert isinstance(alone, AnswerSaved) and not alone.duplicate and alone.answered == 2
    assert statements == ["SELECT", "INSERT"]
    async with services.db.session() as db:
        assert await db.scalar(select(func.count()).select_from(Contribution)) == 6


async def test_limits_and_guidance(services: Services) -> None:
    session = (await _event(services)).event.sessions[0]
    await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    user = UserRef(2002, "Lars")
    await _onboard(services, user, session.join_code)
    too_long = await services.router.text(user, "x" * 2001, MessageRef(2002, 20))
    assert too_long == Notice("too_long", {"length": 2001, "limit": 2000})
    assert await services.router.text(user, "   ", MessageRef(2002, 21)) == Notice("empty")
    assert await services.router.non_text(user) == Notice("need_text")
    assert await services.participation.join(UserRef(2003), "NOPE99") == Notice("unknown_code", {"code": "NOPE99"})
    async with services.db.session() as db:
        assert await db.scalar(select(func.count()).select_from(Contribution)) == 0


async def test_edit_delete_and_ownership(services: Services) -> None:
    session = (await _event(services)).event.sessions[0]
    await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    owner, other = UserRef(2010, "Owner"), UserRef(2011, "Other")
    await _onboard(services, owner, session.join_code)
    await _onboard(services, other, session.join_code)
    await services.router.text(owner, "first wording", MessageRef(2010, 3))
    listing = await services.participation.my_input(owner)
    assert isinstance(listing, MyInput) and listing.page.total == 1
    contribution_id = listing.page.items[0].id

    # Someone else's contribution id (forged callback data) is refused.
    assert await services.participation.begin_edit(other, contribution_id) == Notice("stale")
    assert await services.participation.delete(other, contribution_id) == Notice("stale")

    await services.participation.begin_edit(owner, contribution_id)
    assert await services.router.text(owner, "better wording", MessageRef(2010, 4)) == Notice("edited")
    # The edit did not become a new answer, and the owner is back at the prompt.
    again = await services.router.text(owner, "second point", MessageRef(2010, 5))
    assert isinstance(again, AnswerSaved) and again.answered == 2
    # An edit of the original Telegram message follows too.
    assert await services.participation.edited_message(owner, MessageRef(2010, 5), "second point, edited") == Notice("edited")
    assert await services.participation.delete(owner, contribution_id) == Notice("deleted")
    async with services.db.session() as db:
        assert list(await db.scalars(select(Contribution.text))) == ["second point, edited"]


async def test_draft_waits_closed_refuses(services: Services) -> None:
    session = (await _event(services)).event.sessions[0]
    user = UserRef(2020, "Early")
    waiting = await _onboard(services, user, session.join_code)
    assert isinstance(waiting, Waiting)
    opened = await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    assert isinstance(opened, StatusChanged) and opened.waiting == (2020,)
    assert isinstance(await services.participation.start(user, None), ShowPrompt)
    await services.organising.set_status(ORG, session.join_code, SessionStatus.CLOSED)
    assert await services.router.text(user, "too late", MessageRef(2020, 5)) == Notice("closed_not_saved", {"title": session.title})


async def test_roles_are_enforced(services: Services) -> None:
    session = (await _event(services)).event.sessions[0]
    stranger = UserRef(3000, "Mallory", username="mallory")
    with pytest.raises(NotAllowed):
        await services.organising.set_status(stranger, session.join_code, SessionStatus.OPEN)
    with pytest.raises(NotAllowed):
        await services.organising.import_agenda(stranger, EXPERT_MEETING)
    await services.participation.start(UserRef(3001, "Mo", username="mo_mod"), None)
    granted = await services.organising.grant(ORG, session.join_code, "moderator", "@mo_mod")
    assert not isinstance(granted, Notice)
    # The moderator may open their own session but not grant roles.
    opened = await services.organising.set_status(UserRef(3001, "Mo"), session.join_code, SessionStatus.OPEN)
    assert isinstance(opened, StatusChanged)
    with pytest.raises(NotAllowed):
        await services.organising.grant(UserRef(3001, "Mo"), session.join_code, "rapporteur", "@mallory")
    assert await services.organising.grant(ORG, session.join_code, "chairman", "@mo_mod") == Notice("unknown_role", {"role": "chairman"})


async def test_a_redelivered_step_does_not_move_the_conversation_twice(services: Services) -> None:
    session = (await _event(services)).event.sessions[0]
    await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    user = UserRef(2030, "Rae")
    await services.participation.join(user, session.join_code)
    await services.participation.consent(user, True)
    assert isinstance(await services.router.text(user, "Rae Smith", MessageRef(2030, 7)), AskOnboarding)
    # Telegram delivers message 7 again after a crash: it must not become the organisation.
    assert await services.router.text(user, "Rae Smith", MessageRef(2030, 7)) is None
    assert isinstance(await services.router.text(user, "IPI", MessageRef(2030, 8)), AskOnboarding)
    async with services.db.session() as db:
        person = await db.scalar(select(Participant).where(Participant.telegram_user_id == 2030))
    assert person is not None and (person.display_name, person.organisation) == ("Rae Smith", "IPI")
