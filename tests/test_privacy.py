"""Privacy end to end, on both backends: /mydata sends everything stored about a person, /forget
erases them (keeping or deleting their answers) with their reports regenerated without them, and
an event's retention period erases its participants automatically and tells the organiser.
After an erasure the database holds no trace of the name, the organisation or the Telegram id.
A French-speaking participant gets /mydata and /forget in French (the data itself as stored), and
an organiser who chose French gets the retention notice in French."""

from __future__ import annotations

import functools
import json
import re
from datetime import timedelta

from sqlalchemy import func, select, text
from telegram.ext import Application

from bot.i18n import translator
from bot.services.views import MessageRef, UserRef
from fake_bot_api import FakeBotAPI, FakeUser, SentMessage
from handlers.privacy import run_retention
from storage.models import Base, Contribution, Reaction, ReportVersion
from storage.types import utcnow
from telegram_edge.offline import OfflineBot
from tests.agenda_samples import EXPERT_MEETING
from tests.conftest import ORGANISER

AMIRA, LARS, AMELIE = 2001, 2002, 2003
FUTURE_AGENDA = EXPERT_MEETING.replace("2008-02-", "2099-02-")


async def _setup(api: FakeBotAPI, agenda: str = EXPERT_MEETING) -> tuple[FakeUser, str]:
    organiser = api.user(ORGANISER, "Olivia", username="olivia")
    created = await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", agenda.encode(), "application/x-yaml"))
    code = re.findall(r"<code>([A-Z0-9]{6})</code>", created[0].text)[0]
    await organiser.reply_after(lambda: organiser.send(f"/open {code}"))
    return organiser, code


async def _join(user: FakeUser, code: str, name: str, organisation: str, community: str) -> None:
    replies = await user.reply_after(lambda: user.send(f"/start {code}"), count=2)
    await user.reply_after(lambda: user.press(replies[1], text="✅ I agree"))
    await user.reply_after(lambda: user.send(name))
    await user.reply_after(lambda: user.send(organisation))
    await user.reply_after(lambda: user.press(user.last(), text=community), count=2)


async def _room(api: FakeBotAPI, agenda: str = EXPERT_MEETING) -> tuple[FakeUser, str, FakeUser, FakeUser]:
    """Amira and Lars answer in a named session; each reacts to the other's point."""
    organiser, code = await _setup(api, agenda)
    amira, lars = api.user(AMIRA, "Amira", username="amira_h"), api.user(LARS, "Lars")
    await _join(amira, code, "Amira Haddad", "Norad Institute", "Development")
    await _join(lars, code, "Lars Berg", "Foreign Ministry", "Diplomacy")
    await amira.reply_after(lambda: amira.send("Donors still work in silos"))
    await amira.reply_after(lambda: amira.send("Joint analysis is rare"))
    await lars.reply_after(lambda: lars.send("Embassies lack development staff"))
    for user in (amira, lars):
        shown = await user.reply_after(functools.partial(user.send, "/react"))
        await user.reply_after(functools.partial(user.press, shown[0], text="👍 Agree"))
    return organiser, code, amira, lars


async def _draft(api: FakeBotAPI, organiser: FakeUser, code: str) -> None:
    before = len(api.messages_to(ORGANISER))
    organiser.send(f"/draft {code}")
    await api.wait_for(lambda: any("(draft)" in m.text for m in api.messages_to(ORGANISER)[before:]), 30, what="the draft")
    pdf_sent = lambda: any(m.document and m.document[0].endswith(".pdf") for m in api.messages_to(ORGANISER)[before:])  # noqa: E731
    await api.wait_for(pdf_sent, 30, what="its files")  # they follow the version line


def _application(bot: OfflineBot) -> Application:  # type: ignore[type-arg]
    assert bot.application is not None
    return bot.application


async def _database_text(bot: OfflineBot) -> str:
    """Every value of every table, as text: what a dump of the database would show. Binary
    values are read as UTF-8, so a name stored in a file shows as the name."""
    parts: list[str] = []
    async with bot.services.db.session() as db:
        for table in Base.metadata.sorted_tables:
            for row in (await db.execute(text(f"SELECT * FROM {table.name}"))).all():  # noqa: S608 - our own table names
                parts.extend(_as_text(value) for value in row)
    return "\n".join(parts)


def _as_text(value: object) -> str:
    return bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)


def _holds(dump: str, trace: str | int) -> bool:
    """Whether the dump holds the trace; a Telegram id counts only as a whole number, since any
    digits may occur inside a timestamp's microseconds ("12:53:27.020010" is not user 2001)."""
    if isinstance(trace, int):
        return re.search(rf"(?<!\d){trace}(?!\d)", dump) is not None
    return trace in dump


async def _forget(user: FakeUser, choice: str) -> SentMessage:
    asked = await user.reply_after(lambda: user.send("/forget"))
    assert "I will erase your name, organisation and Telegram identity" in asked[0].plain_text
    done = await user.reply_after(lambda: user.press(asked[0], text=choice), timeout=30)
    return done[0]


async def test_mydata_sends_everything_stored(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code, amira, _lars = await _room(api)
    await organiser.reply_after(lambda: organiser.send(f"/grant {code} rapporteur @amira_h"))
    replies = await amira.reply_after(lambda: amira.send("/mydata"), count=2)
    summary, document = replies
    assert "Name: Amira Haddad" in summary.plain_text and "Organisation: Norad Institute" in summary.plain_text
    assert f"Telegram: id {AMIRA}, @amira_h" in summary.plain_text
    assert "answers: 2" in summary.plain_text and "reactions to others' points: 1" in summary.plain_text
    # 180 days after the event: set up after its 2008 dates, it counts from when it was set up
    day = (utcnow() + timedelta(days=180)).date()  # in the event's time zone: a day either side of UTC's
    assert any(f"Erased automatically after {translator('en').date(day + timedelta(days=d))} (" in summary.plain_text for d in (-1, 0, 1))
    assert document.document is not None and document.document[0] == "my-data.json"
    data = json.loads(document.document[1])
    assert data["profile"] == {
        **data["profile"],
        "telegram_user_id": AMIRA,
        "username": "amira_h",
        "name": "Amira Haddad",
        "organisation": "Norad Institute",
        "community": "development",
    }
    assert [c["text"] for c in data["contributions"]] == ["Donors still work in silos", "Joint analysis is rare"]
    assert [r["reaction"] for r in data["reactions"]] == ["agree"]
    assert {r["role"] for r in data["roles"]} == {"participant", "rapporteur"}
    assert data["sessions_joined"][0]["code"] == code and data["chat_state"]["flow"] in ("answering", "idle")


async def test_forget_keeping_answers_leaves_no_trace_of_the_person(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code, amira, lars = await _room(api)
    await _draft(api, organiser, code)
    async with bot.services.db.session() as db:
        first = await db.scalar(select(ReportVersion.markdown).where(ReportVersion.number == 1))
    assert first is not None and "Amira Haddad" in first  # a named session: the draft names her

    done = await _forget(amira, "Erase me, keep my answers anonymously")
    assert "your name, organisation and Telegram identity are erased" in done.plain_text
    assert "Your 2 answers stay, anonymously. 1 report was regenerated without you." in done.plain_text

    dump = await _database_text(bot)
    for trace in ("Amira Haddad", "Norad Institute", "amira_h", AMIRA):
        assert not _holds(dump, trace), trace
    assert "Lars Berg" in dump and _holds(dump, LARS)  # nobody else is touched
    async with bot.services.db.session() as db:
        kept = list(await db.scalars(select(Contribution.text).order_by(Contribution.id)))
        versions = list(await db.scalars(select(ReportVersion).order_by(ReportVersion.number)))
        reactions = int(await db.scalar(select(func.count()).select_from(Reaction)) or 0)
    assert kept == ["Donors still work in silos", "Joint analysis is rare", "Embassies lack development staff"]
    assert [v.number for v in versions] == [1, 2] and versions[1].created_by is None
    assert "Donors still work in silos" in versions[1].markdown and "Amira" not in versions[1].markdown
    assert reactions == 2  # her vote stays, anonymously

    # Writing again makes a new person: nothing links them to the erased one.
    again = await amira.reply_after(lambda: amira.send("/mydata"), count=2)
    assert "Name: —" in again[0].plain_text and "answers: 0" in again[0].plain_text


async def test_forget_everything_deletes_answers_and_votes(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code, amira, lars = await _room(api)
    await _draft(api, organiser, code)
    done = await _forget(amira, "Erase me and all my answers")
    assert "Your 2 answers were deleted. 1 report was regenerated without you." in done.plain_text
    dump = await _database_text(bot)
    for trace in ("Amira Haddad", "Norad Institute", "amira_h", AMIRA, "Donors still work in silos"):
        assert not _holds(dump, trace), trace
    async with bot.services.db.session() as db:
        texts = list(await db.scalars(select(Contribution.text)))
        reactions = int(await db.scalar(select(func.count()).select_from(Reaction)) or 0)
        newest = await db.scalar(select(ReportVersion).order_by(ReportVersion.number.desc()).limit(1))
    assert texts == ["Embassies lack development staff"]
    assert reactions == 0  # hers is gone, and Lars's vote on her point went with the point
    assert newest is not None and newest.number == 2 and newest.contributions == 1

    # Cancelling erases nothing.
    asked = await lars.reply_after(lambda: lars.send("/forget"))
    cancelled = await lars.reply_after(lambda: lars.press(asked[0], text="Cancel"))
    assert "Nothing was erased" in cancelled[0].plain_text
    assert "Lars Berg" in await _database_text(bot)


async def test_retention_erases_participants_and_tells_the_organiser(api: FakeBotAPI, bot: OfflineBot) -> None:
    # Half a year on, an event from 2008 (set up today, default 180 days) is past its retention
    # period; the same agenda in 2099 is not, and someone who also joined it keeps their data.
    organiser, code, amira, lars = await _room(api)
    future = EXPERT_MEETING.replace("2008-02-", "2099-02-").replace("title: Thematic meeting", "title: Future meeting")
    created = await organiser.reply_after(lambda: organiser.send_document("future.yaml", future.encode(), "application/x-yaml"))
    future_code = re.findall(r"<code>([A-Z0-9]{6})</code>", created[0].text)[0]
    await organiser.reply_after(lambda: organiser.send(f"/open {future_code}"))
    await lars.reply_after(lambda: lars.send(f"/join {future_code}"), count=2)
    await _draft(api, organiser, code)

    later = utcnow() + timedelta(days=181)
    assert await run_retention(_application(bot)) == 0  # not yet
    told = await organiser.reply_after(lambda: run_retention(_application(bot), later), timeout=30)
    assert "its retention period (180 days after the event) has ended" in told[0].plain_text
    assert "identity of 1 participant;" in told[0].plain_text and "1 session report got a new version" in told[0].plain_text
    dump = await _database_text(bot)
    for trace in ("Amira Haddad", "Norad Institute", "amira_h", AMIRA):
        assert not _holds(dump, trace), trace
    assert "Lars Berg" in dump  # still in an event that has not ended

    # Idempotent: the next sweep finds nobody and says nothing.
    sent = len(api.messages_to(ORGANISER))
    assert await run_retention(_application(bot), later) == 0
    assert len(api.messages_to(ORGANISER)) == sent

    # Once the future event is over too, Lars goes as well.
    assert await run_retention(_application(bot), utcnow() + timedelta(days=365 * 80)) == 1
    assert "Lars Berg" not in await _database_text(bot)


async def test_agenda_sets_the_retention_period(api: FakeBotAPI, bot: OfflineBot) -> None:
    agenda = FUTURE_AGENDA.replace("  timezone: Europe/Oslo\n", "  timezone: Europe/Oslo\n  retention_days: 30\n", 1)
    organiser, code = await _setup(api, agenda)
    user = api.user(AMIRA, "Amira")
    await _join(user, code, "Amira Haddad", "Norad Institute", "Development")
    summary = await user.reply_after(lambda: user.send("/mydata"), count=2)
    assert "Erased automatically after 14 March 2099" in summary[0].plain_text  # 30 days after the end of 12 Feb in Oslo (23:00 UTC)
    refused = await organiser.reply_after(lambda: organiser.send("/agenda\n" + agenda.replace("retention_days: 30", "retention_days: 0")))
    assert "retention_days" in refused[0].plain_text and "Nothing was created" in refused[0].plain_text


def test_raw_updates_are_matched_by_every_sender_and_chat_they_name() -> None:
    from bot.services.privacy import _people_in

    update = {"update_id": 9, "callback_query": {"from": {"id": AMIRA}, "message": {"chat": {"id": AMIRA}, "from": {"id": 123456}}}}
    assert _people_in(update) == {AMIRA, 123456}
    assert _people_in({"message": {"chat": {"id": -100}, "text": "id 2001"}}) == {-100}


async def _joined_through_services(bot: OfflineBot, user: UserRef, code: str, name: str, organisation: str, answers: list[str]) -> None:
    """Someone's onboarding and answers, stored through the services the chat handlers call
    (the chat flows in each language are the participant tests' business)."""
    participation = bot.services.participation
    await participation.join(user, code)
    await participation.consent(user, True)
    await bot.services.router.text(user, name, MessageRef(user.telegram_id, 1))
    await bot.services.router.text(user, organisation, MessageRef(user.telegram_id, 2))
    await participation.choose_community(user, "development")
    for n, answer in enumerate(answers):
        await bot.services.router.text(user, answer, MessageRef(user.telegram_id, 10 + n))


async def test_mydata_and_forget_in_french(api: FakeBotAPI, bot: OfflineBot) -> None:
    _organiser, code = await _setup(api)
    answers = ["Les bailleurs travaillent encore en silos", "L’analyse conjointe reste rare"]
    await _joined_through_services(bot, UserRef(AMELIE, "Amélie", language="fr"), code, "Amélie Durand", "Institut de la paix", answers)
    amelie = api.user(AMELIE, "Amélie", username="amelie_d", language_code="fr")

    summary, document = await amelie.reply_after(lambda: amelie.send("/mydata"), count=2)
    text = summary.plain_text
    assert text.startswith("Vos données (le fichier joint les contient toutes)\nNom : Amélie Durand\nOrganisation : Institut de la paix\n")
    assert "Communauté : Développement" in text and f"Telegram : identifiant {AMELIE}, @amelie_d" in text
    assert "Sessions rejointes : 1 · réponses : 2 · réactions aux points des autres : 0 · rôles : 1" in text
    day = (utcnow() + timedelta(days=180)).date()
    assert any(f"Effacement automatique après le {translator('fr').date(day + timedelta(days=d))} (" in text for d in (-1, 0, 1)), text
    assert "/forget les efface dès maintenant ; /myinput permet de modifier ou de supprimer une réponse." in text
    assert document.document is not None and document.document[0] == "my-data.json"
    assert document.plain_text == "Toutes les données que je conserve à votre sujet, au format JSON."
    data = json.loads(document.document[1])  # the values as stored: never translated
    assert data["profile"]["community"] == "development" and data["profile"]["language"] == "fr"
    assert [c["text"] for c in data["contributions"]] == answers and data["contributions"][0]["kind"] == "challenge"

    asked = await amelie.reply_after(lambda: amelie.send("/forget"))
    assert asked[0].plain_text.startswith(
        "🗑 Effacer mes données\n\nJ’effacerai votre nom, votre organisation et votre identité Telegram. "
        "Vous avez participé à 1 session. Vous avez envoyé 2 réponses. Vous avez réagi à 0 point."
    )
    assert [b[0] for b in asked[0].buttons()] == [
        "M’effacer, garder mes réponses anonymement",
        "M’effacer avec toutes mes réponses",
        "Annuler",
    ]
    done = await amelie.reply_after(lambda: amelie.press(asked[0], text="M’effacer avec toutes mes réponses"), timeout=30)
    assert done[0].plain_text == (
        "✅ C’est fait : votre nom, votre organisation et votre identité Telegram ont été effacés. "
        "2 réponses de votre part ont été supprimées.\n\nSi vous m’écrivez à nouveau, je vous considérerai comme une nouvelle personne."
    )
    dump = await _database_text(bot)
    for trace in ("Amélie Durand", "Institut de la paix", "amelie_d", AMELIE, answers[0]):
        assert not _holds(dump, trace), trace


async def test_retention_notice_in_the_organisers_language(api: FakeBotAPI, bot: OfflineBot) -> None:
    organiser, code = await _setup(api)
    await bot.services.languages.choose(UserRef(ORGANISER, "Olivia"), "fr")
    await _joined_through_services(bot, UserRef(AMIRA, "Amira"), code, "Amira Haddad", "Norad Institute", ["Donors still work in silos"])
    await _joined_through_services(bot, UserRef(LARS, "Lars"), code, "Lars Berg", "Foreign Ministry", ["Embassies lack development staff"])
    told = await organiser.reply_after(lambda: run_retention(_application(bot), utcnow() + timedelta(days=181)), timeout=30)
    assert told[0].plain_text == (
        "🧹 Thematic meeting on diplomacy, development and integrated planning in fragile states : sa durée de conservation (180 jours après l’événement) est écoulée. "
        "J’ai effacé les noms, organisations et identités Telegram de 2 participants ; leurs réponses restent, de façon anonyme."
    )
    async with bot.services.db.session() as db:
        assert await db.scalar(select(func.count()).select_from(Contribution)) == 2  # kept, anonymously
