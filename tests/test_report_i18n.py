"""Reports in the event's report language, command replies in the rapporteur's own.

An event whose agenda says ``report_language: fr`` gets a French draft in chat (headings and
prose) and a French PDF; an English event's report stays English; a rapporteur whose Telegram
speaks French gets the commands' replies in French whatever the report's language; an
organiser switches an event's report language with /reportlanguage. Files stay byte for byte
the same for the same input.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from bot.services.views import MessageRef, UserRef
from fake_bot_api import FakeBotAPI, FakeUser, SentMessage
from storage.models import Event, SessionStatus
from telegram_edge.offline import OfflineBot
from tests.conftest import ORGANISER


def _agenda(language: str | None) -> str:
    line = f"\n  report_language: {language}" if language else ""
    return f"""
event:
  title: "Forum de Dakar sur la paix et la sécurité"
  starts_on: 2026-02-10
  ends_on: 2026-02-12
  place: Dakar, Sénégal
  timezone: Africa/Dakar{line}
sessions:
  - title: Financer la prévention des conflits
    date: 2026-02-11
    start: "09:00"
    end: "10:30"
    prompts:
      - challenge: Qu’est-ce qui freine le financement de la prévention ?
      - recommendation: Que faudrait-il faire autrement ?
"""


# (name, organisation, community, challenge, recommendation): French input, as at a francophone forum.
PEOPLE = [
    ("Awa Diallo", "PNUD", "development", "Les bailleurs travaillent encore en silos.", "Créer un fonds commun pour la prévention."),
    (
        "Jean Martin",
        "Ministère des Armées",
        "security",
        "Il manque une analyse partagée des risques.",
        "Renforcer la coordination entre bailleurs.",
    ),
    (
        "Fatou Ndiaye",
        "Union africaine",
        "diplomacy",
        "Les financements arrivent trop tard.",
        "Établir un mécanisme d’alerte précoce commun.",
    ),
    (
        "Karim Benali",
        "OCHA",
        "humanitarian",
        "Les procédures sont trop lourdes pour les acteurs locaux.",
        "Simplifier les procédures de décaissement.",
    ),
    (
        "Claire Dubois",
        "AFD",
        "development",
        "Les bailleurs travaillent en silos et se font concurrence.",
        "Créer un fonds commun géré localement.",
    ),
    (
        "Moussa Traoré",
        "CEDEAO",
        "security",
        "La prévention reste invisible dans les budgets.",
        "Mesurer les résultats de la prévention sur dix ans.",
    ),
]
FRENCH_FRAMES = re.compile(
    r"il a été (?:le plus souvent )?souligné que|il a été recommandé d|il a été suggéré d|les participants|"
    r"le défi le plus souvent évoqué|la recommandation la plus (?:souvent formulée|fréquente)|au premier rang des défis|"
    r"dans le même (?:sens|ordre d’idées)|un autre défi|une autre recommandation",
    re.IGNORECASE,
)


async def _seed(bot: OfflineBot, language: str | None) -> str:
    """The French session's input, stored through the same services the handlers use."""
    services = bot.services
    organiser = UserRef(ORGANISER, "Olivia")
    session = (await services.organising.import_agenda(organiser, _agenda(language))).event.sessions[0]
    await services.organising.set_status(organiser, session.join_code, SessionStatus.OPEN)
    participation = services.participation
    for n, (name, organisation, community, challenge, recommendation) in enumerate(PEOPLE):
        user = UserRef(6000 + n, name, language="fr")
        await participation.join(user, session.join_code)
        await participation.consent(user, True)
        await services.router.text(user, name, MessageRef(user.telegram_id, 1))
        await services.router.text(user, organisation, MessageRef(user.telegram_id, 2))
        await participation.choose_community(user, community)
        await services.router.text(user, challenge, MessageRef(user.telegram_id, 10))
        await participation.next_prompt(user, session.id, 0)
        await services.router.text(user, recommendation, MessageRef(user.telegram_id, 20))
    return session.join_code


async def _rapporteur(api: FakeBotAPI, code: str, language_code: str = "en", organiser: FakeUser | None = None) -> FakeUser:
    organiser = organiser or api.user(ORGANISER, "Olivia")
    rapporteur = api.user(1001, "Ravi", username="ravi_r", language_code=language_code)
    await rapporteur.reply_after(lambda: rapporteur.send("/start"))
    await organiser.reply_after(lambda: organiser.send(f"/grant {code} rapporteur @ravi_r"))
    return rapporteur


async def _draft(api: FakeBotAPI, rapporteur: FakeUser) -> list[SentMessage]:
    """Everything /draft sends: the report, the version line, the chart, the DOCX and the PDF."""
    before = len(rapporteur.inbox)
    await rapporteur.reply_after(lambda: rapporteur.send("/draft"), count=1, timeout=60)
    await api.wait_for(lambda: any(m.document and m.document[0].endswith(".pdf") for m in rapporteur.inbox[before:]), timeout=60)
    return rapporteur.inbox[before:]


def bot_notice_not_allowed_fr() -> str:
    """The refusal as the catalogue words it in French (the needed role is not translated here)."""
    from bot.i18n import translator
    from handlers.texts import notice

    return notice("not_allowed", {"needed": "session's rapporteurs and organisers"}, translator("fr")).replace("&#x27;", "'")


def _text(messages: list[SentMessage]) -> str:
    return "\n".join(m.plain_text for m in messages if m.method == "sendMessage")


def _files(messages: list[SentMessage]) -> dict[str, tuple[str, bytes]]:
    return {m.document[0].rsplit(".", 1)[1]: m.document for m in messages if m.document}


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


async def test_french_event_gets_a_french_draft_and_pdf(api: FakeBotAPI, bot: OfflineBot) -> None:
    code = await _seed(bot, "fr")
    rapporteur = await _rapporteur(api, code)
    draft = await _draft(api, rapporteur)
    text = _text(draft)
    # The report is French: headings, layout words and the prose around participants' words.
    for heading in ("SYNTHÈSE", "DÉFIS", "RECOMMANDATIONS", "ANNEXE : CONTRIBUTIONS PAR THÈME"):
        assert heading in text, heading
    assert "Projet de rapport v1 · établi le" in text
    assert "6 participants ont apporté 12 contributions." in text
    assert "10–12 février 2026" in text  # the event's dates in French
    assert len(FRENCH_FRAMES.findall(text)) >= 3, text
    assert "It was raised" not in text and "Summary" not in text and "Challenges" not in text
    # The rapporteur's own interface is English.
    assert "Version 1 (draft)." in text and "/edit to change sections" in text
    files = _files(draft)
    assert files["pdf"][0].endswith("_v1_brouillon.pdf") and files["docx"][0].endswith("_v1_brouillon.docx")
    pdf = _pdf_text(files["pdf"][1])
    assert "SYNTHÈSE" in pdf and "ANNEXE : CONTRIBUTIONS PAR THÈME" in pdf and "RECOMMANDATIONS" in pdf
    assert "Projet de rapport v1 · établi le" in pdf and "« Les bailleurs travaillent" in pdf
    assert len(FRENCH_FRAMES.findall(pdf)) >= 3, pdf
    assert "SUMMARY" not in pdf and "ANNEX:" not in pdf and "It was" not in pdf

    # /export pdf of the same version: byte for byte the file /draft sent.
    exported = await rapporteur.reply_after(lambda: rapporteur.send(f"/export {code} pdf 1"), timeout=30)
    assert exported[0].document is not None and exported[0].document[1] == files["pdf"][1]
    csv_file = await rapporteur.reply_after(lambda: rapporteur.send(f"/export {code} csv"), timeout=30)
    assert csv_file[0].document is not None
    header = csv_file[0].document[1].decode("utf-8-sig").splitlines()[0]
    assert header.startswith("id_contribution,titre_session,type_question") and csv_file[0].document[0].endswith("_contributions.csv")


async def test_english_event_report_stays_english(api: FakeBotAPI, bot: OfflineBot) -> None:
    code = await _seed(bot, None)
    rapporteur = await _rapporteur(api, code)
    text = _text(await _draft(api, rapporteur))
    assert "SUMMARY" in text and "CHALLENGES" in text and "ANNEX: CONTRIBUTIONS BY THEME" in text
    assert "Draft report v1 · generated" in text and "10–12 February 2026" in text
    assert "Synthèse" not in text and "SYNTHÈSE" not in text
    # French statements in an English report are quoted as they were written.
    assert "“Les bailleurs travaillent" in text or "“Créer un fonds commun" in text


async def test_french_speaking_rapporteur_gets_french_replies(api: FakeBotAPI, bot: OfflineBot) -> None:
    code = await _seed(bot, None)
    rapporteur = await _rapporteur(api, code, language_code="fr")
    draft = await _draft(api, rapporteur)
    text = _text(draft)
    assert "SUMMARY" in text  # the report is the event's (English) ...
    assert "Version 1 (projet)." in text and "/edit pour modifier les sections" in text  # ... the replies are hers
    version_line = next(m for m in draft if "Version 1 (projet)." in m.text)
    assert "✏️ Modifier les sections" in [text for text, _data, _url in version_line.buttons()]
    menu = await rapporteur.reply_after(lambda: rapporteur.send("/edit"))
    assert "Choisissez une section" in menu[0].plain_text
    usage = await rapporteur.reply_after(lambda: rapporteur.send("/hide"))
    assert usage[0].plain_text.startswith("Syntaxe : /hide 12")
    unknown = await rapporteur.reply_after(lambda: rapporteur.send("/versions NOPE42"))
    assert "NOPE42" in unknown[0].plain_text


async def test_organiser_sets_the_report_language(api: FakeBotAPI, bot: OfflineBot) -> None:
    code = await _seed(bot, None)
    organiser = api.user(ORGANISER, "Olivia")
    shown = await organiser.reply_after(lambda: organiser.send(f"/reportlanguage {code}"))
    assert "written in English" in shown[0].plain_text
    changed = await organiser.reply_after(lambda: organiser.send(f"/reportlanguage {code} fr"))
    assert "now written in French" in changed[0].plain_text
    async with bot.services.db.session() as db:
        assert (await db.scalar(select(Event.report_language))) == "fr"
    bad = await organiser.reply_after(lambda: organiser.send(f"/reportlanguage {code} de"))
    assert "Usage: /reportlanguage CODE en|fr" in bad[0].plain_text
    participant = api.user(6000, "Awa", language_code="fr")
    refused = await participant.reply_after(lambda: participant.send(f"/reportlanguage {code} en"))
    assert refused[0].plain_text == bot_notice_not_allowed_fr()
    async with bot.services.db.session() as db:
        assert (await db.scalar(select(Event.report_language))) == "fr"

    # The next draft is French; the same input gives the same files, byte for byte.
    rapporteur = await _rapporteur(api, code, organiser=organiser)
    first = _files(await _draft(api, rapporteur))
    assert "SYNTHÈSE" in _pdf_text(first["pdf"][1])
    again = await rapporteur.reply_after(lambda: rapporteur.send(f"/export {code} docx 1"), timeout=30)
    assert again[0].document is not None and again[0].document[1] == first["docx"][1]


def test_french_statements_are_framed_without_agreement() -> None:
    """How a French statement is set in a French sentence: a clause after « que », an
    infinitive after « de » (elided before a vowel or a mute h), anything else quoted whole."""
    from bot.i18n import translator
    from bot.reports.model import Statement
    from bot.reports.prose import FRAMES, Point, fill
    from bot.reports.prose_french import form_of

    assert form_of("Les bailleurs travaillent encore en silos") == "clause"
    assert form_of("Il faut créer un fonds commun") == "clause"
    assert form_of("Harmoniser les procédures") == "imperative"
    assert form_of("Manque d’analyse conjointe") == "quote"  # a noun phrase: quoted, nothing to agree with
    assert form_of("Donors work in silos") == "quote"  # another language: quoted as written
    assert form_of("Nous devons agir") == "quote"
    french = translator("fr")
    point = Point.of(Statement(1, "Il faut créer un fonds commun.").text, frozenset(), "fr")
    assert fill("It was raised that {c}", point, french) == "Il a été souligné qu’il faut créer un fonds commun."
    verb = Point.of("Harmoniser les procédures", frozenset(), "fr")
    assert fill(FRAMES["recommendations"]["next"]["imperative"][1], verb, french) == "Il a été recommandé d’harmoniser les procédures."
    quoted = Point.of("Manque d’analyse conjointe", frozenset(), "fr")
    assert fill("Another challenge was put as follows: “{q}”", quoted, french) == (
        "Un autre défi a été formulé en ces termes : « Manque d’analyse conjointe »."
    )
    # English is unchanged by all this.
    english = Point.of("Donors work in silos.", frozenset())
    assert fill("It was raised that {c}", english) == "It was raised that donors work in silos."


def test_writing_model_is_asked_for_the_report_language() -> None:
    from bot.reports.writer import system_prompt

    assert "in French" in system_prompt("fr") and "in English" in system_prompt("en")
