"""What a delivery sends, per reader: its texts frozen in every language with the same parts, and
each chat sent the texts of its person's language (channels and groups: the event's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.services.deliveries import FirePlan, content_parts
from bot.services.schedule_items import Target
from storage.models import Audience, ItemStatus, ScheduleKind
from telegram_edge.dispatch.content import TEXT_LIMIT, message_content, report_content
from telegram_edge.dispatch.sending import ChatSender
from tests.test_dispatch_sending import FakeBot, Spacing

START = datetime(2031, 2, 11, 8, 30, tzinfo=UTC)
TARGET = Target(1, "Forum on integrated planning", "Europe/Oslo", 7, "Good practice", "K7QX2M", START, None, "", None, "fr")


def _plan(kind: ScheduleKind, text: str = "", options: dict[str, object] | None = None) -> FirePlan:
    occurrence = datetime(2031, 2, 11, 8, 15, tzinfo=UTC)
    return FirePlan(
        1, kind, Audience.EVERYONE, text, occurrence, ItemStatus.ACTIVE, TARGET, dict(options or {}), (("f1", "note.pdf"),), 1000, False
    )


@dataclass
class Package:
    title: str
    messages: list[str]
    files: list[tuple[str, bytes]] = field(default_factory=list)


async def _nothing(_name: str, _file_id: str) -> None:
    return None


async def test_each_chat_gets_the_texts_of_its_language() -> None:
    content = message_content(_plan(ScheduleKind.PAPERS))
    bot, spacing = FakeBot(), Spacing()
    sender = ChatSender(bot, content, spacing, files={}, remember_file=_nothing, locales={1: "en", 2: "fr"})  # type: ignore[arg-type]
    for chat in (1, 2, -100):  # -100: a channel, no person behind it
        for part in range(len(content_parts(content))):
            await sender(chat, part)
    texts = {chat: value for chat, kind, value in bot.sent if kind == "text"}
    assert texts[1].startswith("📎 Background papers · <b>Good practice</b>\n🕘 Tue 11 Feb, 09:30 CET")
    assert texts[1].endswith("Here are the documents to read before the meeting.")
    assert texts[2].startswith("📎 Documents de référence · <b>Good practice</b>\n🕘 mar. 11 févr., 09:30 CET")
    assert texts[2].endswith("Voici les documents à lire avant la réunion.")
    assert texts[-100] == texts[2]  # the event's language (TARGET.language) for a channel
    assert [value for _chat, kind, value in bot.sent if kind == "document"] == ["f1"] * 3  # files are the same for all


def test_a_report_cover_is_in_every_language_with_the_same_parts() -> None:
    """The cover joins the report's first message only if every language's cover fits, so that
    part 1 is the same part for every recipient (the ledger counts parts by number)."""
    report = Package("Good practice", ["<b>Good practice</b>\n\nSummary …", "Annex …"], [("report.pdf", b"%PDF")])
    content, files = report_content(_plan(ScheduleKind.REPORT, options={"source": "latest"}), report)
    assert files == {"report.pdf": b"%PDF"}
    assert content["by_locale"]["en"][0].startswith("📄 <b>Session report</b> · Forum on integrated planning <i>(latest draft")
    assert content["by_locale"]["fr"][0].startswith("📄 <b>Rapport de session</b> · Forum on integrated planning <i>(dernier projet")
    assert [len(texts) for texts in content["by_locale"].values()] == [2, 2] and content["messages"] == content["by_locale"]["fr"]

    english_cover = len("📄 <b>Session report</b> · Forum on integrated planning") + 1  # UTF-16: the emoji counts twice
    tight = Package("Good practice", ["x" * (TEXT_LIMIT - english_cover - 2)])  # the English cover fits, the French one not
    content, _files = report_content(_plan(ScheduleKind.REPORT), tight)
    assert [len(texts) for texts in content["by_locale"].values()] == [2, 2]  # a cover message of its own, in both
    assert content["by_locale"]["en"][1] == content["by_locale"]["fr"][1] == tight.messages[0]
    assert len(content_parts(content)) == 2


def test_why_a_send_failed_is_told_in_the_organiser_s_language() -> None:
    """Telegram describes a failure in English; the summary names the causes an organiser can act
    on in their language, and quotes anything else as Telegram's own words (escaped)."""
    from bot.i18n import translator
    from handlers.schedule_texts import failure_reason

    english, french = translator("en"), translator("fr")
    assert failure_reason("Bad Request: chat not found", english) == (
        "Telegram does not know this chat: the person may never have started the bot"
    )
    assert failure_reason("Bad Request: chat not found", french).startswith("Telegram ne connaît pas cette conversation")
    assert failure_reason("gave up after 5 attempts: Timed out", french) == "abandon après 5 tentatives : Telegram n’a pas pu être joint"
    assert failure_reason("Forbidden: bot was kicked from the group chat", english) == "the bot is no longer allowed to write in this chat"
    ours = failure_reason("unexpected error: ValueError('bug in the sender')", english)
    assert ours == "an error in the bot; its log has the details"  # no internals in a chat
    odd = failure_reason("Bad Request: <b>strange</b> & new", french)
    assert odd == "Réponse de Telegram : « Bad Request: &lt;b&gt;strange&lt;/b&gt; &amp; new »"
