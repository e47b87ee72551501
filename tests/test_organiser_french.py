"""A French-speaking organiser sets up an event and a session in chat and loads an agenda: every
question, refusal and confirmation in French, through the real Application and the fake Bot API;
and the conversation router hands each flow to its owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.container import Services
from bot.services.outcomes import Notice
from bot.services.router import ConversationRouter
from bot.services.state import Flow
from bot.services.views import MessageRef, UserRef
from bot.services.wizards import WIZARD_FLOWS, Problem, WizardAsk
from fake_bot_api import FakeBotAPI
from storage.models import ChatState, Event, Participant, Session
from telegram_edge.offline import OfflineBot
from tests.agenda_samples import EXPERT_MEETING
from tests.conftest import ORGANISER


async def test_french_organiser_creates_an_event_and_a_session(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser = api.user(ORGANISER, "Odile", language_code="fr")
    steps = [
        ("/newevent", "<b>Nouvel événement</b> — quel est son intitulé ?"),
        ("/skip", "Cette étape ne peut pas être passée."),  # the title is required
        ("Forum sur la paix et le développement", "Dates ? Par ex."),
        ("14/05/2026", "⚠️ Indiquez les dates sous la forme 2026-02-11, ou 2026-02-11 au 2026-02-12."),
        ("2026-05-14 au 2026-05-16", "Où se tient-il ?"),
        ("Genève", "Dans quel fuseau horaire"),
        ("Paris", "⚠️ Ce n’est pas un nom de fuseau horaire comme Europe/Paris."),
        ("Europe/Paris", "Un avertissement à faire figurer à la fin de ses rapports ?"),  # typed rather than tapped
    ]
    for text, expected in steps:
        reply = await organiser.reply_after(lambda t=text: organiser.send(t))
        assert expected in reply[0].text, reply[0].text
    created = await organiser.reply_after(lambda: organiser.send("/skip"))
    text = created[0].text
    assert "✅ Événement <b>Forum sur la paix et le développement</b> créé." in text, text
    assert "Genève · du 14 mai 2026 au 16 mai 2026" in text and "Ajoutez des sessions avec /newsession." in text

    for text, expected in (
        ("/newsession", "<b>Nouvelle session</b> pour <i>Forum sur la paix et le développement</i>"),
        ("Nexus sécurité–développement", "Quand commence-t-elle ?"),
        ("demain matin", "⚠️ Indiquez le début sous la forme 2026-02-11 09:30"),
        ("2026-05-15 09:00", "Quand se termine-t-elle ?"),
        ("08:00", "⚠️ La fin doit être postérieure au début."),
        ("1h30", "Salle ou filière"),
        ("/skip", "Modérateur ou modératrice"),
        ("Jeanne Dupont", "Institution chef de file ?"),
        ("/skip", "Axe thématique"),
        ("/skip", "Les réponses doivent-elles apparaître"),
        ("nominatif", "⚠️ Veuillez choisir l’un des boutons."),
    ):
        reply = await organiser.reply_after(lambda t=text: organiser.send(t))
        assert expected in reply[0].text, reply[0].text
    asked = await organiser.reply_after(lambda: organiser.press(organiser.last(), text="Anonymes"))
    assert "Ajoutez une question (0 pour l’instant) : choisissez son type." in asked[0].text
    assert "✓ Terminer" not in str(asked[0].reply_markup)  # not before a first prompt
    typed = await organiser.reply_after(lambda: organiser.press(organiser.last(), text="Défi"))
    assert "Saisissez la question sur les défis" in typed[0].text
    again = await organiser.reply_after(lambda: organiser.send("Qu’est-ce qui freine le nexus sur le terrain ?"))
    assert "(1 pour l’instant)" in again[0].text
    done = await organiser.reply_after(lambda: organiser.press(organiser.last(), text="✓ Terminer"))
    assert "✅ Session <b>Nexus sécurité–développement</b> créée avec 1 question." in done[0].text, done[0].text
    assert "Code de participation : <code>" in done[0].text

    async with bot.services.db.session() as db:
        session = await db.scalar(select(Session))
        state = await db.scalar(select(ChatState).join(Participant).where(Participant.telegram_user_id == ORGANISER))
    assert session is not None and session.anonymity.value == "anonymous" and session.moderator == "Jeanne Dupont"
    assert session.ends_at is not None and session.starts_at is not None and (session.ends_at - session.starts_at).seconds == 90 * 60
    assert state is not None and state.flow == "idle"


async def test_french_organiser_gets_agenda_errors_in_french(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser = api.user(ORGANISER, "Odile", language_code="fr")
    broken = EXPERT_MEETING.replace("- recommendation: What should", "- recomendation: What should", 1)
    reply = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", broken.encode(), "application/x-yaml"))
    text = reply[0].plain_text
    assert text.startswith("⚠️ L’ordre du jour comporte une erreur : sessions n° 1 « Good practice during crisis » › prompts n° 2 › kind :")
    assert "doit être l’une des valeurs suivantes : challenge, recommendation, takeaway, question (ligne 21)." in text
    assert "Rien n’a été créé. Corrigez l’ordre du jour et renvoyez-le." in text

    pasted = await organiser.reply_after(lambda: organiser.send("/agenda\n" + EXPERT_MEETING.replace('end: "11:00"', 'end: "08:00"', 1)))
    assert "la fin n’est pas postérieure au début (ligne 13)" in pasted[0].plain_text, pasted[0].plain_text
    async with bot.services.db.session() as db:
        assert await db.scalar(select(Event.id)) is None

    # The same agenda, corrected, creates the event: the confirmation is French too.
    created = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", EXPERT_MEETING.encode(), "application/x-yaml"))
    assert "✅ Événement <b>Thematic meeting" in created[0].text and "(3 questions, lun. 11 févr., 09:30 · Plenary)" in created[0].text
    managed = await organiser.reply_after(lambda: organiser.send("/manage"), count=4)
    assert "brouillon · 0 inscrit · 0 réponse" in managed[1].plain_text, managed[1].plain_text
    usage = await organiser.reply_after(lambda: organiser.send("/grant"))
    assert usage[0].plain_text.startswith("Syntaxe : /grant CODE")


async def test_router_hands_each_flow_to_its_owner(services: Services) -> None:
    assert set(services.router.routes) == set(Flow)
    organiser = UserRef(ORGANISER, "Olivia")
    asked = await services.wizards.begin_event(organiser)
    assert asked.step == "title"
    # A /newsession button pressed while /newevent asks for a title changes nothing.
    assert await services.router.choose(organiser, WIZARD_FLOWS, "anonymous") == Notice("stale")
    refused = await services.router.skip(organiser)
    assert isinstance(refused, WizardAsk) and refused.problem is not None and refused.problem.problem is Problem.REQUIRED
    assert isinstance(await services.router.text(organiser, "Forum", MessageRef(ORGANISER, 1)), WizardAsk)
    assert await services.router.text(organiser, "Forum", MessageRef(ORGANISER, 1)) is None  # delivered twice: handled once
    assert await services.router.non_text(organiser) == Notice("need_text")

    # A flow this version does not know (written by a newer one, or by hand) reads as idle.
    async with services.db.session() as db:
        state = await db.scalar(select(ChatState).join(Participant).where(Participant.telegram_user_id == ORGANISER))
        assert state is not None
        state.flow, state.step = "someday", "whatever"
    assert await services.router.text(organiser, "hello", MessageRef(ORGANISER, 2)) == Notice("no_session")
    assert await services.router.skip(organiser) == Notice("nothing_to_skip")


async def test_a_router_without_a_route_for_every_flow_is_refused(services: Services) -> None:
    routes = dict(services.router.routes)
    del routes[Flow.PAPERS]
    with pytest.raises(RuntimeError, match="papers"):
        ConversationRouter(services.db, routes)
