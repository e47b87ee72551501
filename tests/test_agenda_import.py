"""Agendas as organisers use them: a whole concept note, corrected and re-imported, rapporteurs
named by @username before the bot has met them, and what may not be removed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.agenda import AgendaError
from bot.container import Services
from bot.i18n import translator
from bot.reports.render import render
from bot.services.organising import AgendaProblem
from bot.services.views import MessageRef, UserRef
from handlers.texts import session_intro
from storage.models import Event, Role, RoleName, Session, SessionStatus
from tests.agenda_samples import CONCEPT_NOTE
from tests.conftest import ORGANISER

ORG = UserRef(ORGANISER, "Olivia")


async def test_concept_note_is_expressed_fully(services: Services) -> None:
    created = await services.organising.import_agenda(ORG, CONCEPT_NOTE)
    event = created.event
    assert created.changes is not None and created.changes.new_event
    assert [s.title for s in event.sessions][4:6] == ["Planning modalities", "Integrated responses"]
    parallel = event.sessions[4:6]
    assert parallel[0].starts_at == parallel[1].starts_at and {s.track for s in parallel} == {"Room B", "Room C"}
    assert created.changes.waiting == ("@crisis_rapporteur", "@oecd_rapporteur")
    async with services.db.session() as db:
        row = await db.scalar(select(Event))
    assert row is not None and row.key == "oslo-fragile-states-2008"
    assert row.details["expected_participants"] == 60 and len(row.details["objectives"]) == 4
    assert len(row.details["background_papers"]) == 4 and len(row.details["hosts"]) == 5

    crisis = event.sessions[0]
    intro = session_intro(crisis, translator("en"))
    assert "Chair: Norwegian MFA" in intro and "Speakers: Country case presenter" in intro and "Rapporteurs: @crisis_rapporteur" in intro
    intro = session_intro(crisis, translator("fr"))
    assert "Présidence : Norwegian MFA" in intro and "Intervenants : Country case presenter" in intro
    assert crisis.starts_at is not None and crisis.starts_at.hour == 8  # 09:00 in Oslo, stored in UTC

    # The rapporteur named by @username gets the role on first contact, for this session;
    # the event's rapporteur for the whole event.
    await services.participation.start(UserRef(3001, "Cleo", username="Crisis_Rapporteur"), None)
    await services.participation.start(UserRef(3002, "Omar", username="oecd_rapporteur"), None)
    async with services.db.session() as db:
        roles = (await db.execute(select(Role.session_id, Role.event_id).where(Role.role == RoleName.RAPPORTEUR).order_by(Role.id))).all()
    assert [tuple(r) for r in roles] == [(crisis.id, None), (None, event.id)]

    # The report header names them too.
    draft = await services.reporting.draft(UserRef(3001, "Cleo"), crisis.join_code)
    assert ("Chair", "Norwegian MFA") in [tuple(p) for p in draft.report.people]
    assert "Rapporteurs" in render(draft.report, "md").decode()


async def test_reimport_keeps_sessions_and_refuses_to_drop_answers(services: Services) -> None:
    first = (await services.organising.import_agenda(ORG, CONCEPT_NOTE)).event.sessions[0]
    await services.organising.set_status(ORG, first.join_code, SessionStatus.OPEN)
    user = UserRef(3100, "Ana")
    await services.participation.join(user, first.join_code)
    await services.participation.consent(user, True)
    await services.router.text(user, "Ana", MessageRef(3100, 1))
    await services.router.text(user, "UNDP", MessageRef(3100, 2))
    await services.participation.choose_community(user, "development")
    await services.router.text(user, "Mediators and donors never met", MessageRef(3100, 3))

    renamed = CONCEPT_NOTE.replace("title: During crisis", "title: Good practice during crisis")
    again = await services.organising.import_agenda(ORG, renamed)
    assert again.changes is not None and not again.changes.new_event and len(again.changes.updated) == 7
    assert again.event.sessions[0].join_code == first.join_code and again.event.sessions[0].title == "Good practice during crisis"

    # The first prompt has an answer: it cannot be dropped; the session cannot be left out.
    one_prompt = renamed.replace("      - takeaway: Which good practice", "      - kind: takeaway\n        text: Which good practice", 1)
    without_prompts = one_prompt.replace(
        "      - challenge: What made interaction between diplomatic and development actors difficult during crisis?\n", "", 1
    )
    await services.organising.import_agenda(ORG, without_prompts)  # prompt 1 reworded in place: allowed
    dropped = without_prompts.replace(
        "      - kind: takeaway\n        text: Which good practice lessons stand out (root causes, inclusion, sanctions, governance)?\n",
        "",
        1,
    )
    with pytest.raises(AgendaError, match="prompt 1 .* has 1 answer"):
        await services.organising.import_agenda(ORG, dropped.replace("    prompts:\n  - key: early", "    prompts: []\n  - key: early", 1))
    start = renamed.index("  - key: during-crisis")
    without_first = renamed[:start] + renamed[renamed.index("  - key: early-post") :]
    with pytest.raises(AgendaError, match='"Good practice during crisis" .* holds 1 contribution'):
        await services.organising.import_agenda(ORG, without_first.replace("place: Oslo, Norway", "place: Bergen, Norway"))
    async with services.db.session() as db:  # a refused agenda changes nothing, not even the event's place
        assert await db.scalar(select(func.count()).select_from(Session)) == 7
        assert await db.scalar(select(Event.place)) == "Oslo, Norway"
    # The same through /agenda and a pasted text, where the import runs inside the chat's transaction.
    await services.wizards.begin_agenda(ORG)
    refused = await services.router.text(
        ORG, without_first.replace("place: Oslo, Norway", "place: Bergen, Norway"), MessageRef(ORGANISER, 50)
    )
    assert isinstance(refused, AgendaProblem) and "holds 1 contribution" in str(refused.error)
    async with services.db.session() as db:
        assert await db.scalar(select(Event.place)) == "Oslo, Norway"


async def test_operator_import_and_plan(services: Services) -> None:
    plan = await services.organising.plan_agenda(CONCEPT_NOTE)
    assert plan.new_event and len(plan.created) == 7
    async with services.db.session() as db:
        assert await db.scalar(select(func.count()).select_from(Event)) == 0  # a plan changes nothing
    done = await services.organising.import_agenda_as_operator(CONCEPT_NOTE, organiser_telegram_id=4242)
    assert done.changes is not None and done.changes.new_event
    assert await services.organising.plan_agenda(CONCEPT_NOTE) == type(plan)(
        False, (), tuple(s.title for s in done.event.sessions), (), (), ("@crisis_rapporteur", "@oecd_rapporteur"), ()
    )
    # The named organiser runs the event from Telegram.
    overview = await services.organising.overview(UserRef(4242))
    assert [e.title for e in overview.events] == [done.event.title]
