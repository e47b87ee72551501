"""Scheduling in English and French, end to end: the real Application and JobQueue against the
fake Bot API, time controlled as in test_scheduling_e2e.

One reminder goes to each participant in their own language (the one they chose, or their
Telegram app's), whoever scheduled it; a French-speaking organiser is asked, corrected and
answered in French, and reads the delivery summary in French.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

import bot.services.scheduling as scheduling_module
from bot.services.views import UserRef
from fake_bot_api import FakeBotAPI, FakeUser
from storage.models import Audience, Delivery, DeliveryRecipient, Participant, RecipientStatus, ScheduledItem, ScheduleKind
from telegram_edge.offline import OfflineBot
from tests.conftest import ORGANISER
from tests.schedule_samples import MEETING, seed_people
from tests.test_scheduling_e2e import START, Clock, _restart_just_before


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """As in test_scheduling_e2e: every Scheduling service reads this clock, two hours before the meeting."""
    shifted = Clock()
    shifted.set(START - timedelta(hours=2))
    monkeypatch.setattr(scheduling_module, "utcnow", shifted.now)
    yield shifted


async def _meeting(bot: OfflineBot) -> tuple[str, int]:
    """The agenda, imported for the organiser: the first session's code and id (09:30-11:00 in Oslo)."""
    created = await bot.services.organising.import_agenda(UserRef(ORGANISER), MEETING)
    session = created.event.sessions[0]
    return session.join_code, session.id


def _texts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m.plain_text for m in api.messages_to(chat_id) if not m.edited]


async def test_a_reminder_reaches_each_participant_in_their_language(clock: Clock, api: FakeBotAPI, bot: OfflineBot) -> None:
    """An English-speaking organiser's reminder, with the standard text: Amélie chose French,
    Nadia's Telegram app is in French, Lars's in English; each reads it in their language."""
    code, session_id = await _meeting(bot)
    organiser = api.user(ORGANISER, "Olivia", username="olivia")
    await seed_people(bot.services, session_id, [(2201, "Amélie Durand"), (2202, "Lars Berg"), (2203, "Nadia Benali")])
    async with bot.services.db.session() as db:
        await db.execute(update(Participant).where(Participant.telegram_user_id == 2201).values(language="fr", language_chosen=True))
    amelie, lars = api.user(2201, "Amélie", language_code="en"), api.user(2202, "Lars")
    nadia = api.user(2203, "Nadia", language_code="fr")
    await nadia.reply_after(lambda: nadia.send("/sessions"))  # her app's language is now known

    reply = await organiser.reply_after(lambda: organiser.send(f"/remind {code} 15 min before start |"))
    assert "⏰ Reminder → everyone" in reply[0].plain_text and "15 min before start (Tue 11 Feb, 09:15 CET)" in reply[0].plain_text
    assert [b[0] for b in reply[0].buttons()] == ["✏️ Change time", "✖ Cancel"]

    due = START - timedelta(minutes=15)
    await _restart_just_before(bot, clock, due)

    def got(user: FakeUser) -> list[str]:
        return [t for t in _texts(api, user.id) if t.startswith("⏰")]

    await api.wait_for(lambda: all(got(user) for user in (amelie, lars, nadia)), timeout=8, what="the reminder to all three")
    french = "⏰ Good practice during crisis\n🕘 mar. 11 févr., 09:30 CET · Plenary\n\nDébut dans 15 minutes."
    english = "⏰ Good practice during crisis\n🕘 Tue 11 Feb, 09:30 CET · Plenary\n\nStarts in 15 minutes."
    assert [got(amelie), got(nadia), got(lars)] == [[french], [french], [english]]  # once each, titles as written
    await api.wait_for(lambda: any("Delivery summary" in t for t in _texts(api, ORGANISER)), what="the summary")
    summary = next(t for t in _texts(api, ORGANISER) if "Delivery summary" in t)
    assert "✅ Sent: 3 · 🚫 Blocked: 0 · ⚠️ Failed: 0 (of 3)" in summary  # the organiser's language: English

    async with bot.services.db.session() as db:
        delivery = await db.scalar(select(Delivery))
        assert delivery is not None and sorted(delivery.content["by_locale"]) == ["en", "fr"]
        statuses = await db.scalars(select(DeliveryRecipient.status).where(DeliveryRecipient.delivery_id == delivery.id))
        assert list(statuses) == [RecipientStatus.SENT] * 3
        languages = await db.execute(select(Participant.telegram_user_id, Participant.language).where(Participant.telegram_user_id > 2200))
        assert sorted(tuple(row) for row in languages) == [(2201, "fr"), (2202, "en"), (2203, "fr")]


async def _ask(user: FakeUser, action: object) -> str:
    replies = await user.reply_after(action)  # type: ignore[arg-type]
    return replies[0].plain_text


async def test_a_french_organiser_schedules_a_nudge_in_french(clock: Clock, api: FakeBotAPI, bot: OfflineBot) -> None:
    """/remind step by step in French, a time typed wrong and then in French words, and the
    nudge and its summary in each reader's language."""
    code, session_id = await _meeting(bot)
    await seed_people(bot.services, session_id, [(2301, "Amélie Durand"), (2302, "Lars Berg")])
    async with bot.services.db.session() as db:
        await db.execute(update(Participant).where(Participant.telegram_user_id == 2301).values(language="fr"))
    amelie, lars = api.user(2301, "Amélie"), api.user(2302, "Lars")
    odile = api.user(ORGANISER, "Odile", language_code="fr")

    targets = (await odile.reply_after(lambda: odile.send("/remind")))[0]
    assert targets.plain_text == "🗓 Pour quelle session est ce rappel ? (/cancel pour arrêter)"
    labels = [b[0] for b in targets.buttons()]
    assert labels[0] == "🗓 Tout l’événement · Expert meeting on integrated planning" and f"{code} · Good practice during crisis" in labels
    audience = (await odile.reply_after(lambda: odile.press(targets, text=f"{code} · Good practice during crisis")))[0]
    assert audience.plain_text == f"Qui doit le recevoir ? (Good practice during crisis {code})"
    assert [b[0] for b in audience.buttons()] == [
        "👥 Tous les participants inscrits",
        "👋 Celles et ceux qui n’ont pas encore répondu",
        "📝 Rapporteurs (rapport non approuvé)",
    ]
    when = await _ask(odile, lambda: odile.press(audience, text="👋 Celles et ceux qui n’ont pas encore répondu"))
    assert when.startswith("🕘 Quand faut-il l’envoyer ?") and "Début : mar. 11 févr., 09:30 CET, fin : mar. 11 févr., 11:00 CET" in when
    assert "Les heures s’entendent dans le fuseau Europe/Oslo" in when and "15 min avant le début" in when

    wrong = await _ask(odile, lambda: odile.send("après le déjeuner"))
    assert wrong.startswith("⚠️ Je ne reconnais ni date ni heure dans « après le déjeuner ». Par exemple : « 2026-02-11 09:00 »")
    assert wrong.endswith("\n\nVeuillez réessayer, ou /cancel.")
    assert await _ask(odile, lambda: odile.send("10 min après le début")) == (
        "✍️ Quel doit être le texte du message ? Saisissez-le, ou /skip pour un texte standard."
    )
    created = await _ask(odile, lambda: odile.send("/skip"))
    assert created.startswith(
        "✅ Relance programmée pour les personnes qui n’ont pas encore répondu dans Good practice during crisis : "
        "10 min après le début (mar. 11 févr., 09:40 CET)."
    )
    one_line = await _ask(odile, lambda: odile.send(f"/remind {code} demain 25h | Salle B"))
    assert one_line.startswith("⚠️ Je ne reconnais ni date ni heure dans « 25h ».")
    async with bot.services.db.session() as db:
        items = list(await db.scalars(select(ScheduledItem)))
    assert [(i.kind, i.audience, i.when, i.text) for i in items] == [
        (ScheduleKind.NUDGE, Audience.NON_RESPONDERS, {"kind": "relative", "anchor": "start", "offset_seconds": 600.0}, "")
    ]
    listing = await odile.reply_after(lambda: odile.send("/schedule"), count=2)
    assert listing[0].plain_text.startswith("🗓 Programmé — heures dans le fuseau de chaque événement.")
    assert listing[1].plain_text.startswith("👋 Relance → les personnes qui n’ont pas encore répondu\nGood practice during crisis")
    assert [b[0] for b in listing[1].buttons()] == ["✏️ Modifier l’heure", "✖ Annuler"]

    due = START + timedelta(minutes=10)
    await _restart_just_before(bot, clock, due)

    def nudged(user: FakeUser) -> list[str]:
        return [t for t in _texts(api, user.id) if t.startswith("👋")]

    await api.wait_for(lambda: bool(nudged(amelie) and nudged(lars)), timeout=8, what="the nudge to both")
    assert nudged(amelie)[0].endswith(
        "Votre avis nous intéresse : vous n’avez encore rien partagé ici.\n\n"
        f"Envoyez vos idées ici, une par message — /sessions permet de passer à cette session, ou /join {code}."
    )
    assert "We'd love to hear from you" in nudged(lars)[0] and "Tue 11 Feb, 09:30 CET" in nudged(lars)[0]
    await api.wait_for(lambda: any("Bilan d’envoi" in t for t in _texts(api, ORGANISER)), what="the summary in French")
    summary = next(t for t in _texts(api, ORGANISER) if "Bilan d’envoi" in t)
    assert summary.startswith("📬 Bilan d’envoi — 👋 Relance → les personnes qui n’ont pas encore répondu\n")
    assert "prévu le mar. 11 févr., 09:40 CET" in summary and "✅ Envoyés : 2 · 🚫 Bloqués : 0 · ⚠️ Échecs : 0 (sur 2)" in summary
