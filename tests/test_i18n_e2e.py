"""End to end in two languages: the real Application against the fake Bot API, people whose
Telegram apps are set to French or English going through the same session.

The French participant's whole path (join, consent, name, organisation, community, answers,
/myinput and an edit, /sessions, /profile, /help, a photo, the end of the session) is compared
message by message with an English participant doing the same: every message and every button
must differ from the English one, and no English sentence of the catalogue may appear in the
French transcript. /language then switches a person either way, and the choice outlives a
restart; the command menus are set per language.
"""

from __future__ import annotations

import re
import string
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from bot import i18n_catalog
from bot.i18n import translator
from fake_bot_api import FakeBotAPI, FakeUser, SentMessage
from storage.models import Community, Contribution, Participant
from telegram_edge.offline import OfflineBot
from tests.agenda_samples import EXPERT_MEETING
from tests.test_e2e import _setup_session

Step = Callable[[FakeUser], Awaitable[list[SentMessage]]]
WAIT = 20.0  # per reply: forty steps on two cores shared with other test runs


def _press(prefix: str, *, on_last: bool = True, count: int = 1) -> Step:
    """Press the first button whose callback data starts with `prefix` (labels differ by language)."""

    async def step(user: FakeUser) -> list[SentMessage]:
        message = user.last() if on_last else next(m for m in reversed(user.inbox) if _data(m, prefix))
        data = _data(message, prefix)
        assert data is not None, (prefix, message.buttons())
        return await user.reply_after(lambda: user.press(message, data=data), count=count, timeout=WAIT)

    return step


def _data(message: SentMessage, prefix: str) -> str | None:
    return next((data for _label, data, _url in message.buttons() if data and data.startswith(prefix)), None)


def _send(text: str, count: int = 1) -> Step:
    async def step(user: FakeUser) -> list[SentMessage]:
        return await user.reply_after(lambda: user.send(text), count=count, timeout=WAIT)

    return step


async def _photo(user: FakeUser) -> list[SentMessage]:
    return await user.reply_after(user.send_photo, timeout=WAIT)


def _path(code: str, name: str) -> list[Step]:
    """A participant's whole path, the same for both languages (their own words aside)."""
    return [
        _send(f"/start {code}", count=2),  # the session's introduction, then the consent question
        _press("cs:yes"),
        _send(name),
        _send("Ministry of Examples"),
        _press(f"cm:{Community.DEVELOPMENT.value}", count=2),  # then the introduction and question 1
        _send("Donors still work in silos"),
        _send("Joint analysis is rare"),
        _press("nx:"),
        _send("/myinput"),
        _press("ed:"),
        _send("Donors still work in silos, each reporting to its capital"),
        _send("/sessions"),
        _send("/profile"),
        _send("/help"),
        _photo,
        _send("/join"),
        _send("/frobnicate"),
        _press("dn:", on_last=False),
    ]


async def _walk(user: FakeUser, steps: list[Step]) -> list[SentMessage]:
    transcript: list[SentMessage] = []
    for step in steps:
        transcript += await step(user)
    return transcript


def _english_fragments() -> list[str]:
    """Every run of three words or more of an English catalogue text whose French differs: none
    of them may be shown to a French reader (placeholders and markup split the texts)."""
    french = translator("fr")
    found: set[str] = set()
    for message in i18n_catalog.load("fr", "messages"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            if message.context:
                continue
            if french.gettext(text) == text:
                continue
            literal = "".join(part for part, *_ in string.Formatter().parse(text))
            for piece in re.split(r"<[^>]+>|\n|[—:;()“”]", literal):
                piece = piece.strip(" .,!?")
                if len([word for word in piece.split() if re.fullmatch(r"[A-Za-z’']{2,}[,.?!]?", word)]) >= 3:
                    found.add(piece)
    return sorted(found)


async def test_a_french_participant_sees_only_french(api: FakeBotAPI, bot: OfflineBot) -> None:
    _organiser, code = await _setup_session(api)
    amelie = api.user(3001, "Amélie", language_code="fr")
    emma = api.user(3002, "Emma", language_code="en-GB")

    french = await _walk(amelie, _path(code, "Amélie Martin"))
    english = await _walk(emma, _path(code, "Emma Stone"))

    # The French path, read at its landmarks.
    texts = [m.plain_text for m in french]
    assert "Acceptez-vous ?" in texts[1] and [label for label, *_ in french[1].buttons()] == ["✅ J’accepte", "Non merci"]
    assert texts[2].startswith("Sous quel nom") and french[2].buttons()[0][0] == "Utiliser « Amélie »"
    assert texts[3].startswith("À quelle organisation")
    assert [label for label, *_ in french[4].buttons()][:2] == ["Diplomatie", "Développement"]
    assert "Question 1 sur 3" in texts[6] and "Défi" in texts[6]
    assert texts[7].startswith("✓ Enregistré (1 pour cette question)")
    assert texts[8].startswith("✓ Enregistré (2 pour cette question)")
    assert "Question 2 sur 3" in texts[9] and "Vous avez envoyé" not in texts[9]
    assert "Vos contributions à" in texts[10] and "(2 points, page 1 sur 1)" in texts[10]
    assert french[10].buttons()[0][0] == "✏️ Modifier le n° 1"
    assert texts[11].startswith("Envoyez le nouveau texte pour")
    assert texts[12] == "✏️ Modifié."
    assert "2 réponses, ouverte" in texts[13]
    assert "Communauté : Développement" in texts[14]
    assert texts[15].startswith("Mode d’emploi") and "/language — français ou anglais" in texts[15]
    assert texts[16].startswith("Je ne peux recevoir ici que du texte")
    assert texts[17].startswith("Indiquez le code de la session")
    assert texts[18].startswith("Je ne connais pas cette commande")
    assert texts[19].startswith("🙏 Merci ! Vous avez envoyé 2 points")

    # Message by message, nothing is left as the English participant saw it.
    assert len(french) == len(english) == 20
    for fr, en in zip(french, english, strict=True):
        assert fr.plain_text != en.plain_text, en.plain_text
        shown = {label for label, *_ in en.buttons()} - {"English", "Français"}
        session_buttons = {label for label, data, _ in en.buttons() if data and data.startswith("sw:")}  # titles: user data
        same_word = {label for label in shown if translator("fr").gettext(label) == label}  # "Organisation"
        assert not (shown - session_buttons - same_word) & {label for label, *_ in fr.buttons()}, (fr.buttons(), en.buttons())
    # …and no English sentence of the catalogue slipped into the French transcript.
    shown_to_amelie = "\n".join([m.plain_text for m in french] + [label for m in french for label, *_ in m.buttons()])
    # (the agenda sample in /help agenda shares words with this agenda: its titles are user data)
    leaks = [fragment for fragment in _english_fragments() if fragment in shown_to_amelie and fragment not in EXPERT_MEETING]
    assert leaks == []
    assert leaks == []
    assert "Do you agree?" in english[1].plain_text and "Question 1 of 3" in english[6].plain_text

    async with bot.services.db.session() as db:
        amelie_row = await db.scalar(select(Participant).where(Participant.telegram_user_id == 3001))
        texts_stored = list(await db.scalars(select(Contribution.text).where(Contribution.participant_id == amelie_row.id)))
    assert amelie_row.language == "fr" and not amelie_row.language_chosen
    assert sorted(texts_stored) == ["Donors still work in silos, each reporting to its capital", "Joint analysis is rare"]


async def test_language_command_switches_and_persists(api: FakeBotAPI, bot: OfflineBot) -> None:
    anna = api.user(3101, "Anna")  # an English app
    lucie = api.user(3102, "Lucie", language_code="fr-CA")

    asked = await anna.reply_after(lambda: anna.send("/language"))
    assert asked[0].plain_text == "Which language should I use with you?"
    assert [label for label, *_ in asked[0].buttons()] == ["✓ English", "Français"]
    chosen = await anna.reply_after(lambda: anna.press(asked[0], text="Français"))
    assert chosen[0].plain_text == "✅ Désormais, je vous écrirai en français."
    assert (await anna.reply_after(lambda: anna.send("/help")))[0].plain_text.startswith("Mode d’emploi")
    # Her own command menu follows her choice, although her app is in English.
    menu = {c["command"]: c["description"] for c in api.my_commands({"type": "chat", "chat_id": 3101})}
    assert menu["join"] == "Rejoindre une session avec son code" and menu["language"] == "Français ou anglais"

    shown = {c["command"]: c["description"] for c in api.commands_shown_to(lucie)}  # her app's language, until she chooses
    assert shown["join"] == "Rejoindre une session avec son code"
    asked = await lucie.reply_after(lambda: lucie.send("/language"))
    assert asked[0].plain_text == "Dans quelle langue souhaitez-vous que je vous écrive ?"
    chosen = await lucie.reply_after(lambda: lucie.press(asked[0], text="English"))
    assert chosen[0].plain_text == "✅ From now on I will write to you in English."
    # …and so does her menu (set right after the confirmation is sent).
    await api.wait_for(
        lambda: {c["command"]: c["description"] for c in api.commands_shown_to(lucie)}["join"] == "Join a session with its code"
    )

    await bot.restart()  # the choices are in the database, not in memory
    assert (await lucie.reply_after(lambda: lucie.send("/sessions")))[0].plain_text.startswith("You're not in a session")
    assert (await anna.reply_after(lambda: anna.send("/sessions")))[0].plain_text.startswith("Vous ne participez à aucune session")
    async with bot.services.db.session() as db:
        rows = dict((await db.execute(select(Participant.telegram_user_id, Participant.language).where(Participant.language_chosen))).all())
    assert rows == {3101: "fr", 3102: "en"}

    # A forged language changes nothing and says so briefly.
    answered = len(lucie.callback_answers)
    lucie.press_data(asked[0].message_id, "lg:de")
    await api.wait_for(lambda: len(lucie.callback_answers) > answered)
    assert "out of date" in lucie.callback_answers[-1]


async def test_menus_are_set_per_language_at_start(api: FakeBotAPI, bot: OfflineBot) -> None:
    everyone = {"type": "all_private_chats"}
    english = {c["command"]: c["description"] for c in api.my_commands(everyone)}
    french = {c["command"]: c["description"] for c in api.my_commands(everyone, language_code="fr")}
    assert english["join"] == "Join a session with its code" and english["language"] == "English or French"
    assert french["join"] == "Rejoindre une session avec son code" and french["myinput"] == "Relire, modifier ou supprimer vos réponses"
    assert english.keys() == french.keys()
    assert all(french[name] != english[name] for name in english), "every description is translated"
